"""Fixtures: a simulated vendor device on loopback SSH, a poller for it, a bus recorder.

The simulator and the poller share one manual clock, so a test decides the instants of
each poll and computes the expected values from the simulator's own state at those
instants (`take_snapshot`), independently of the collector.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from nats.aio.msg import Msg
from pydantic import SecretStr

from services.collector.drivers.registry import DRIVERS
from services.collector.hostkeys import HostKeyStore
from services.collector.poller import DevicePoller
from services.simulator.vendors import (
    DeviceSnapshot,
    SessionScenarios,
    VendorDeviceHandle,
    build_device,
    start_vendor_device,
    take_snapshot,
)
from shared.bus import Bus
from shared.events import CollectionError, DeviceState, DeviceStatus, MetricBatch
from shared.inventory import Device, Platform
from shared.settings import CollectorSettings

START = 1_760_000_000.0  # a fixed instant: values depend only on the clock
INTERVAL = 30.0
PASSWORD = "sim-secret"


@dataclass
class ManualClock:
    """A clock that moves only when a test says so."""

    now: float = START

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorder:
    """Collector events for one device, decoded, and a way to wait for them."""

    device: str
    batches: list[MetricBatch] = field(default_factory=list)
    statuses: list[DeviceStatus] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_msg(self, msg: Msg) -> None:
        if msg.subject.endswith(".metrics." + self.device):
            self.batches.append(MetricBatch.model_validate_json(msg.data))
        elif ".device.status." in msg.subject:
            self.statuses.append(DeviceStatus.model_validate_json(msg.data))
        else:
            self.errors.append(CollectionError.model_validate_json(msg.data))
        self.arrived.set()

    async def wait_for(self, done: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                self.arrived.clear()
                await self.arrived.wait()

    def states(self) -> list[DeviceState]:
        return [s.state for s in self.statuses]


Values = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def values(batch: MetricBatch) -> Values:
    """A batch as {(metric, sorted attributes): value}."""
    return {(s.metric, tuple(sorted(s.attributes.items()))): s.value for s in batch.samples}


def pick(found: Values, metric: str, **attributes: str) -> float:
    """The one value of `metric` whose attributes include `attributes`."""
    matches = [v for (m, attrs), v in found.items()
               if m == metric and set(attributes.items()) <= set(attrs)]
    assert len(matches) == 1, f"{metric} {attributes}: {len(matches)} matches"
    return matches[0]


@dataclass
class VendorRig:
    """One simulated device, its poller and its events."""

    handle: VendorDeviceHandle
    poller: DevicePoller
    recorder: Recorder
    clock: ManualClock

    def truth(self) -> DeviceSnapshot:
        """What the device shows at the current instant."""
        return take_snapshot(self.handle.state, self.clock.now)

    async def poll(self, *, advance: float = 0.0) -> MetricBatch:
        """Move the clock, poll once and return the batch it published."""
        self.clock.now += advance
        before = len(self.recorder.batches)
        await self.poller.poll_once()
        await self.recorder.wait_for(lambda: len(self.recorder.batches) > before)
        return self.recorder.batches[-1]


RigFactory = Callable[..., Awaitable[VendorRig]]


@pytest.fixture
async def vendor_rig(bus: Bus, tmp_path: Path) -> AsyncIterator[RigFactory]:
    """Start a simulated device of a platform with scenarios, and a poller for it."""
    opened: list[tuple[VendorDeviceHandle, DevicePoller, object]] = []

    async def start(platform: Platform, *, scenarios: SessionScenarios | None = None,
                    password: str = PASSWORD, command_timeout: float = 3.0) -> VendorRig:
        clock = ManualClock()
        name = f"{platform.value.replace('_', '-')}-{len(opened) + 1}"
        state = build_device(platform, hostname=name, now=START, seed=7)
        handle = await start_vendor_device(state, username="monitor", password=PASSWORD,
                                           scenarios=scenarios, clock=clock)
        device = Device(name=name, host=handle.host, port=handle.port, platform=platform,
                        username="monitor", password=SecretStr(password),
                        poll_interval=INTERVAL)
        settings = CollectorSettings(connect_timeout=3, command_timeout=command_timeout,
                                     audit_commands=False)
        poller = DevicePoller(
            device=device, driver=DRIVERS[platform](), bus=bus,
            host_keys=HostKeyStore(path=tmp_path / f"known_hosts-{name}", strict=False),
            settings=settings, login_slots=asyncio.Semaphore(4), clock=clock,
        )
        recorder = Recorder(device=name)
        sub = await bus.nc.subscribe(f"{bus.subjects.prefix}.*.*.{name}", cb=recorder.on_msg)
        sub2 = await bus.nc.subscribe(f"{bus.subjects.prefix}.*.{name}", cb=recorder.on_msg)
        await bus.nc.flush()
        opened.append((handle, poller, (sub, sub2)))
        return VendorRig(handle=handle, poller=poller, recorder=recorder, clock=clock)

    yield start
    for handle, poller, subs in opened:
        await poller._session.close()
        await handle.close()
        for sub in subs:  # type: ignore[attr-defined]
            await sub.unsubscribe()
