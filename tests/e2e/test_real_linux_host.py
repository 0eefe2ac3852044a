"""A real Linux host end to end: Debian's sshd -> collector -> JetStream -> SQLite -> REST.

The test reads /proc itself right after the API answers and checks the values the API
serves against what the kernel says, within what can change between two reads.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.bus import Bus
from shared.settings import CollectorSettings, NatsSettings, NetvigilSettings
from tests.support.sshd import RunningSshd, Sshd, find_sshd
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

DEVICE = "realhost"


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[RunningSshd]:
    """Debian's OpenSSH server on a free loopback port, key authentication only."""
    path = find_sshd()
    if path is None:
        pytest.skip("openssh-server is not installed (apt-get install openssh-server)")
    server = Sshd(workdir=tmp_path / "sshd", sshd_path=path)
    yield server.start()
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, sshd: RunningSshd, nats_settings: NatsSettings) -> NetvigilSettings:
    """An inventory with the real host, and its host key pinned in a known_hosts file."""
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        f"devices:\n  - name: {DEVICE}\n    host: {sshd.host}\n    port: {sshd.port}\n"
        f"    platform: linux\n    username: {sshd.username}\n    key_file: {sshd.key_file}\n"
        "    poll_interval: 1\n"
    )
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[{sshd.host}]:{sshd.port} {sshd.host_public_key}\n")
    return NetvigilSettings(
        data_dir=tmp_path / "data", nats=nats_settings,
        collector=CollectorSettings(inventory=inventory, known_hosts=known_hosts),
    )


@pytest.fixture
async def api(settings: NetvigilSettings, bus: Bus) -> AsyncIterator[httpx.AsyncClient]:
    """Storage and collector running as in `netvigil up`, and a client of the API."""
    async with running_stack(settings, bus) as client:
        yield client


async def _points(client: httpx.AsyncClient, metric: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/metrics", params={"device": DEVICE, "metric": metric, "limit": 10000}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["points"])


async def _wait_for_two_polls(client: httpx.AsyncClient) -> None:
    """CPU utilisation needs two /proc/stat reads, so it appears from the second poll on."""
    for _ in range(300):
        response = await client.get(
            "/api/v1/metrics", params={"device": DEVICE, "metric": "system.cpu.utilization"}
        )
        # 503 until the storage task has subscribed; then empty until the second poll
        if response.status_code == 200 and response.json()["points"]:
            return
        await asyncio.sleep(0.1)
    pytest.fail("no CPU utilisation from the real host within 30 s")


def _latest(points: list[dict[str, Any]], **attributes: str) -> dict[str, Any]:
    matching = [p for p in points
                if all(p["attributes"].get(k) == v for k, v in attributes.items())]
    assert matching, f"no point with {attributes}"
    return max(matching, key=lambda p: p["ts"])


def _meminfo_bytes() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, rest = line.split(":", 1)
        fields[name] = int(rest.split()[0]) * 1024  # "kB" in /proc/meminfo is KiB
    return fields


def _net_dev_interfaces() -> set[str]:
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    return {line.split(":", 1)[0].strip() for line in lines}


async def test_real_host_metrics_at_api_match_proc(api: httpx.AsyncClient) -> None:
    await _wait_for_two_polls(api)
    memory_limit = _latest(await _points(api, "system.memory.limit"))
    free = _latest(await _points(api, "system.memory.usage"), state="free")
    load = _latest(await _points(api, "system.cpu.load_average.15m"))
    uptime = _latest(await _points(api, "system.uptime"))
    network = await _points(api, "system.network.io")
    meminfo = _meminfo_bytes()
    load_now = float(Path("/proc/loadavg").read_text().split()[2])
    uptime_now = float(Path("/proc/uptime").read_text().split()[0])
    now = datetime.now(UTC)

    assert memory_limit["value"] == meminfo["MemTotal"]
    assert memory_limit["unit"] == "By"
    # free memory moves with everything else on the machine; a unit mistake is 1024x off
    assert abs(free["value"] - meminfo["MemFree"]) < 0.10 * meminfo["MemTotal"]
    # the 15-minute load average moves by well under 0.5 in a few seconds
    assert abs(load["value"] - load_now) < 0.5
    sampled_at = datetime.fromisoformat(uptime["ts"])
    assert abs(uptime["value"] + (now - sampled_at).total_seconds() - uptime_now) < 3.0
    assert uptime["unit"] == "s"
    assert {p["attributes"]["interface"] for p in network} == _net_dev_interfaces()
    # loopback receives exactly what it transmits, so both rates of one poll agree
    lo_rx = _latest(network, interface="lo", direction="receive")
    lo_tx = _latest(network, interface="lo", direction="transmit")
    assert lo_rx["ts"] == lo_tx["ts"]
    assert lo_rx["value"] == pytest.approx(lo_tx["value"], rel=0.02, abs=64)
    assert lo_rx["unit"] == "By/s"


async def test_real_host_filesystem_usage_matches_statvfs(api: httpx.AsyncClient) -> None:
    await _wait_for_two_polls(api)
    points = await _points(api, "system.filesystem.usage")
    used = _latest(points, mountpoint="/", state="used")
    stat = os.statvfs("/")
    used_now = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    # df rounds to KiB; other writers on the disk move it by far less than 1 GiB in seconds
    assert abs(used["value"] - used_now) < 2**30
    utilization = _latest(await _points(api, "system.filesystem.utilization"), mountpoint="/")
    assert 0.0 < utilization["value"] < 1.0


async def test_real_host_device_is_up_at_api(api: httpx.AsyncClient) -> None:
    await _wait_for_two_polls(api)
    response = await api.get(f"/api/v1/devices/{DEVICE}")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "up"
    assert "key_file" not in body and "password" not in body
