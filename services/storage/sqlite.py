"""The embedded metric store: SQLite in WAL mode through aiosqlite.

Samples live in a WITHOUT ROWID table keyed by (series_id, ts), so one series is stored
contiguously and a range query reads it without a second lookup; series identities sit in
a small `series` table. The writer and the reader are separate connections: WAL lets
queries read the last committed state while a write transaction is open.
See docs/storage.md for the schema and the ingest guarantees.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from services.storage.aggregate import bucket_start
from services.storage.query import query_timed_out, series_infos
from services.storage.sqlite_maintain import MINUTE_MS, SqliteMaintenance
from services.storage.sqlite_query import SqliteReader
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

SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id          INTEGER PRIMARY KEY,
    device      TEXT NOT NULL,
    metric      TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    UNIQUE (device, metric, attributes)
);
CREATE INDEX IF NOT EXISTS series_by_metric ON series (metric);
CREATE TABLE IF NOT EXISTS samples (
    series_id   INTEGER NOT NULL,
    ts          INTEGER NOT NULL,
    value       REAL NOT NULL,
    PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ingested_events (
    event_id     TEXT PRIMARY KEY,
    device       TEXT NOT NULL,
    collected_at INTEGER NOT NULL,
    ingested_at  INTEGER NOT NULL,
    samples      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ingested_events_by_time ON ingested_events (ingested_at);
CREATE TABLE IF NOT EXISTS rollup_1m (
    series_id INTEGER NOT NULL, start INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
    sum REAL NOT NULL, count INTEGER NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL,
    PRIMARY KEY (series_id, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_1h (
    series_id INTEGER NOT NULL, start INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
    sum REAL NOT NULL, count INTEGER NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL,
    PRIMARY KEY (series_id, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_dirty (start INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""
CACHE_KIB = 65_536  # page cache per connection (64 MiB): bounded, and enough for 10k series
# 5 bound values per event row; stay far below SQLite's 32766-variable limit.
_EVENT_ROWS_PER_STATEMENT = 1000

SeriesKey = tuple[str, str, str]


class SqliteStore:
    """A `MetricStore` in one SQLite file."""

    def __init__(
        self, *, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: Path,
        policy: RetentionPolicy, limits: QueryLimits,
    ) -> None:
        self._writer = writer
        self._reader_db = reader
        self._path = path
        self._limits = limits
        self._series_ids: dict[SeriesKey, int] = {}
        # Ingest and maintenance share the writer connection: one transaction at a time.
        self._lock = asyncio.Lock()
        self._marks: dict[str, int] = {}
        self._reader = SqliteReader(db=reader, limits=limits)
        self._maintenance = SqliteMaintenance(
            db=writer, lock=self._lock, policy=policy, marks=self._marks
        )

    @classmethod
    async def open(
        cls, path: Path, *, policy: RetentionPolicy | None = None, limits: QueryLimits | None = None
    ) -> SqliteStore:
        """Open (creating if needed) the database at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await _prepare_schema(writer)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        await reader.execute("PRAGMA query_only = ON")
        store = cls(writer=writer, reader=reader, path=path,
                    policy=policy or RetentionPolicy(), limits=limits or QueryLimits())
        await store._load_state()
        log.info("metric store %s open (%d series)", path, len(store._series_ids))
        return store

    async def close(self) -> None:
        """Close both connections."""
        await self._reader_db.close()
        await self._writer.close()

    async def _load_state(self) -> None:
        rows = await self._writer.execute_fetchall(
            "SELECT id, device, metric, attributes FROM series"
        )
        self._series_ids = {(r[1], r[2], r[3]): r[0] for r in rows}
        marks = await self._writer.execute_fetchall("SELECT name, value FROM marks")
        self._marks.update({name: value for name, value in marks})

    async def write_batches(self, batches: Sequence[MetricBatch]) -> int:
        """Store the batches whose event ids are new, in one transaction; return new samples."""
        if not batches:
            return 0
        new_series: dict[SeriesKey, int] = {}
        async with self._lock:
            return await self._write_locked(batches, new_series)

    async def _write_locked(
        self, batches: Sequence[MetricBatch], new_series: dict[SeriesKey, int]
    ) -> int:
        try:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                written = await self._write(batches, new_series)
                await self._writer.commit()
            except BaseException:
                await self._writer.rollback()
                raise
        except sqlite3.Error as exc:
            raise StorageError(f"writing {len(batches)} metric batches failed: {exc}") from exc
        # Only now are the new ids real: a rolled-back transaction must not poison the cache.
        self._series_ids.update(new_series)
        return written

    async def _write(self, batches: Sequence[MetricBatch], new_series: dict[SeriesKey, int]) -> int:
        fresh = await self._record_events(batches)
        rows: list[tuple[int, int, float]] = []
        for batch in batches:
            if str(batch.event_id) not in fresh:
                continue
            ts = to_millis(batch.collected_at)
            for sample in storable_samples(batch):
                key = (batch.device, sample.metric, canonical_attributes(sample.attributes))
                # Known series (nearly all of them) skip the coroutine: this loop runs per sample.
                series_id = self._series_ids.get(key) or await self._series_id(key, new_series)
                rows.append((series_id, ts, sample.value))
        if not rows:
            return 0
        # A second sample for the same series and instant keeps the first: one value per point.
        cursor = await self._writer.executemany(
            "INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            rows,
        )
        await self._mark_late(rows)
        skipped = len(batches) - len(fresh)
        if skipped:
            log.info("skipped %d already ingested metric batches", skipped)
        return cursor.rowcount

    async def _mark_late(self, rows: Sequence[tuple[int, int, float]]) -> None:
        """Record minutes that are already rolled up but just got a sample, to roll again."""
        rolled = self._marks.get("watermark_1m")
        if rolled is None:
            return
        floor = self._marks.get("floor_raw", -(2**62))
        late = {bucket_start(ts, MINUTE_MS) for _, ts, _ in rows if floor <= ts < rolled}
        if late:
            await self._writer.executemany(
                "INSERT OR IGNORE INTO rollup_dirty (start) VALUES (?)", [(b,) for b in late]
            )

    async def _record_events(self, batches: Sequence[MetricBatch]) -> set[str]:
        """Insert one row per event; return the event ids that were not there before."""
        now = int(time.time() * 1000)
        fresh: set[str] = set()
        for chunk in _chunks(batches, _EVENT_ROWS_PER_STATEMENT):
            placeholders = ",".join(["(?, ?, ?, ?, ?)"] * len(chunk))
            params: list[Any] = []
            for batch in chunk:
                params += [
                    str(batch.event_id),
                    batch.device,
                    to_millis(batch.collected_at),
                    now,
                    len(storable_samples(batch)),
                ]
            rows = await self._writer.execute_fetchall(
                "INSERT INTO ingested_events (event_id, device, collected_at, ingested_at, samples)"
                f" VALUES {placeholders} ON CONFLICT DO NOTHING RETURNING event_id",
                params,
            )
            fresh.update(row[0] for row in rows)
        return fresh

    async def _series_id(self, key: SeriesKey, new_series: dict[SeriesKey, int]) -> int:
        known = self._series_ids.get(key, new_series.get(key))
        if known is not None:
            return known
        rows = await self._writer.execute_fetchall(
            # The no-op update makes RETURNING answer even if another writer added the row.
            "INSERT INTO series (device, metric, attributes) VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET device = excluded.device RETURNING id",
            key,
        )
        series_id = int(next(iter(rows))[0])
        new_series[key] = series_id
        return series_id

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Answer `query`; a query still running after the timeout is interrupted (QueryError)."""
        task = asyncio.ensure_future(self._reader.query(query, dict(self._marks)))
        done, _ = await asyncio.wait({task}, timeout=self._limits.timeout_s)
        if not done:
            await self._reader_db.interrupt()
            await asyncio.wait({task})
            if not task.cancelled() and task.exception() is None:
                return task.result()  # finished just as it was interrupted
            task.exception() if not task.cancelled() else None
            raise query_timed_out(self._limits)
        return task.result()

    async def list_series(
        self, *, device: str | None = None, metric: str | None = None
    ) -> list[SeriesInfo]:
        """Return the known series, ordered by device, metric and attributes."""
        refs = await self._reader.matching_series(MetricQuery(device=device, metric=metric))
        return series_infos(refs)

    async def maintain(self, *, now: datetime) -> MaintenanceReport:
        """Roll up complete minutes and hours, then prune by age and size."""
        try:
            return await self._maintenance.run(to_millis(now))
        except sqlite3.Error as exc:
            raise StorageError(f"storage maintenance failed: {exc}") from exc

    async def stats(self) -> StorageStats:
        """Count series, samples, events and rollups; find the oldest and newest sample."""
        # min/max per series is one index seek each; a global min(ts) would scan every sample.
        rows = await self._read(
            "SELECT (SELECT count(*) FROM series), (SELECT count(*) FROM samples),"
            " (SELECT count(*) FROM ingested_events),"
            " (SELECT min((SELECT min(ts) FROM samples WHERE series_id = s.id)) FROM series s),"
            " (SELECT max((SELECT max(ts) FROM samples WHERE series_id = s.id)) FROM series s),"
            " (SELECT count(*) FROM rollup_1m), (SELECT count(*) FROM rollup_1h)",
            [],
        )
        series, samples, events, oldest, newest, r1m, r1h = rows[0]
        return StorageStats(
            series=series, samples=samples, events=events,
            oldest=from_millis(oldest) if oldest is not None else None,
            newest=from_millis(newest) if newest is not None else None,
            disk_bytes=self.disk_bytes(), rollup_1m_rows=r1m, rollup_1h_rows=r1h,
        )

    def disk_bytes(self) -> int:
        """Bytes of the database file and its write-ahead log on disk."""
        total = 0
        for suffix in ("", "-wal", "-shm"):
            part = self._path.with_name(self._path.name + suffix)
            total += part.stat().st_size if part.exists() else 0
        return total

    async def _read(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        try:
            return list(await self._reader_db.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StorageError(f"metric query failed: {exc}") from exc


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: transactions are explicit (BEGIN ... COMMIT), never implicit.
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute("PRAGMA busy_timeout = 5000")
    # Each poll appends to the end of every series' key range, so the hot set is about one
    # leaf page per series; SQLite's default 2 MiB cache thrashes past ~500 series.
    await db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return db


async def _prepare_schema(db: aiosqlite.Connection) -> None:
    version_rows = await db.execute_fetchall("PRAGMA user_version")
    version = next(iter(version_rows))[0]
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"database schema version {version} is newer than this netvigil ({SCHEMA_VERSION})"
        )
    # Fewer, larger checkpoints: measured +35 % insert rate (see perf-baseline).
    await db.execute("PRAGMA wal_autocheckpoint = 10000")
    await db.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")


def _chunks(items: Sequence[MetricBatch], size: int) -> Iterator[Sequence[MetricBatch]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]
