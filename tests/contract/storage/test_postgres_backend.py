"""What only the PostgreSQL backend promises: day partitions, partition drops, concurrent writers.

Checked from a separate plain asyncpg connection, not through the store.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import pytest

from services.storage.postgres import PostgresStore
from services.storage.store import RetentionPolicy
from shared.errors import StorageError
from shared.events import MetricQuery
from tests.contract.storage.fleet import CPU, T0, at, batch, generate_fleet, model_rows

pytestmark = pytest.mark.integration


@pytest.fixture
def schema() -> str:
    """A fresh schema name in the session's test database."""
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def admin(postgres_dsn: str, schema: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the test database, looking into `schema`."""
    conn = await asyncpg.connect(postgres_dsn, server_settings={"search_path": schema})
    yield conn
    await conn.close()


async def partitions(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'samples'::regclass ORDER BY 1"
    )
    return [row[0] for row in rows]


async def test_postgres_store_creates_day_partitions_when_days_written(
    postgres_dsn: str, schema: str, admin: asyncpg.Connection
) -> None:
    store = await PostgresStore.open(postgres_dsn, schema=schema)
    try:
        await store.write_batches([batch("r1", at(h * 3600), (CPU, h, {})) for h in range(30)])
    finally:
        await store.close()
    assert await partitions(admin) == ["samples_20260101", "samples_20260102", "samples_20260103"]
    counts = await admin.fetch("SELECT tableoid::regclass::text, count(*) FROM samples GROUP BY 1")
    # T0 is 20:00: four hours on the first day, 24 on the second, two on the third.
    assert sorted((name, n) for name, n in counts) == [
        ("samples_20260101", 4),
        ("samples_20260102", 24),
        ("samples_20260103", 2),
    ]


async def test_postgres_store_drops_partitions_when_retention_passes(
    postgres_dsn: str, schema: str, admin: asyncpg.Connection
) -> None:
    policy = RetentionPolicy(raw=timedelta(days=1))
    store = await PostgresStore.open(postgres_dsn, schema=schema, policy=policy)
    try:
        await store.write_batches([batch("r1", at(d * 86_400), (CPU, d, {})) for d in range(3)])
        report = await store.maintain(now=T0 + timedelta(days=3, hours=1))
        assert report.pruned_raw == 2
        assert [p.value for p in (await store.query(MetricQuery())).points] == [2.0]
        # A late sample for a dropped day gets its partition back, on demand.
        assert await store.write_batches([batch("r1", at(60), (CPU, 9, {}))]) == 1
    finally:
        await store.close()
    assert await partitions(admin) == ["samples_20260101", "samples_20260103"]
    assert await admin.fetchval("SELECT count(*) FROM rollup_1m") == 3


async def test_postgres_store_stores_events_once_when_two_stores_write_them_concurrently(
    postgres_dsn: str, schema: str, admin: asyncpg.Connection
) -> None:
    fleet = generate_fleet(seed=3)
    first = await PostgresStore.open(postgres_dsn, schema=schema)
    second = await PostgresStore.open(postgres_dsn, schema=schema)
    try:
        written = await asyncio.gather(
            *(store.write_batches(fleet[i : i + 10]) for i in range(0, 60, 5)
              for store in (first, second))
        )  # fmt: skip
    finally:
        await first.close()
        await second.close()
    # Overlapping chunks of ten, every batch offered four times: batches 0..64, each once.
    assert sum(written) == len(model_rows(fleet[:65]))
    assert await admin.fetchval("SELECT count(*) FROM samples") == len(model_rows(fleet[:65]))
    assert await admin.fetchval("SELECT count(*) FROM ingested_events") == 65


async def test_postgres_store_refuses_schema_when_version_newer(
    postgres_dsn: str, schema: str, admin: asyncpg.Connection
) -> None:
    store = await PostgresStore.open(postgres_dsn, schema=schema)
    await store.close()
    await admin.execute("UPDATE netvigil_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StorageError, match="newer"):
        await PostgresStore.open(postgres_dsn, schema=schema)


async def test_postgres_store_raises_storage_error_when_server_unreachable() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    with pytest.raises(StorageError, match="opening"):
        await PostgresStore.open("postgresql://postgres@127.0.0.1:1/test", schema="x")


async def test_postgres_store_recreates_partition_when_another_instance_dropped_it(
    postgres_dsn: str, schema: str, admin: asyncpg.Connection
) -> None:
    store = await PostgresStore.open(postgres_dsn, schema=schema)
    try:
        await store.write_batches([batch("r1", at(0), (CPU, 1, {}))])
        await admin.execute("DROP TABLE samples_20260101")  # as another instance's retention
        assert await store.write_batches([batch("r1", at(60), (CPU, 2, {}))]) == 1
        assert [p.value for p in (await store.query(MetricQuery())).points] == [2.0]
    finally:
        await store.close()
