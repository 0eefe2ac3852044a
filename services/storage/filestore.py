"""The plain-file metric store: append-only JSON-lines segments, one directory per UTC day.

    <dir>/LOCK                               held (flock) while a store has the directory open
    <dir>/series.jsonl                       the series catalog (`file_catalog.py`)
    <dir>/<YYYY-MM-DD>/segment-000001.jsonl  one line per stored batch (`file_segments.py`)
    <dir>/rollups/, <dir>/marks.json         rollups and pruning floors (`file_rollups.py`)

Opening scans every segment once (`file_days.py`). A write appends one line per batch to
its day's newest segment and fsyncs before it returns. Reads are in `file_query.py`,
rollups and retention (whole day directories) in `file_maintain.py`.
See docs/storage.md, "Backends".
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from services.storage.file_catalog import SeriesCatalog, SeriesKey
from services.storage.file_days import Day, StoreState, day_name, day_of, load_state, read_day
from services.storage.file_maintain import FileMaintenance, disk_bytes
from services.storage.file_query import FileReader
from services.storage.file_rollups import Floors, RollupFiles
from services.storage.file_segments import (
    SegmentRecord,
    append_durably,
    encode_record,
    fsync_dir,
)
from services.storage.query import MIN_TS, query_timed_out, series_infos
from services.storage.store import (
    MaintenanceReport,
    QueryLimits,
    RetentionPolicy,
    SeriesInfo,
    canonical_attributes,
    from_millis,
    storable_samples,
    to_millis,
)
from shared.errors import StorageError
from shared.events import MetricBatch, MetricQuery, MetricQueryResult, StorageStats

log = logging.getLogger(__name__)

SEGMENT_BYTES = 64 * 1024 * 1024


class FileStore:
    """A `MetricStore` in a directory of append-only day segments."""

    def __init__(
        self,
        *,
        root: Path,
        lock_fd: int,
        catalog: SeriesCatalog,
        state: StoreState,
        policy: RetentionPolicy,
        limits: QueryLimits,
        segment_bytes: int,
    ) -> None:
        self._root = root
        self._lock_fd: int | None = lock_fd
        self._catalog = catalog
        self._state = state
        self._limits = limits
        self._segment_bytes = segment_bytes
        self._write_lock = asyncio.Lock()
        self._rollups = RollupFiles(root)
        self._rolled = set(self._rollups.days("1h"))
        self._floors = Floors(root / "marks.json")
        self._reader = FileReader(
            catalog=catalog,
            state=lambda: self._state,
            rolled=self._rolled,
            rollups=self._rollups,
            floors=self._floors,
            limits=limits,
        )
        self._maintenance = FileMaintenance(
            root=root,
            state=lambda: self._state,
            rolled=self._rolled,
            rollups=self._rollups,
            floors=self._floors,
            policy=policy,
            write_lock=self._write_lock,
        )

    @classmethod
    async def open(
        cls,
        root: Path,
        *,
        policy: RetentionPolicy | None = None,
        limits: QueryLimits | None = None,
        segment_bytes: int = SEGMENT_BYTES,
    ) -> FileStore:
        """Open (creating if needed) the store in directory `root`, recovering after a crash."""
        try:
            root.mkdir(parents=True, exist_ok=True)
            lock_fd = _lock_directory(root)
            try:
                catalog = await asyncio.to_thread(SeriesCatalog.load, root / "series.jsonl")
                state = await asyncio.to_thread(load_state, root)
                store = cls(
                    root=root, lock_fd=lock_fd, catalog=catalog, state=state,
                    policy=policy or RetentionPolicy(), limits=limits or QueryLimits(),
                    segment_bytes=segment_bytes,
                )  # fmt: skip
            except BaseException:
                os.close(lock_fd)
                raise
        except OSError as exc:
            raise StorageError(f"opening the file metric store {root} failed: {exc}") from exc
        log.info("metric store %s open (%d series, %d days)", root, len(catalog), len(state.days))
        return store

    async def close(self) -> None:
        """Release the directory lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    async def write_batches(self, batches: Sequence[MetricBatch]) -> int:
        """Append the batches whose event ids are new, fsynced; return new samples."""
        if not batches:
            return 0
        async with self._write_lock:
            try:
                return await self._write(batches)
            except OSError as exc:
                raise StorageError(f"writing {len(batches)} metric batches failed: {exc}") from exc

    async def _write(self, batches: Sequence[MetricBatch]) -> int:
        fresh = _fresh_batches(batches, self._state.events)
        if len(fresh) < len(batches):
            log.info("skipped %d already ingested metric batches", len(batches) - len(fresh))
        keys = [
            (b.device, s.metric, canonical_attributes(s.attributes))
            for b in fresh
            for s in storable_samples(b)
        ]
        await self._add_series(keys)
        by_day: dict[int, list[SegmentRecord]] = {}
        claimed: set[tuple[int, int]] = set()
        for batch in fresh:
            record = await self._new_samples(batch, claimed)
            by_day.setdefault(day_of(record.ts), []).append(record)
        written = 0
        # Each day commits on its own: a batch is one line, so each batch is all or nothing.
        for day_start in sorted(by_day):
            written += await self._append_day(day_start, by_day[day_start])
        return written

    async def _add_series(self, keys: list[SeriesKey]) -> None:
        assigned, lines = self._catalog.plan(keys)
        if assigned:
            # Only the append runs in a thread; the catalog changes on the event loop, so a
            # concurrent query never sees it half-updated, nor ids whose lines are not durable.
            await asyncio.to_thread(append_durably, self._catalog.path, lines)
            self._catalog.commit(assigned)

    async def _new_samples(
        self, batch: MetricBatch, claimed: set[tuple[int, int]]
    ) -> SegmentRecord:
        """The batch as a record of only the samples whose (series, instant) is new."""
        ts = to_millis(batch.collected_at)
        kept: list[tuple[int, float]] = []
        for sample in storable_samples(batch):
            key = (batch.device, sample.metric, canonical_attributes(sample.attributes))
            sid = self._catalog.id_of(key)
            assert sid is not None, "series added before samples"
            # A second sample for the same series and instant keeps the first one.
            if (sid, ts) in claimed or await self._point_exists(sid, ts):
                continue
            claimed.add((sid, ts))
            kept.append((sid, sample.value))
        return SegmentRecord(event=str(batch.event_id), device=batch.device, ts=ts, samples=kept)

    async def _point_exists(self, sid: int, ts: int) -> bool:
        last = self._state.last_ts.get(sid)
        if last is None or ts > last:
            return False  # the usual case: time moves forward, no file is read
        day = self._state.days.get(day_of(ts))
        if day is None:
            return False
        if day.points is None:
            # A late sample: load that day's points once; keep at most one day's set in memory.
            for other in self._state.days.values():
                other.points = None
            records = await asyncio.to_thread(read_day, dict(day.sizes))
            day.points = {(s, r.ts) for r in records for s, _ in r.samples}
        return (sid, ts) in day.points

    async def _append_day(self, day_start: int, records: list[SegmentRecord]) -> int:
        written = sum(len(record.samples) for record in records)
        floor = self._floors.values.get("floor_raw", MIN_TS)
        if written and day_start in self._rolled and day_start >= floor:
            # The day's rollups no longer hold all its samples: maintenance rolls it again.
            await asyncio.to_thread(self._rollups.unroll, day_start)
            self._rolled.discard(day_start)
        day = self._state.days.get(day_start) or Day(start=day_start)
        path = self._segment_for(day)
        data = b"".join(encode_record(record) for record in records)
        size = await asyncio.to_thread(self._append, path, data)
        self._state.days[day_start] = day
        day.sizes[path] = size
        for record in records:
            self._state.add(day, record)
        return written

    def _segment_for(self, day: Day) -> Path:
        number = 1
        if day.sizes:
            newest = list(day.sizes)[-1]
            if day.sizes[newest] < self._segment_bytes:
                return newest
            number = int(newest.stem.split("-")[1]) + 1
        return self._root / day_name(day.start) / f"segment-{number:06d}.jsonl"

    def _append(self, path: Path, data: bytes) -> int:
        if not path.parent.exists():
            path.parent.mkdir()
            fsync_dir(self._root)
        return append_durably(path, data)

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Answer `query`: raw points (paged), the latest point per series, or aggregates."""
        try:
            return await asyncio.wait_for(self._reader.query(query), self._limits.timeout_s)
        except TimeoutError as exc:
            raise query_timed_out(self._limits) from exc
        except OSError as exc:
            raise StorageError(f"metric query failed: {exc}") from exc

    async def list_series(
        self, *, device: str | None = None, metric: str | None = None
    ) -> list[SeriesInfo]:
        """Return the known series, ordered by device, metric and attributes."""
        refs = self._reader.matching_series(MetricQuery(device=device, metric=metric))
        return series_infos(refs)

    async def maintain(self, *, now: datetime) -> MaintenanceReport:
        """Roll up complete days, then prune by age and size (see file_maintain)."""
        try:
            return await self._maintenance.run(to_millis(now))
        except OSError as exc:
            raise StorageError(f"storage maintenance failed: {exc}") from exc

    async def stats(self) -> StorageStats:
        """Count series, samples, events and rollup rows; give the time span and disk size."""
        bounds = [day.bounds for day in self._state.days.values() if day.bounds is not None]
        r1m, r1h, size = await asyncio.to_thread(self._sizes)
        return StorageStats(
            series=len(self._catalog),
            samples=sum(day.samples for day in self._state.days.values()),
            events=len(self._state.events),
            oldest=from_millis(min(low for low, _ in bounds)) if bounds else None,
            newest=from_millis(max(high for _, high in bounds)) if bounds else None,
            disk_bytes=size,
            rollup_1m_rows=r1m,
            rollup_1h_rows=r1h,
        )

    def _sizes(self) -> tuple[int, int, int]:
        return self._rollups.rows("1m"), self._rollups.rows("1h"), disk_bytes(self._root)


def _fresh_batches(batches: Sequence[MetricBatch], known: dict[str, int]) -> list[MetricBatch]:
    """The batches whose event ids are neither stored nor repeated earlier in `batches`."""
    seen: set[str] = set()
    fresh = []
    for batch in batches:
        event = str(batch.event_id)
        if event not in known and event not in seen:
            seen.add(event)
            fresh.append(batch)
    return fresh


def _lock_directory(root: Path) -> int:
    fd = os.open(root / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise StorageError(f"{root} is already open by another metric store") from exc
    return fd
