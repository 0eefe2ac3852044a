"""Read side of the file metric store: raw pages, latest points and aggregates by scanning days.

Series are matched in memory (`SeriesMatcher`, shared with every backend). Raw queries read
the day segments their range touches, in time order (or reverse), and stop once a page is
full. Rollup resolutions read the rollup files of days maintenance rolled up, and roll the
other days' raw samples on the fly with the shared `aggregate` helpers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence

from services.storage.aggregate import Rollup, Sample, bucket_start, rollups_of
from services.storage.file_catalog import SeriesCatalog
from services.storage.file_days import DAY_MS, Day, StoreState, read_day
from services.storage.file_rollups import Floors, RollupFiles
from services.storage.pagination import Cursor, decode_cursor, page_result
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
    too_many_points,
    upper_ts,
)
from services.storage.store import QueryLimits, time_bounds
from shared.events import AggregateSpec, MetricQuery, MetricQueryResult, Resolution

Row = tuple[int, int, float]  # (ts, series id, value)


class FileReader:
    """Answers `MetricQuery` from the files and memory of a `FileStore`."""

    def __init__(
        self,
        *,
        catalog: SeriesCatalog,
        state: Callable[[], StoreState],
        rolled: set[int],
        rollups: RollupFiles,
        floors: Floors,
        limits: QueryLimits,
    ) -> None:
        self._catalog = catalog
        self._state = state
        self._rolled = rolled
        self._rollups = rollups
        self._floors = floors
        self._limits = limits
        self._attributes: dict[int, dict[str, str]] = {}

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Answer any kind of query."""
        start, end = time_bounds(query)
        series = self.matching_series(query)
        check_limits(query, series, self._limits)
        lo, hi = lower_ts(start), upper_ts(end)
        if query.aggregate is not None:
            return await self._aggregate(query, query.aggregate, series, lo, hi)
        if query.latest:
            return await self._latest(query, series, lo, hi)
        return await self._page(query, series, lo, hi)

    def matching_series(self, query: MetricQuery) -> list[SeriesRef]:
        """Every stored series that passes the query's filters, in the order first stored."""
        matcher = SeriesMatcher(query)
        refs = (
            SeriesRef(id=sid, device=d, metric=m, attributes=self._attributes_of(sid, a))
            for sid, (d, m, a) in self._catalog.items()
        )
        return [ref for ref in refs if matcher(ref)]

    def _attributes_of(self, sid: int, text: str) -> dict[str, str]:
        if sid not in self._attributes:
            self._attributes[sid] = json.loads(text)
        return self._attributes[sid]

    def _days(self, lo: int, hi: int, *, newest_first: bool = False) -> list[Day]:
        days = self._state().days
        wanted = [days[d] for d in sorted(days) if d + DAY_MS > lo and d < hi]
        return wanted[::-1] if newest_first else wanted

    async def _rows(self, day: Day, ids: set[int], lo: int, hi: int) -> list[Row]:
        records = await asyncio.to_thread(read_day, dict(day.sizes))
        return [
            (r.ts, sid, value)
            for r in records
            if lo <= r.ts < hi
            for sid, value in r.samples
            if sid in ids
        ]

    async def _page(
        self, query: MetricQuery, series: Sequence[SeriesRef], lo: int, hi: int
    ) -> MetricQueryResult:
        by_id = {s.id: s for s in series}
        after = decode_cursor(query)
        desc = query.order.value == "desc"
        found: list[Row] = []
        for day in self._days(lo, hi, newest_first=desc) if by_id else []:
            rows = [r for r in await self._rows(day, set(by_id), lo, hi) if _after(r, after, desc)]
            found += sorted(rows, key=lambda r: (r[0], r[1]), reverse=desc)
            if len(found) > query.limit:
                break  # later days only hold later points (earlier ones when descending)
        # page_result wants (series id, ts, value) rows, and one past the limit if there is one.
        page = [(sid, ts, value) for ts, sid, value in found[: query.limit + 1]]
        return page_result(query, by_id, page)

    async def _latest(
        self, query: MetricQuery, series: Sequence[SeriesRef], lo: int, hi: int
    ) -> MetricQueryResult:
        by_id = {s.id: s for s in series[: query.limit]}
        newest: dict[int, tuple[int, float]] = {}
        for day in self._days(lo, hi, newest_first=True):
            if len(newest) == len(by_id):
                break  # every series has its newest point; older days cannot beat it
            for ts, sid, value in await self._rows(day, set(by_id) - set(newest), lo, hi):
                if sid not in newest or ts > newest[sid][0]:
                    newest[sid] = (ts, value)
        points = [point_of(by_id[sid], *newest[sid]) for sid in sorted(newest)]
        return MetricQueryResult(points=points, truncated=len(series) > query.limit)

    async def _aggregate(
        self, query: MetricQuery, spec: AggregateSpec, series: Sequence[SeriesRef], lo: int, hi: int
    ) -> MetricQueryResult:
        check_sort_by(spec)
        covered = floors_from_marks(self._floors.values)
        resolution = choose_resolution(spec, None if lo == MIN_TS else lo, covered)
        ids = {s.id for s in series}
        data: Mapping[int, Sequence[Sample]] | Mapping[int, Sequence[Rollup]]
        if resolution is Resolution.RAW:
            data = await self._raw(ids, lo, hi)
        else:
            data = await self._rolled_up(resolution, ids, lo, hi)
        return aggregate_result(query, spec, series, data, resolution)

    async def _raw(self, ids: set[int], lo: int, hi: int) -> dict[int, list[Sample]]:
        out: dict[int, list[Sample]] = {}
        count = 0
        for day in self._days(lo, hi) if ids else []:
            for ts, sid, value in await self._rows(day, ids, lo, hi):
                out.setdefault(sid, []).append((ts, value))
                count += 1
            if count > self._limits.max_points:
                raise too_many_points(self._limits, Resolution.RAW)
        for samples in out.values():
            samples.sort()
        return out

    async def _rolled_up(
        self, resolution: Resolution, ids: set[int], lo: int, hi: int
    ) -> dict[int, list[Rollup]]:
        """Stored rollups of rolled-up days, plus rollups of the other days' raw samples."""
        step = STEP_MS[resolution]
        lo = bucket_start(lo, step)  # whole buckets, as every backend does
        days = sorted(set(self._state().days) | self._rolled)
        out: dict[int, list[Rollup]] = {}
        count = 0
        for day in (d for d in days if d + DAY_MS > lo and d < hi) if ids else []:
            part = await self._day_rollups(resolution, day, ids, lo, hi)
            for sid, rollups in part.items():
                out.setdefault(sid, []).extend(rollups)
                count += len(rollups)
            if count > self._limits.max_points:
                raise too_many_points(self._limits, resolution)
        return out

    async def _day_rollups(
        self, resolution: Resolution, day: int, ids: set[int], lo: int, hi: int
    ) -> dict[int, list[Rollup]]:
        if day in self._rolled:
            return await asyncio.to_thread(self._rollups.read, resolution.value, day, ids, lo, hi)
        raw_day = self._state().days.get(day)
        if raw_day is None:
            return {}
        per_series: dict[int, list[Sample]] = {}
        for ts, sid, value in await self._rows(raw_day, ids, lo, hi):
            per_series.setdefault(sid, []).append((ts, value))
        step = STEP_MS[resolution]
        return {sid: rollups_of(samples, step) for sid, samples in per_series.items()}


def _after(row: Row, cursor: Cursor | None, desc: bool) -> bool:
    if cursor is None:
        return True
    key, mark = (row[0], row[1]), (cursor.ts, cursor.series_id)
    return key < mark if desc else key > mark
