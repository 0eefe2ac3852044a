"""The storage service on every backend: batches published on the bus are served over RPC."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.storage import app
from shared.bus import Bus
from shared.events import MetricQuery, MetricQueryResult, StorageStats, StorageStatsQuery
from shared.settings import NatsSettings, NetvigilSettings, StorageSettings
from tests.contract.storage.fleet import generate_fleet, model_rows, result_rows

pytestmark = pytest.mark.integration

# JSON on the bus cannot carry NaN or infinities (pydantic writes null, which then fails
# validation), so the bus fleet keeps only finite samples; stores drop them anyway.
FLEET = [
    b.model_copy(update={"samples": [s for s in b.samples if math.isfinite(s.value)]})
    for b in generate_fleet(seed=41)[:30]
]


@pytest.fixture
def storage_settings(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> StorageSettings:
    """Storage settings selecting `backend`; fleet dates must outlive raw retention."""
    dsn = request.getfixturevalue("own_database_dsn") if backend == "postgres" else None
    return StorageSettings(
        backend=backend,  # type: ignore[arg-type]  # one of the three literals
        postgres_dsn=dsn,
        durable_name=f"storage-{backend}",
        batch_messages=7,
        raw_retention_h=1e6,
    )


@pytest.fixture
async def service(
    bus: Bus, nats_settings: NatsSettings, tmp_path: Path, storage_settings: StorageSettings
) -> AsyncIterator[None]:
    """The storage service running on the test bus until the test ends."""
    settings = NetvigilSettings(
        data_dir=tmp_path / "data", nats=nats_settings, storage=storage_settings
    )
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, bus, stop))
    await stats_when(bus, events=0)
    yield
    stop.set()
    await asyncio.wait_for(task, 10)


async def stats_when(bus: Bus, *, events: int) -> StorageStats:
    """Ask for stats until the store holds `events` events (bounded in count and time)."""
    stats = None
    for _ in range(200):
        try:
            stats = await bus.request(
                bus.subjects.rpc_storage("stats"), StorageStatsQuery(), StorageStats
            )
        except Exception:  # noqa: BLE001 - the service is not subscribed yet; ask again
            stats = None
        if stats is not None and stats.events == events:
            return stats
        await asyncio.sleep(0.05)
    raise AssertionError(f"storage never reached {events} events; last stats {stats}")


async def test_service_serves_published_batches_when_backend_selected(
    bus: Bus, service: None
) -> None:
    for b in FLEET:
        await bus.publish(bus.subjects.metrics(b.device), b)
    stats = await stats_when(bus, events=len(FLEET))
    assert stats.samples == len(model_rows(FLEET))
    result = await bus.request(
        bus.subjects.rpc_storage("query"), MetricQuery(device="r1", limit=10_000), MetricQueryResult
    )
    assert result_rows(result) == model_rows(FLEET, device="r1")
