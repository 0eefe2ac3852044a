"""Read side of the SQLite store: raw pages, latest points and aggregates.

Series are matched in Python (`SeriesMatcher`) over the small `series` table; their ids go
to SQLite as one JSON array (`json_each`), so any number of series is one bound value.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import aiosqlite

from services.storage.aggregate import Rollup, Sample, bucket_start, merge_rollups, rollups_of
from services.storage.pagination import decode_cursor, page_result
from services.storage.query import (
    MIN_TS,
    STEP_MS,
    SeriesMatcher,
    SeriesRef,
    aggregate_result,
    check_limits,
    check_sort_by,
    choose_resolution,
    floors_from_marks,
    lower_ts,
    point_of,
    query_timed_out,
    rollups_by_series,
    samples_by_series,
    select_series,
    too_many_points,
    upper_ts,
)
from services.storage.store import QueryLimits, time_bounds
from shared.errors import StorageError
from shared.events import (
    AggregateSpec,
    MetricQuery,
    MetricQueryResult,
    Resolution,
    SortOrder,
)

_IDS = "(SELECT value FROM json_each(?))"


class SqliteReader:
    """Answers `MetricQuery` from the reader connection of a `SqliteStore`."""

    def __init__(self, *, db: aiosqlite.Connection, limits: QueryLimits) -> None:
        self._db = db
        self._limits = limits

    async def query(self, query: MetricQuery, marks: Mapping[str, int]) -> MetricQueryResult:
        """Answer any kind of query; `marks` are the store's rollup watermarks and floors."""
        start, end = time_bounds(query)
        series = await self.matching_series(query)
        check_limits(query, series, self._limits)
        if query.aggregate is not None:
            return await self._aggregate(query, query.aggregate, series, start, end, marks)
        if query.latest:
            return await self._latest(query, series, start, end)
        return await self._page(query, series, start, end)

    async def matching_series(self, query: MetricQuery) -> list[SeriesRef]:
        """Every stored series that passes the query's device, metric and attribute filters."""
        matcher = SeriesMatcher(query)
        sql, params = "SELECT id, device, metric, attributes FROM series WHERE 1", []
        if matcher.devices is not None:
            sql += f" AND device IN {_IDS}"
            params.append(json.dumps(sorted(matcher.devices)))
        if matcher.metrics is not None:
            sql += f" AND metric IN {_IDS}"
            params.append(json.dumps(sorted(matcher.metrics)))
        rows = await self._read(sql + " ORDER BY id", params)
        return select_series(matcher, rows)

    async def _page(
        self, query: MetricQuery, series: Sequence[SeriesRef], start: int | None, end: int | None
    ) -> MetricQueryResult:
        by_id = {s.id: s for s in series}
        after = decode_cursor(query)
        desc = query.order is SortOrder.DESC
        sql = (
            f"SELECT series_id, ts, value FROM samples WHERE series_id IN {_IDS}"
            " AND ts >= ? AND ts < ?"
        )
        params: list[Any] = [json.dumps(list(by_id)), lower_ts(start), upper_ts(end)]
        if after is not None:
            sql += " AND (ts, series_id) < (?, ?)" if desc else " AND (ts, series_id) > (?, ?)"
            params += [after.ts, after.series_id]
        direction = "DESC" if desc else "ASC"
        sql += f" ORDER BY ts {direction}, series_id {direction} LIMIT ?"
        params.append(query.limit + 1)  # one extra row tells whether the limit cut the result
        rows = await self._read(sql, params)
        return page_result(query, by_id, rows)

    async def _latest(
        self, query: MetricQuery, series: Sequence[SeriesRef], start: int | None, end: int | None
    ) -> MetricQueryResult:
        by_id = {s.id: s for s in series[: query.limit]}
        rows = await self._read(
            "SELECT sa.series_id, sa.ts, sa.value FROM json_each(?) AS j"
            " JOIN samples AS sa ON sa.series_id = j.value AND sa.ts = (SELECT max(ts)"
            " FROM samples WHERE series_id = j.value AND ts >= ? AND ts < ?)"
            " ORDER BY sa.series_id",
            [json.dumps(list(by_id)), lower_ts(start), upper_ts(end)],
        )
        points = [point_of(by_id[sid], ts, value) for sid, ts, value in rows]
        return MetricQueryResult(points=points, truncated=len(series) > query.limit)

    async def _aggregate(
        self,
        query: MetricQuery,
        spec: AggregateSpec,
        series: Sequence[SeriesRef],
        start: int | None,
        end: int | None,
        marks: Mapping[str, int],
    ) -> MetricQueryResult:
        check_sort_by(spec)
        resolution = choose_resolution(spec, start, floors_from_marks(marks))
        ids = [s.id for s in series]
        if resolution is Resolution.RAW:
            data: Mapping[int, Sequence[Sample]] | Mapping[int, Sequence[Rollup]]
            data = await self._raw(ids, start, end)
        else:
            data = await self._rollups(resolution, ids, start, end, marks)
        return aggregate_result(query, spec, series, data, resolution)

    async def _raw(
        self, ids: list[int], start: int | None, end: int | None
    ) -> dict[int, list[Sample]]:
        rows = await self._read(
            f"SELECT series_id, ts, value FROM samples WHERE series_id IN {_IDS}"
            " AND ts >= ? AND ts < ? ORDER BY series_id, ts LIMIT ?",
            [json.dumps(ids), lower_ts(start), upper_ts(end), self._limits.max_points + 1],
        )
        if len(rows) > self._limits.max_points:
            raise too_many_points(self._limits, Resolution.RAW)
        return samples_by_series(rows)

    async def _rollups(
        self,
        resolution: Resolution,
        ids: list[int],
        start: int | None,
        end: int | None,
        marks: Mapping[str, int],
    ) -> dict[int, list[Rollup]]:
        """Stored rollups up to the watermark, the not-yet-rolled tail computed on the fly."""
        # Whole buckets: a range that starts inside a bucket is widened to the bucket start.
        lo, hi = bucket_start(lower_ts(start), STEP_MS[resolution]), upper_ts(end)
        done_1m, done_1h = marks.get("watermark_1m", MIN_TS), marks.get("watermark_1h", MIN_TS)
        minute_from = max(lo, done_1h) if resolution is Resolution.HOUR else lo
        minute = await self._rollup_rows("rollup_1m", ids, minute_from, min(hi, done_1m))
        raw_tail = await self._raw(ids, max(lo, done_1m), hi)
        out: dict[int, list[Rollup]] = {}
        for sid in ids:
            fine = minute.get(sid, []) + rollups_of(
                raw_tail.get(sid, []), STEP_MS[Resolution.MINUTE]
            )
            out[sid] = fine
        if resolution is Resolution.HOUR:
            hours = await self._rollup_rows("rollup_1h", ids, lo, min(hi, done_1h))
            step = STEP_MS[Resolution.HOUR]
            out = {sid: hours.get(sid, []) + merge_rollups(out[sid], step) for sid in ids}
        return out

    async def _rollup_rows(
        self, table: str, ids: list[int], lo: int, hi: int
    ) -> dict[int, list[Rollup]]:
        if hi <= lo:
            return {}
        rows = await self._read(
            f"SELECT series_id, start, min, max, sum, count, last, last_ts FROM {table}"
            f" WHERE series_id IN {_IDS} AND start >= ? AND start < ? ORDER BY series_id, start"
            " LIMIT ?",
            [json.dumps(ids), lo, hi, self._limits.max_points + 1],
        )
        if len(rows) > self._limits.max_points:
            raise too_many_points(
                self._limits, Resolution.MINUTE if "1m" in table else Resolution.HOUR
            )
        return rollups_by_series(rows)

    async def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            return list(await self._db.execute_fetchall(sql, params))
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise query_timed_out(self._limits) from exc
            raise StorageError(f"metric query failed: {exc}") from exc
        except sqlite3.Error as exc:
            raise StorageError(f"metric query failed: {exc}") from exc
