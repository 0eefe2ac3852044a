"""Read side of the PostgreSQL store: raw pages, latest points and aggregates.

Series are matched in Python (`SeriesMatcher`, shared with every backend) over the small
`series` table; their ids go to PostgreSQL as one bigint array. Aggregates fold in Python
(`query.build_rows`); for rollup resolutions PostgreSQL does the bucketing: days that
maintenance rolled up are read from `rollup_1m`/`rollup_1h`, the others are grouped from
raw samples on the fly, so a 24-hour query moves one row per series and bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

from services.storage.aggregate import Rollup, Sample, bucket_start
from services.storage.pagination import decode_cursor, page_result
from services.storage.pg_schema import DAY_MS
from services.storage.query import (
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


def floor_sql(expr: str, step_ms: int) -> str:
    """SQL for the start of the `step_ms` bucket holding `expr` (floored, like Python's %)."""
    return f"({expr} - (({expr} % {step_ms}) + {step_ms}) % {step_ms})"


_ON_THE_FLY = """
SELECT series_id, {bucket} AS b, min(value), max(value), sum(value), count(*),
       (array_agg(value ORDER BY ts DESC))[1], max(ts)
FROM samples
WHERE series_id = ANY($1::bigint[]) AND ts >= $2 AND ts < $3
  AND {day} NOT IN (SELECT day FROM rolled_days)
GROUP BY series_id, b ORDER BY series_id, b LIMIT $4
"""
_STORED = """
SELECT series_id, start, min, max, sum, count, last, last_ts FROM {table}
WHERE series_id = ANY($1::bigint[]) AND start >= $2 AND start < $3
  AND {day} IN (SELECT day FROM rolled_days)
ORDER BY series_id, start LIMIT $4
"""


class PgReader:
    """Answers `MetricQuery` from a `PostgresStore`'s pool."""

    def __init__(self, *, pool: asyncpg.Pool, limits: QueryLimits) -> None:
        self._pool = pool
        self._limits = limits

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Answer any kind of query."""
        start, end = time_bounds(query)
        series = await self.matching_series(query)
        check_limits(query, series, self._limits)
        if query.aggregate is not None:
            # Read per query: another storage instance may have pruned since.
            floors = dict(await self._fetch("SELECT name, value FROM marks", []))
            resolution = choose_resolution(query.aggregate, start, floors_from_marks(floors))
            return await self._aggregate(query, query.aggregate, series, (start, end), resolution)
        if query.latest:
            return await self._latest(query, series, start, end)
        return await self._page(query, series, start, end)

    async def matching_series(self, query: MetricQuery) -> list[SeriesRef]:
        """Every stored series that passes the query's device, metric and attribute filters."""
        matcher = SeriesMatcher(query)
        rows = await self._fetch(
            "SELECT id, device, metric, attributes FROM series"
            " WHERE ($1::text[] IS NULL OR device = ANY($1::text[]))"
            " AND ($2::text[] IS NULL OR metric = ANY($2::text[]))"
            " AND attrs @> $3::jsonb ORDER BY id",
            [
                sorted(matcher.devices) if matcher.devices is not None else None,
                sorted(matcher.metrics) if matcher.metrics is not None else None,
                json.dumps(query.attributes),
            ],
        )
        return select_series(matcher, rows)

    async def _page(
        self, query: MetricQuery, series: Sequence[SeriesRef], start: int | None, end: int | None
    ) -> MetricQueryResult:
        by_id = {s.id: s for s in series}
        after = decode_cursor(query)
        desc = query.order is SortOrder.DESC
        sql = (
            "SELECT series_id, ts, value FROM samples WHERE series_id = ANY($1::bigint[])"
            " AND ts >= $2 AND ts < $3"
        )
        params: list[Any] = [list(by_id), lower_ts(start), upper_ts(end)]
        if after is not None:
            sql += " AND (ts, series_id) < ($5, $6)" if desc else " AND (ts, series_id) > ($5, $6)"
        direction = "DESC" if desc else "ASC"
        sql += f" ORDER BY ts {direction}, series_id {direction} LIMIT $4"
        params.append(query.limit + 1)  # one extra row tells whether the limit cut the result
        if after is not None:
            params += [after.ts, after.series_id]
        rows = await self._fetch(sql, params)
        return page_result(query, by_id, rows)

    async def _latest(
        self, query: MetricQuery, series: Sequence[SeriesRef], start: int | None, end: int | None
    ) -> MetricQueryResult:
        by_id = {s.id: s for s in series[: query.limit]}
        rows = await self._fetch(
            "SELECT s.id, l.ts, l.value FROM unnest($1::bigint[]) AS s(id)"
            " CROSS JOIN LATERAL (SELECT ts, value FROM samples WHERE series_id = s.id"
            " AND ts >= $2 AND ts < $3 ORDER BY ts DESC LIMIT 1) AS l ORDER BY s.id",
            [list(by_id), lower_ts(start), upper_ts(end)],
        )
        points = [point_of(by_id[sid], ts, value) for sid, ts, value in rows]
        return MetricQueryResult(points=points, truncated=len(series) > query.limit)

    async def _aggregate(
        self,
        query: MetricQuery,
        spec: AggregateSpec,
        series: Sequence[SeriesRef],
        bounds: tuple[int | None, int | None],
        resolution: Resolution,
    ) -> MetricQueryResult:
        check_sort_by(spec)
        ids = [s.id for s in series]
        data: Mapping[int, Sequence[Sample]] | Mapping[int, Sequence[Rollup]]
        if resolution is Resolution.RAW:
            data = await self._raw(ids, lower_ts(bounds[0]), upper_ts(bounds[1]))
        else:
            data = await self._rollups(resolution, ids, bounds)
        return aggregate_result(query, spec, series, data, resolution)

    async def _raw(self, ids: list[int], lo: int, hi: int) -> dict[int, list[Sample]]:
        rows = await self._fetch(
            "SELECT series_id, ts, value FROM samples WHERE series_id = ANY($1::bigint[])"
            " AND ts >= $2 AND ts < $3 ORDER BY series_id, ts LIMIT $4",
            [ids, lo, hi, self._limits.max_points + 1],
        )
        if len(rows) > self._limits.max_points:
            raise too_many_points(self._limits, Resolution.RAW)
        return samples_by_series(rows)

    async def _rollups(
        self,
        resolution: Resolution,
        ids: list[int],
        bounds: tuple[int | None, int | None],
    ) -> dict[int, list[Rollup]]:
        """Stored rollups of rolled-up days, plus rollups grouped from raw for the others."""
        step = STEP_MS[resolution]
        # Whole buckets: a range that starts inside a bucket is widened to the bucket start.
        lo, hi = bucket_start(lower_ts(bounds[0]), step), upper_ts(bounds[1])
        cap = self._limits.max_points + 1
        table = "rollup_1m" if resolution is Resolution.MINUTE else "rollup_1h"
        # One snapshot for both: a day rolled up in between is neither lost nor counted twice.
        stored, fresh = await self._fetch_in_snapshot(
            (_STORED.format(table=table, day=floor_sql("start", DAY_MS)), [ids, lo, hi, cap]),
            (
                _ON_THE_FLY.format(bucket=floor_sql("ts", step), day=floor_sql("ts", DAY_MS)),
                [ids, lo, hi, cap],
            ),
        )
        if len(stored) + len(fresh) > self._limits.max_points:
            raise too_many_points(self._limits, resolution)
        out = rollups_by_series([*stored, *fresh])
        for rollups in out.values():
            rollups.sort(key=lambda r: r.start)
        return out

    async def _fetch(self, sql: str, params: Sequence[Any]) -> list[asyncpg.Record]:
        (rows,) = await self._fetch_in_snapshot((sql, params))
        return rows

    async def _fetch_in_snapshot(
        self, *statements: tuple[str, Sequence[Any]]
    ) -> list[list[asyncpg.Record]]:
        try:
            async with self._pool.acquire() as conn:
                if len(statements) == 1:
                    sql, params = statements[0]
                    return [list(await conn.fetch(sql, *params, timeout=self._limits.timeout_s))]
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    return [
                        list(await conn.fetch(sql, *params, timeout=self._limits.timeout_s))
                        for sql, params in statements
                    ]
        except TimeoutError as exc:
            raise query_timed_out(self._limits) from exc
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise StorageError(f"metric query failed: {exc}") from exc
