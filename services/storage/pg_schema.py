"""The PostgreSQL metric schema and its daily partitions of the samples table.

Samples are partitioned by range on `ts` (epoch milliseconds), one partition per UTC day,
created on demand before a write needs it. Retention then drops whole partitions, which
costs the same whatever they hold and leaves no dead rows behind for VACUUM.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

from services.storage.store import from_millis
from shared.errors import StorageError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DAY_MS = 86_400_000

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS netvigil_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS series (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device      TEXT NOT NULL,
    metric      TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    attrs       JSONB GENERATED ALWAYS AS (attributes::jsonb) STORED,
    UNIQUE (device, metric, attributes)
);
CREATE INDEX IF NOT EXISTS series_by_metric ON series (metric);
CREATE INDEX IF NOT EXISTS series_by_attrs ON series USING gin (attrs jsonb_path_ops);
CREATE TABLE IF NOT EXISTS samples (
    series_id   BIGINT NOT NULL,
    ts          BIGINT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE IF NOT EXISTS ingested_events (
    event_id     UUID PRIMARY KEY,
    device       TEXT NOT NULL,
    collected_at BIGINT NOT NULL,
    ingested_at  BIGINT NOT NULL,
    samples      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ingested_events_by_time ON ingested_events (ingested_at);
CREATE TABLE IF NOT EXISTS rollup_1m (
    series_id BIGINT NOT NULL, start BIGINT NOT NULL,
    min DOUBLE PRECISION NOT NULL, max DOUBLE PRECISION NOT NULL, sum DOUBLE PRECISION NOT NULL,
    count BIGINT NOT NULL, last DOUBLE PRECISION NOT NULL, last_ts BIGINT NOT NULL,
    PRIMARY KEY (series_id, start)
);
CREATE TABLE IF NOT EXISTS rollup_1h (LIKE rollup_1m INCLUDING ALL);
CREATE TABLE IF NOT EXISTS rolled_days (day BIGINT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
"""

_PARTITION_NAME = re.compile(r"^samples_(\d{8})$")


def day_of(ts: int) -> int:
    """The first millisecond of the UTC day holding `ts`."""
    return ts - ts % DAY_MS


def partition_name(day_start: int) -> str:
    """The partition table of the day starting at `day_start`: samples_YYYYMMDD."""
    return "samples_" + from_millis(day_start).strftime("%Y%m%d")


def partition_day(name: str) -> int | None:
    """The day start of a partition name, or None when the name is not one of ours."""
    match = _PARTITION_NAME.match(name)
    if match is None:
        return None
    day = datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC)
    return int(day.timestamp()) * 1000


async def prepare_schema(conn: asyncpg.Connection, schema: str) -> None:
    """Create the schema and its tables if missing; refuse a newer schema version."""
    # An advisory lock serialises two stores starting at once on the same database.
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "netvigil:" + schema)
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
        await conn.execute(f"SET LOCAL search_path TO {quote_ident(schema)}")
        await conn.execute(SCHEMA_SQL)
        found = await conn.fetchval("SELECT value FROM netvigil_meta WHERE key = 'schema_version'")
        if found is not None and int(found) > SCHEMA_VERSION:
            raise StorageError(
                f"database schema version {found} is newer than this netvigil ({SCHEMA_VERSION})"
            )
        await conn.execute(
            "INSERT INTO netvigil_meta (key, value) VALUES ('schema_version', $1)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            str(SCHEMA_VERSION),
        )


async def existing_partitions(conn: asyncpg.Connection) -> set[int]:
    """Day starts of the samples partitions that exist now."""
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'samples'::regclass"
    )
    days = (partition_day(row[0]) for row in rows)
    return {day for day in days if day is not None}


async def create_partition(conn: asyncpg.Connection, day_start: int) -> None:
    """Create the partition of one day unless it exists (another writer may race us)."""
    name = partition_name(day_start)
    try:
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF samples"
            f" FOR VALUES FROM ({day_start}) TO ({day_start + DAY_MS})"
        )
    except (asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
        # Two writers created it at the same moment; IF NOT EXISTS checks before locking.
        log.debug("partition %s was created concurrently", name)


async def drop_partitions_before(conn: asyncpg.Connection, cutoff: int) -> list[int]:
    """Drop every day partition that ends at or before `cutoff`; return their day starts."""
    dropped = []
    for day in sorted(await existing_partitions(conn)):
        if day + DAY_MS <= cutoff:
            await conn.execute(f"DROP TABLE IF EXISTS {partition_name(day)}")
            dropped.append(day)
    return dropped


def quote_ident(name: str) -> str:
    """`name` quoted as a PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'
