"""The metric store for fleets that outgrow one machine: PostgreSQL through asyncpg.

The schema mirrors SQLite's (integer series ids, samples keyed by (series_id, ts), an
`ingested_events` table) with the samples table partitioned by day (`pg_schema.py`).
A write is one transaction: record the event ids (`ON CONFLICT DO NOTHING RETURNING`),
look up or create the series, COPY the new samples into a per-connection staging table and
move them into `samples` with one `INSERT ... SELECT ... ON CONFLICT DO NOTHING`.
Reads are in `pg_query.py`, rollups and retention in `pg_maintain.py`.
See docs/storage.md, "Backends".
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

from services.storage.pg_maintain import DISK_BYTES, PgMaintenance
from services.storage.pg_query import PgReader
from services.storage.pg_schema import (
    create_partition,
    day_of,
    existing_partitions,
    prepare_schema,
)
from services.storage.query import MIN_TS, series_infos
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

SeriesKey = tuple[str, str, str]

_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS nv_staging"
    " (seq INTEGER, series_id BIGINT, ts BIGINT, value DOUBLE PRECISION) ON COMMIT DELETE ROWS"
)
_STAGING_COLUMNS = ("seq", "series_id", "ts", "value")


@asynccontextmanager
async def mapped_postgres_errors(what: str) -> AsyncIterator[None]:
    """Translate asyncpg and connection failures into StorageError naming `what`."""
    try:
        yield
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise StorageError(f"{what} failed: {exc}") from exc


class PostgresStore:
    """A `MetricStore` in one PostgreSQL schema."""

    def __init__(
        self, *, pool: asyncpg.Pool, schema: str, policy: RetentionPolicy, limits: QueryLimits
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._partitions: set[int] = set()
        self._series_ids: dict[SeriesKey, int] = {}
        self._reader = PgReader(pool=pool, limits=limits)
        self._maintenance = PgMaintenance(pool=pool, schema=schema, policy=policy)

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        schema: str = "public",
        policy: RetentionPolicy | None = None,
        limits: QueryLimits | None = None,
        max_connections: int = 4,
    ) -> PostgresStore:
        """Connect to `dsn` and prepare `schema` (created if missing)."""
        async with mapped_postgres_errors(f"opening the PostgreSQL metric store {schema}"):
            conn = await asyncpg.connect(dsn)
            try:
                await prepare_schema(conn, schema)
            finally:
                await conn.close()
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=max_connections,
                server_settings={"search_path": schema},
                init=_init_connection,
            )
        store = cls(
            pool=pool,
            schema=schema,
            policy=policy or RetentionPolicy(),
            limits=limits or QueryLimits(),
        )
        try:
            await store._load_state()
        except BaseException:
            await pool.close()
            raise
        log.info("metric store postgres schema %s open (%d series)", schema, len(store._series_ids))
        return store

    async def close(self) -> None:
        """Close the connection pool."""
        await self._pool.close()

    async def _load_state(self) -> None:
        async with mapped_postgres_errors("loading series"), self._pool.acquire() as conn:
            rows = await conn.fetch("SELECT id, device, metric, attributes FROM series")
            self._series_ids = {(r[1], r[2], r[3]): r[0] for r in rows}
            self._partitions = await existing_partitions(conn)

    async def write_batches(self, batches: Sequence[MetricBatch]) -> int:
        """Store the batches whose event ids are new, in one transaction; return new samples."""
        if not batches:
            return 0
        new_series: dict[SeriesKey, int] = {}
        days = {day_of(to_millis(batch.collected_at)) for batch in batches}
        async with (
            mapped_postgres_errors(f"writing {len(batches)} metric batches"),
            self._pool.acquire() as conn,
        ):
            await self._ensure_partitions(conn, days)
            try:
                async with conn.transaction():
                    written = await self._write(conn, batches, new_series)
            except asyncpg.CheckViolationError:
                # "No partition for row": another instance dropped a day we thought we had.
                new_series.clear()
                self._partitions = await existing_partitions(conn)
                await self._ensure_partitions(conn, days)
                async with conn.transaction():
                    written = await self._write(conn, batches, new_series)
        # Only now are the new ids real: a rolled-back transaction must not poison the cache.
        self._series_ids.update(new_series)
        return written

    async def _ensure_partitions(self, conn: asyncpg.Connection, days: Iterable[int]) -> None:
        # Outside the write transaction: DDL would hold its locks until the commit.
        for day in sorted(set(days) - self._partitions):
            await create_partition(conn, day)
            self._partitions.add(day)

    async def _write(
        self,
        conn: asyncpg.Connection,
        batches: Sequence[MetricBatch],
        new_series: dict[SeriesKey, int],
    ) -> int:
        fresh = await _record_events(conn, batches)
        skipped = len({batch.event_id for batch in batches}) - len(fresh)
        if skipped:
            log.info("skipped %d already ingested metric batches", skipped)
        rows: list[tuple[int, SeriesKey, float]] = []
        for batch in batches:
            if batch.event_id not in fresh:
                continue
            fresh.discard(batch.event_id)  # the same event twice in one call is written once
            ts = to_millis(batch.collected_at)
            for sample in storable_samples(batch):
                key = (batch.device, sample.metric, canonical_attributes(sample.attributes))
                rows.append((ts, key, sample.value))
        if not rows:
            return 0
        ids = await self._series_id_map(conn, [key for _, key, _ in rows], new_series)
        records = [(seq, ids[key], ts, value) for seq, (ts, key, value) in enumerate(rows)]
        await conn.copy_records_to_table("nv_staging", records=records, columns=_STAGING_COLUMNS)
        # A second sample for the same series and instant keeps the first: one value per point.
        status = await conn.execute(
            "INSERT INTO samples (series_id, ts, value)"
            " SELECT series_id, ts, value FROM nv_staging ORDER BY seq ON CONFLICT DO NOTHING"
        )
        written = int(status.split()[-1])
        if written:
            await _unroll_days(conn, {day_of(ts) for ts, _, _ in rows})
        return written

    async def _series_id_map(
        self,
        conn: asyncpg.Connection,
        keys: Sequence[SeriesKey],
        new_series: dict[SeriesKey, int],
    ) -> dict[SeriesKey, int]:
        """Ids of every key, creating series in first-seen order so ids follow arrival."""
        ordered = list(dict.fromkeys(keys))
        unknown = [key for key in ordered if key not in self._series_ids]
        if unknown:
            columns = [list(column) for column in zip(*unknown, strict=True)]
            await conn.execute(
                "INSERT INTO series (device, metric, attributes)"
                " SELECT d, m, a FROM unnest($1::text[], $2::text[], $3::text[])"
                " WITH ORDINALITY AS u(d, m, a, n) ORDER BY n"
                " ON CONFLICT (device, metric, attributes) DO NOTHING",
                *columns,
            )
            found = await conn.fetch(
                "SELECT s.id, s.device, s.metric, s.attributes FROM series AS s"
                " JOIN unnest($1::text[], $2::text[], $3::text[]) AS u(d, m, a)"
                " ON s.device = u.d AND s.metric = u.m AND s.attributes = u.a",
                *columns,
            )
            new_series.update({(r[1], r[2], r[3]): r[0] for r in found})
        return {key: self._series_ids.get(key) or new_series[key] for key in ordered}

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Answer `query`: raw points (paged), the latest point per series, or aggregates."""
        return await self._reader.query(query)

    async def list_series(
        self, *, device: str | None = None, metric: str | None = None
    ) -> list[SeriesInfo]:
        """Return the known series, ordered by device, metric and attributes."""
        refs = await self._reader.matching_series(MetricQuery(device=device, metric=metric))
        return series_infos(refs)

    async def maintain(self, *, now: datetime) -> MaintenanceReport:
        """Roll up complete days, then prune by age and size (see pg_maintain)."""
        async with mapped_postgres_errors("storage maintenance"):
            report = await self._maintenance.run(to_millis(now))
        # Dropped partitions are created again on demand by a late write.
        await self._load_state()
        return report

    async def stats(self) -> StorageStats:
        """Count series, samples and events, and find the oldest and newest sample."""
        rows = await self._fetch(
            "storage stats",
            "SELECT (SELECT count(*) FROM series), (SELECT count(*) FROM samples),"
            " (SELECT count(*) FROM ingested_events),"
            # min/max per series is one index seek per partition; a global min(ts) scans all.
            " (SELECT min(m.ts) FROM series AS s CROSS JOIN LATERAL"
            "   (SELECT min(ts) AS ts FROM samples WHERE series_id = s.id) AS m),"
            " (SELECT max(m.ts) FROM series AS s CROSS JOIN LATERAL"
            "   (SELECT max(ts) AS ts FROM samples WHERE series_id = s.id) AS m),"
            " (SELECT count(*) FROM rollup_1m), (SELECT count(*) FROM rollup_1h),"
            f" ({DISK_BYTES})",
            [],
        )
        series, samples, events, oldest, newest, r1m, r1h, disk = rows[0]
        return StorageStats(
            series=series,
            samples=samples,
            events=events,
            oldest=from_millis(oldest) if oldest is not None else None,
            newest=from_millis(newest) if newest is not None else None,
            disk_bytes=disk,
            rollup_1m_rows=r1m,
            rollup_1h_rows=r1h,
        )

    async def _fetch(self, what: str, sql: str, params: Sequence[Any]) -> list[asyncpg.Record]:
        async with mapped_postgres_errors(what), self._pool.acquire() as conn:
            return list(await conn.fetch(sql, *params))


async def _unroll_days(conn: asyncpg.Connection, days: set[int]) -> None:
    """Mark days that got new samples for rolling up again (those whose raw data is kept)."""
    await conn.execute(
        "DELETE FROM rolled_days WHERE day = ANY($1::bigint[])"
        " AND day >= coalesce((SELECT value FROM marks WHERE name = 'floor_raw'), $2)",
        sorted(days),
        MIN_TS,
    )


async def _record_events(conn: asyncpg.Connection, batches: Sequence[MetricBatch]) -> set[UUID]:
    """Insert one row per event; return the event ids that were not there before."""
    now = int(time.time() * 1000)
    rows = await conn.fetch(
        "INSERT INTO ingested_events (event_id, device, collected_at, ingested_at, samples)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::int[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        [batch.event_id for batch in batches],
        [batch.device for batch in batches],
        [to_millis(batch.collected_at) for batch in batches],
        [now] * len(batches),
        [len(storable_samples(batch)) for batch in batches],
    )
    return {row[0] for row in rows}


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Temporary tables live as long as the connection; pool resets do not drop them.
    await conn.execute(_STAGING)
