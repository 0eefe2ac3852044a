"""`netvigil simulate`: a mixed fleet served on loopback with its inventory written."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh
import pytest

from services.simulator.cli import parse_platforms, run_simulator
from shared.inventory import Platform, load_inventory

pytestmark = pytest.mark.integration


def test_parse_platforms_reads_lists_and_all() -> None:
    assert set(parse_platforms("all")) == set(Platform)
    assert parse_platforms("cisco_ios, juniper_junos") == (
        Platform.CISCO_IOS, Platform.JUNIPER_JUNOS)
    with pytest.raises(ValueError):
        parse_platforms("cisco_ios,commodore64")


async def test_run_simulator_serves_every_platform_and_writes_inventory(tmp_path: Path) -> None:
    out = tmp_path / "fleet.yaml"
    stop = asyncio.Event()
    task = asyncio.create_task(run_simulator(count=7, inventory_out=out, stop=stop))
    try:
        async with asyncio.timeout(10):
            while not out.exists() and not task.done():
                await asyncio.sleep(0.05)
        devices = load_inventory(out).devices
        assert [d.name for d in devices] == [
            "sim-ios-1", "sim-nxos-1", "sim-eos-1", "sim-junos-1", "sim-ios-2", "sim-nxos-2",
            "sim-linux-1",
        ]
        assert out.stat().st_mode & 0o777 == 0o600
        junos = next(d for d in devices if d.platform is Platform.JUNIPER_JUNOS)
        assert junos.password is not None
        async with asyncssh.connect(
            junos.host, port=junos.port, username=junos.username,
            password=junos.password.get_secret_value(), known_hosts=None,
        ) as conn:
            result = await conn.run("show version", check=True)
        assert f"Hostname: {junos.name}" in str(result.stdout)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
