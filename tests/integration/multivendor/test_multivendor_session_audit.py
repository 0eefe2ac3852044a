"""CLI sessions: slow devices still open, and every line typed is in the command audit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from services.collector.drivers.registry import DRIVERS
from services.collector.hostkeys import HostKeyStore
from services.collector.poller import DevicePoller
from services.collector.runtime import build_runtime
from services.simulator.vendors import SessionScenarios, build_device, start_vendor_device
from shared.bus import Bus
from shared.events import DeviceState
from shared.inventory import Device, Platform
from shared.settings import CollectorSettings, NetvigilSettings
from tests.integration.multivendor.conftest import INTERVAL, PASSWORD, START, ManualClock

pytestmark = pytest.mark.integration


async def _poll_once(
    bus: Bus, tmp_path: Path, platform: Platform, scenarios: SessionScenarios,
    collector: CollectorSettings,
) -> tuple[DevicePoller, list[dict[str, Any]]]:
    clock = ManualClock()
    state = build_device(platform, hostname="r1", now=START, seed=7)
    handle = await start_vendor_device(state, username="monitor", password=PASSWORD,
                                       scenarios=scenarios, clock=clock)
    settings = NetvigilSettings(data_dir=tmp_path, collector=collector)
    runtime = build_runtime(settings, login_slots=asyncio.Semaphore(2))
    device = Device(name="r1", host=handle.host, port=handle.port, platform=platform,
                    username="monitor", password=SecretStr(PASSWORD), poll_interval=INTERVAL)
    poller = DevicePoller(
        device=device, driver=DRIVERS[platform](), bus=bus,
        host_keys=HostKeyStore(path=tmp_path / "known_hosts", strict=False),
        settings=collector, login_slots=asyncio.Semaphore(2), clock=clock, runtime=runtime,
    )
    try:
        await poller.poll_once()
    finally:
        await poller._session.close()  # as the shared rig does: the poller has no close
        runtime.close()
        await handle.close()
    path = tmp_path / "audit" / "commands.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return poller, lines


async def test_cli_session_audits_setup_and_text_fallback_lines(bus: Bus, tmp_path: Path) -> None:
    collector = CollectorSettings(connect_timeout=3, command_timeout=3, audit_commands=True)
    poller, lines = await _poll_once(bus, tmp_path, Platform.ARISTA_EOS,
                                     SessionScenarios(json_unsupported=True), collector)
    typed = [(line["command"], line["scheduled_by"]) for line in lines]
    assert ("terminal length 0", "session setup") in typed
    assert ("show version", "fallback for 'show version | json'") in typed
    assert ("show version | json", "schedule") in typed
    assert poller.status.state is DeviceState.UP


async def test_cli_session_opens_on_a_slow_device_within_command_timeouts(
    bus: Bus, tmp_path: Path
) -> None:
    # Each answer takes 0.8 s: learning the prompt (two newlines) plus two setup commands
    # would not fit in one 2.5 s connect timeout, but each step fits its own deadline.
    collector = CollectorSettings(connect_timeout=2.5, command_timeout=3, audit_commands=False)
    poller, _ = await _poll_once(bus, tmp_path, Platform.CISCO_IOS,
                                 SessionScenarios(delay_s=0.8), collector)
    assert poller.status.state is DeviceState.UP, poller.status.reason
