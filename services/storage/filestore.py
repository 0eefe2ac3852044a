"""The plain-file metric store: append-only JSON-lines segments, one directory per UTC day.

    <dir>/LOCK                             held (flock) while a store has the directory open
    <dir>/series.jsonl                     the series catalog (`file_catalog.py`)
    <dir>/<YYYY-MM-DD>/segment-000001.jsonl  one line per stored batch (`file_segments.py`)

Opening scans every segment once: it truncates a torn last line, and rebuilds the index of
ingested event ids and the per-day counts in memory. A write appends one line per batch
to its day's newest segment and fsyncs before it returns; queries read only the days their
range touches, and only up to each segment's committed size. Retention deletes whole day
directories. See docs/storage.md, "Backends".
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from services.storage.file_catalog import SeriesCatalog, SeriesKey
from services.storage.file_segments import (
    SegmentRecord,
    append_durably,
    encode_record,
    fsync_dir,
    read_records,
    recover_lines,
)
from services.storage.store import (
    SeriesInfo,
    canonical_attributes,
    from_millis,
    storable_samples,
    time_bounds,
    to_millis,
)
from shared.catalog import unit_of
from shared.errors import StorageError
from shared.events import MetricBatch, MetricPoint, MetricQuery, MetricQueryResult, StorageStats

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
SEGMENT_BYTES = 64 * 1024 * 1024
_SEGMENT_GLOB = "segment-*.jsonl"


@dataclass(slots=True)
class _Day:
    """What memory knows of one day directory."""

    start: int
    sizes: dict[Path, int] = field(default_factory=dict)  # committed bytes, segment order
    samples: int = 0
    points: set[tuple[int, int]] | None = None  # (series id, ts), loaded only when needed

    def add(self, record: SegmentRecord) -> None:
        self.samples += len(record.samples)
        if self.points is not None:
            self.points.update((sid, record.ts) for sid, _ in record.samples)


@dataclass(slots=True)
class _State:
    """Everything rebuilt from the files at open."""

    days: dict[int, _Day] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)  # event id -> day start
    last_ts: dict[int, int] = field(default_factory=dict)  # series id -> newest ts
    bounds: dict[int, tuple[int, int]] = field(default_factory=dict)  # day -> (min ts, max ts)

    def add(self, day: _Day, record: SegmentRecord) -> None:
        day.add(record)
        self.events[record.event] = day.start
        for sid, _ in record.samples:
            if record.ts > self.last_ts.get(sid, record.ts - 1):
                self.last_ts[sid] = record.ts
        if record.samples:
            low, high = self.bounds.get(day.start, (record.ts, record.ts))
            self.bounds[day.start] = (min(low, record.ts), max(high, record.ts))


class FileStore:
    """A `MetricStore` in a directory of append-only day segments."""

    def __init__(
        self, *, root: Path, lock_fd: int, catalog: SeriesCatalog, state: _State, segment_bytes: int
    ) -> None:
        self._root = root
        self._lock_fd: int | None = lock_fd
        self._catalog = catalog
        self._state = state
        self._segment_bytes = segment_bytes
        self._write_lock = asyncio.Lock()
        self._attributes: dict[int, dict[str, str]] = {}

    @classmethod
    async def open(cls, root: Path, *, segment_bytes: int = SEGMENT_BYTES) -> FileStore:
        """Open (creating if needed) the store in directory `root`, recovering after a crash."""
        try:
            return await asyncio.to_thread(cls._open_sync, root, segment_bytes)
        except OSError as exc:
            raise StorageError(f"opening the file metric store {root} failed: {exc}") from exc

    @classmethod
    def _open_sync(cls, root: Path, segment_bytes: int) -> FileStore:
        root.mkdir(parents=True, exist_ok=True)
        lock_fd = _lock_directory(root)
        try:
            catalog = SeriesCatalog.load(root / "series.jsonl")
            state = _load_days(root)
        except BaseException:
            os.close(lock_fd)
            raise
        log.info("metric store %s open (%d series, %d days)", root, len(catalog), len(state.days))
        return cls(
            root=root, lock_fd=lock_fd, catalog=catalog, state=state, segment_bytes=segment_bytes
        )

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
            by_day.setdefault(_day_of(record.ts), []).append(record)
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
        day = self._state.days.get(_day_of(ts))
        if day is None:
            return False
        if day.points is None:
            # A late sample: load that day's points once; keep at most one day's set in memory.
            for other in self._state.days.values():
                other.points = None
            records = await asyncio.to_thread(_read_day, dict(day.sizes))
            day.points = {(s, r.ts) for r in records for s, _ in r.samples}
        return (sid, ts) in day.points

    async def _append_day(self, day_start: int, records: list[SegmentRecord]) -> int:
        day = self._state.days.get(day_start) or _Day(start=day_start)
        path = self._segment_for(day)
        data = b"".join(encode_record(record) for record in records)
        size = await asyncio.to_thread(self._append, path, data)
        self._state.days[day_start] = day
        day.sizes[path] = size
        for record in records:
            self._state.add(day, record)
        return sum(len(record.samples) for record in records)

    def _segment_for(self, day: _Day) -> Path:
        if day.sizes:
            newest = list(day.sizes)[-1]
            if day.sizes[newest] < self._segment_bytes:
                return newest
            number = int(newest.stem.split("-")[1]) + 1
        else:
            number = 1
        return self._root / _day_name(day.start) / f"segment-{number:06d}.jsonl"

    def _append(self, path: Path, data: bytes) -> int:
        if not path.parent.exists():
            path.parent.mkdir()
            fsync_dir(self._root)
        return append_durably(path, data)

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Return the points matching `query`, ordered by time then series."""
        start, end = time_bounds(query)
        wanted = self._matching_series(query.device, query.metric, query.attributes)
        found: list[tuple[int, int, float]] = []
        for day in self._days_between(start, end):
            if not wanted:
                break
            records = await self._read_day(day)
            found += sorted(
                (r.ts, sid, value)
                for r in records
                if (start is None or r.ts >= start) and (end is None or r.ts < end)
                for sid, value in r.samples
                if sid in wanted
            )
            if len(found) > query.limit:
                break  # later days only hold later points
        points = [self._point(sid, ts, value) for ts, sid, value in found[: query.limit]]
        return MetricQueryResult(points=points, truncated=len(found) > query.limit)

    async def _read_day(self, day: _Day) -> list[SegmentRecord]:
        try:
            return await asyncio.to_thread(_read_day, dict(day.sizes))
        except OSError as exc:
            raise StorageError(f"reading metric day {_day_name(day.start)} failed: {exc}") from exc

    def _days_between(self, start: int | None, end: int | None) -> list[_Day]:
        return [
            self._state.days[d]
            for d in sorted(self._state.days)
            if (start is None or d + DAY_MS > start) and (end is None or d < end)
        ]

    def _matching_series(
        self, device: str | None, metric: str | None, attributes: dict[str, str]
    ) -> set[int]:
        return {
            sid
            for sid, (dev, met, _) in self._catalog.items()
            if (device is None or dev == device)
            and (metric is None or met == metric)
            and all(self._attributes_of(sid).get(k) == v for k, v in attributes.items())
        }

    def _attributes_of(self, sid: int) -> dict[str, str]:
        if sid not in self._attributes:
            attributes: dict[str, str] = json.loads(self._catalog.key_of(sid)[2])
            self._attributes[sid] = attributes
        return self._attributes[sid]

    def _point(self, sid: int, ts: int, value: float) -> MetricPoint:
        device, metric, _ = self._catalog.key_of(sid)
        return MetricPoint(
            device=device,
            metric=metric,
            unit=unit_of(metric),
            ts=from_millis(ts),
            value=value,
            attributes=dict(self._attributes_of(sid)),
        )

    async def list_series(
        self, *, device: str | None = None, metric: str | None = None
    ) -> list[SeriesInfo]:
        """Return the known series, ordered by device, metric and attributes."""
        keys = sorted(
            self._catalog.key_of(sid) for sid in self._matching_series(device, metric, {})
        )
        return [
            SeriesInfo(device=d, metric=m, attributes=json.loads(a), unit=unit_of(m))
            for d, m, a in keys
        ]

    async def stats(self) -> StorageStats:
        """Count series, samples and events, and give the oldest and newest sample."""
        bounds = self._state.bounds.values()
        return StorageStats(
            series=len(self._catalog),
            samples=sum(day.samples for day in self._state.days.values()),
            events=len(self._state.events),
            oldest=from_millis(min(low for low, _ in bounds)) if bounds else None,
            newest=from_millis(max(high for _, high in bounds)) if bounds else None,
        )

    async def drop_raw_before(self, cutoff_ms: int) -> int:
        """Delete the day directories wholly before `cutoff_ms`; return how many."""
        async with self._write_lock:
            doomed = [d for d in sorted(self._state.days) if d + DAY_MS <= cutoff_ms]
            for day_start in doomed:
                await asyncio.to_thread(shutil.rmtree, self._root / _day_name(day_start))
                del self._state.days[day_start]
                self._state.bounds.pop(day_start, None)
            if doomed:
                await asyncio.to_thread(fsync_dir, self._root)
                gone = set(doomed)
                events = self._state.events
                self._state.events = {e: d for e, d in events.items() if d not in gone}
        return len(doomed)


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


def _load_days(root: Path) -> _State:
    state = _State()
    for path in sorted(root.iterdir()):
        day_start = _parse_day(path.name) if path.is_dir() else None
        if day_start is None:
            continue
        day = _Day(start=day_start)
        state.days[day_start] = day
        for segment in sorted(path.glob(_SEGMENT_GLOB)):
            records, size = recover_lines(segment)
            day.sizes[segment] = size
            for record in records:
                state.add(day, record)
    return state


def _read_day(sizes: dict[Path, int]) -> list[SegmentRecord]:
    return [record for path, size in sizes.items() for record in read_records(path, size)]


def _day_of(ts: int) -> int:
    return ts - ts % DAY_MS


def _day_name(day_start: int) -> str:
    return from_millis(day_start).strftime("%Y-%m-%d")


def _parse_day(name: str) -> int | None:
    try:
        day = datetime.strptime(name, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(day.timestamp()) * 1000
