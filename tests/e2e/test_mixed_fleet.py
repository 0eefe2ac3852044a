"""A mixed simulated fleet end to end: simulators -> collector -> JetStream -> SQLite -> REST.

As in `netvigil up` without inventory: one device per platform, storage and collector
each on their own bus connection in this process, the API in front. Every platform must
show CPU, memory and interface rates at the API; the network platforms also environment
and BGP state, with the values their simulators hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.simulator.fleet import ALL_PLATFORMS, SimulatedFleet
from shared.bus import Bus
from shared.inventory import Platform, dump_inventory
from shared.settings import CollectorSettings, NatsSettings, NetvigilSettings
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

EVERY_DEVICE = ("system.cpu.utilization", "system.memory.usage", "system.network.io")
NETWORK_ONLY = ("hw.temperature", "bgp.peer.state")


@pytest.fixture
async def fleet() -> AsyncIterator[SimulatedFleet]:
    async with SimulatedFleet(count=5, platforms=ALL_PLATFORMS, poll_interval=1.0) as running:
        yield running


@pytest.fixture
async def api(
    tmp_path: Path, fleet: SimulatedFleet, nats_settings: NatsSettings, bus: Bus
) -> AsyncIterator[httpx.AsyncClient]:
    """Storage and collector running as in `netvigil up`, and a client of the API."""
    inventory = tmp_path / "simulated-inventory.yaml"
    inventory.write_text(dump_inventory(fleet.inventory()))
    settings = NetvigilSettings(
        data_dir=tmp_path / "data", nats=nats_settings,
        collector=CollectorSettings(inventory=inventory, connect_timeout=5, command_timeout=5),
    )
    async with running_stack(settings, bus) as client:
        yield client


async def points(client: httpx.AsyncClient, device: str, metric: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/metrics", params={"device": device, "metric": metric, "limit": 10000}
    )
    return list(response.json()["points"]) if response.status_code == 200 else []


def wanted(platform: Platform) -> tuple[str, ...]:
    return EVERY_DEVICE if platform is Platform.LINUX else EVERY_DEVICE + NETWORK_ONLY


async def wait_for_every_metric(client: httpx.AsyncClient, fleet: SimulatedFleet) -> None:
    """Until every device has every metric it should have (rates need two polls)."""
    devices = fleet.inventory().devices
    async with asyncio.timeout(8):
        while True:
            missing = [(d.name, m) for d in devices for m in wanted(d.platform)
                       if not await points(client, d.name, m)]
            if not missing:
                return
            await asyncio.sleep(0.2)


async def test_mixed_fleet_shows_every_platform_at_api(
    api: httpx.AsyncClient, fleet: SimulatedFleet
) -> None:
    await wait_for_every_metric(api, fleet)
    assert {d.platform for d in fleet.inventory().devices} == set(Platform)
    for vendor in fleet.vendors:
        truth = vendor.truth()
        temperatures = [p["value"] for p in await points(api, vendor.name, "hw.temperature")]
        for sensor in truth.sensors:  # drift is slow: ±2 °C over 6 h, plus noise
            assert any(abs(t - sensor.celsius) <= 1.5 for t in temperatures), sensor.name
        states = {p["attributes"]["peer"]: p["value"]
                  for p in await points(api, vendor.name, "bgp.peer.state")}
        assert states == {p.peer_ip: (6.0 if p.established else 3.0) for p in truth.bgp_peers}
        rates = await points(api, vendor.name, "system.network.io")
        assert all(p["value"] >= 0 and p["unit"] == "By/s" for p in rates)
        busy = [i.name for i in truth.interfaces if i.oper_up and i.in_rate_bps > 0]
        assert {p["attributes"]["interface"] for p in rates} >= set(busy)
    for device in fleet.inventory().devices:
        response = await api.get(f"/api/v1/devices/{device.name}")
        assert response.status_code == 200
        assert response.json()["state"] == "up", device.name
