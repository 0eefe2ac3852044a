"""The storage service in-process: published batches become points served over RPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.storage import app
from shared.bus import Bus
from shared.errors import RpcError
from shared.events import (
    MetricBatch,
    MetricQuery,
    MetricQueryResult,
    MetricSample,
    StorageStats,
    StorageStatsQuery,
)
from shared.settings import NatsSettings, NetvigilSettings, StorageSettings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
IO = "system.network.io"


@pytest.fixture
async def service(
    bus: Bus, nats_settings: NatsSettings, tmp_path: Path
) -> AsyncIterator[NetvigilSettings]:
    """The storage service running on the test bus until the test ends."""
    settings = NetvigilSettings(
        data_dir=tmp_path / "data",
        nats=nats_settings,
        # The batches are dated 2026-01-01: retention must not prune them while we look.
        storage=StorageSettings(
            durable_name="storage-svc-test", batch_messages=10, raw_retention_h=1e6
        ),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, bus, stop))
    await wait_for_stats(bus, events=0)  # the RPC endpoint answers: the service is up
    yield settings
    stop.set()
    await asyncio.wait_for(task, 10)


async def wait_for_stats(bus: Bus, *, events: int) -> StorageStats:
    """Ask for stats until the store holds `events` events (bounded in count and time)."""
    subject = bus.subjects.rpc_storage("stats")
    stats = None
    for _ in range(100):
        try:
            stats = await bus.request(subject, StorageStatsQuery(), StorageStats)
        except Exception:  # noqa: BLE001 - not subscribed yet; ask again
            stats = None
        if stats is not None and stats.events == events:
            return stats
        await asyncio.sleep(0.05)
    raise AssertionError(f"storage never reached {events} events; last stats {stats}")


async def test_service_answers_query_with_units_when_batches_published(
    bus: Bus, service: NetvigilSettings
) -> None:
    for seconds, value in ((0, 1500.0), (10, 2500.0)):
        await bus.publish(
            bus.subjects.metrics("edge1"),
            MetricBatch(
                device="edge1",
                collected_at=T0 + timedelta(seconds=seconds),
                samples=[
                    MetricSample(metric=IO, value=value, attributes={"interface": "eth0"}),
                    MetricSample(metric="system.memory.utilization", value=0.5),
                ],
            ),
        )
    stats = await wait_for_stats(bus, events=2)
    assert (stats.series, stats.samples, stats.oldest, stats.newest) == (
        2, 4, T0, T0 + timedelta(seconds=10)
    )
    result = await bus.request(
        bus.subjects.rpc_storage("query"), MetricQuery(device="edge1", metric=IO), MetricQueryResult
    )
    assert [(p.ts, p.value, p.unit, p.attributes) for p in result.points] == [
        (T0, 1500.0, "By/s", {"interface": "eth0"}),
        (T0 + timedelta(seconds=10), 2500.0, "By/s", {"interface": "eth0"}),
    ]
    assert service.sqlite_path.is_file()


async def test_service_answers_400_when_query_malformed(
    bus: Bus, service: NetvigilSettings
) -> None:
    subject = bus.subjects.rpc_storage("query")
    reply = await bus.nc.request(subject, b'{"limit": "many", "colour": "red"}', timeout=2)
    assert reply.headers is not None
    assert reply.headers["Nats-Service-Error-Code"] == "400"
    assert "limit" in reply.headers["Nats-Service-Error"]
    assert "colour" in reply.headers["Nats-Service-Error"]


async def test_service_answers_400_when_time_range_empty(
    bus: Bus, service: NetvigilSettings
) -> None:
    query = MetricQuery(start=T0, end=T0 - timedelta(seconds=1))
    with pytest.raises(RpcError) as info:
        await bus.request(bus.subjects.rpc_storage("query"), query, MetricQueryResult)
    assert info.value.code == 400
    assert "must be after start" in info.value.message
