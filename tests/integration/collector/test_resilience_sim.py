"""The poller against misbehaving simulated devices: hangs, slowness, overload, refusals."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from services.collector.drivers.linux import LinuxDriver
from services.collector.fastpoll import PollFastService
from services.collector.hostkeys import HostKeyStore
from services.collector.poller import DevicePoller
from services.collector.runtime import CollectorRuntime, build_runtime
from services.simulator import LinuxSimulator
from shared.bus import Bus
from shared.errors import RpcTimeout
from shared.events import DeviceState, MetricBatch, PollFastReply, PollFastRequest
from shared.inventory import Device, Platform
from shared.settings import BreakerSettings, CollectorSettings, NetvigilSettings, RetrySettings

pytestmark = pytest.mark.integration

GROUPS = {spec.group for spec in LinuxDriver.commands}


class FakeClock:
    """Scheduling time the test moves by hand (network timeouts stay real)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(**overrides: object) -> CollectorSettings:
    base: dict[str, object] = {
        "connect_timeout": 2.0, "command_timeout": 0.3, "audit_commands": False,
        "retry": RetrySettings(jitter=0.0, auth_retry_s=300.0),
    }
    return CollectorSettings(**(base | overrides))  # type: ignore[arg-type]


def make_poller(
    device: Device,
    bus: Bus,
    tmp_path: Path,
    collector: CollectorSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    runtime: CollectorRuntime | None = None,
) -> DevicePoller:
    runtime = runtime or build_runtime(
        NetvigilSettings(data_dir=tmp_path, collector=collector), clock=clock
    )
    return DevicePoller(
        device=device, driver=LinuxDriver(), bus=bus,
        host_keys=HostKeyStore(path=tmp_path / "known_hosts", strict=False),
        settings=collector, login_slots=asyncio.Semaphore(5), clock=clock, runtime=runtime,
    )


class Batches:
    """Metric batches of one device as they arrive on the bus."""

    def __init__(self) -> None:
        self.items: list[MetricBatch] = []
        self._arrived = asyncio.Event()

    async def on_msg(self, msg: object) -> None:
        self.items.append(MetricBatch.model_validate_json(msg.data))  # type: ignore[attr-defined]
        self._arrived.set()

    async def wait_for(self, count: int, timeout: float = 6.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.items) < count:
                self._arrived.clear()
                await self._arrived.wait()


@pytest.fixture
async def sim() -> AsyncIterator[LinuxSimulator]:
    device = LinuxSimulator(name="sim-1", seed=11)
    await device.start()
    yield device
    await device.stop()


@pytest.fixture
async def batches(bus: Bus) -> AsyncIterator[Batches]:
    recorder = Batches()
    sub = await bus.nc.subscribe(bus.subjects.metrics("*"), cb=recorder.on_msg)
    await bus.nc.flush()
    yield recorder
    await sub.unsubscribe()


async def test_poller_replaces_connection_when_command_hangs(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator, batches: Batches
) -> None:
    sim.hang_commands = {"cat /proc/meminfo"}
    poller = make_poller(sim.device(poll_interval=2.0), bus, tmp_path, settings())
    try:
        for _ in range(3):
            async with asyncio.timeout(3):  # the poll finishes although a command never does
                await poller.poll_once()
            assert sim.open_connections <= 1
        await batches.wait_for(3)
    finally:
        await poller._session.close()
    batch = batches.items[-1]
    assert list(batch.missing_groups) == ["memory"]
    assert "timed out" in batch.missing_groups["memory"]
    assert poller.status.state == DeviceState.DEGRADED
    assert "memory" in (poller.status.reason or "")
    metrics = {s.metric for s in batch.samples}
    assert "system.network.io" in metrics and "system.memory.usage" not in metrics
    # the first login, then every hang cost its connection: one fresh connection per poll
    # carries the groups after the hung one and the next poll
    assert sim.connections_made == 1 + 3
    async with asyncio.timeout(2):
        while sim.open_connections:
            await asyncio.sleep(0.02)


async def test_poller_reports_timeout_and_closes_when_whole_poll_exceeds_deadline(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator
) -> None:
    # Every command answers within its own timeout, but six of them take 2.4 s together.
    sim.command_delay = 0.4
    collector = settings(command_timeout=0.5, poll_timeout_share=0.25, audit_commands=True)
    runtime = build_runtime(NetvigilSettings(data_dir=tmp_path, collector=collector))
    poller = make_poller(sim.device(poll_interval=2.0), bus, tmp_path, collector,
                         runtime=runtime)
    try:
        async with asyncio.timeout(3):
            await poller.poll_once()
    finally:
        runtime.close()
    assert poller.status.state == DeviceState.TIMEOUT
    assert poller.status.reason == "poll: not finished within its deadline of 0.5 s"
    assert not poller._session.connected
    lines = (tmp_path / "audit" / "commands.jsonl").read_text().splitlines()
    outcomes = [json.loads(line)["outcome"] for line in lines]
    assert outcomes == ["ok"] * (len(outcomes) - 1) + ["cancelled"]  # the cut-off command too
    async with asyncio.timeout(2):
        while sim.open_connections:
            await asyncio.sleep(0.02)


async def test_poller_stretches_interval_when_device_answers_slowly(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator
) -> None:
    # Six commands at 0.2 s each take 1.2 s: more than half of a 2 s interval.
    sim.command_delay = 0.2
    collector = settings(command_timeout=1.0, poll_timeout_share=1.0)
    poller = make_poller(sim.device(poll_interval=2.0), bus, tmp_path, collector)
    try:
        await poller.poll_once()
        assert poller.schedule.interval() == 2.0  # one slow poll is not a trend
        await poller.poll_once()
        assert poller.schedule.interval() == 4.0
        sim.command_delay = 0.0
        await poller.poll_once()
        assert poller.schedule.interval() == 2.0
    finally:
        await poller._session.close()
    assert poller.status.state == DeviceState.UP


async def test_poller_marks_overloaded_and_keeps_connection_when_device_is_busy(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator
) -> None:
    clock = FakeClock()
    poller = make_poller(sim.device(poll_interval=2.0), bus, tmp_path, settings(), clock=clock)
    try:
        await poller.poll_once()
        sim.busy = True
        await poller.poll_once()
        assert poller.status.state == DeviceState.OVERLOADED
        assert "Resource temporarily unavailable" in (poller.status.reason or "")
        assert poller.schedule.interval() == 4.0  # asked less often while busy
        assert sim.open_connections == 1 and sim.connections_made == 1
        busy_commands = len(sim.commands_received)
        await poller.poll_once()  # still backing off: nothing is sent
        assert len(sim.commands_received) == busy_commands
        sim.busy = False
        clock.now += 2.0  # the first retry delay is the poll interval
        await poller.poll_once()
        recovered: DeviceState = poller.status.state  # a fresh read after another poll
        assert recovered == DeviceState.UP
    finally:
        await poller._session.close()


async def test_poller_tries_wrong_password_twice_per_hour_when_polled_often(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator
) -> None:
    clock = FakeClock()
    device = sim.device(poll_interval=5.0).model_copy(update={"password": SecretStr("wrong")})
    poller = make_poller(device, bus, tmp_path, settings(), clock=clock)
    for _ in range(12):  # 12 polls 300 s apart span 55 minutes
        await poller.poll_once()
        clock.now += 300
    assert sim.login_attempts == 2  # the default budget: 2 refused logins per hour
    assert poller.status.state == DeviceState.AUTH_FAILED
    clock.now = 1000.0 + 3600.0  # the first refusal has aged out of the hour
    await poller.poll_once()
    assert sim.login_attempts == 3


async def test_credential_breaker_stops_logins_on_every_device_when_account_refused(
    tmp_path: Path, bus: Bus
) -> None:
    clock = FakeClock()
    sims = [LinuxSimulator(name=f"shared-{n}", seed=n, username="monitor", password="old",
                           refuse_auth=True) for n in range(1, 4)]
    collector = settings(breaker=BreakerSettings(credential_failures=2))
    runtime = build_runtime(NetvigilSettings(data_dir=tmp_path, collector=collector), clock=clock)
    try:
        for s in sims:
            await s.start()
        pollers = [make_poller(s.device(), bus, tmp_path, collector, clock=clock,
                               runtime=runtime) for s in sims]
        for poller in pollers:
            await poller.poll_once()
    finally:
        for s in sims:
            await s.stop()
    assert [s.login_attempts for s in sims] == [1, 1, 0]
    assert [p.status.state for p in pollers] == [
        DeviceState.AUTH_FAILED, DeviceState.AUTH_FAILED, DeviceState.CIRCUIT_OPEN,
    ]
    reason = pollers[2].status.reason or ""
    assert "credential set monitor/" in reason and "old" not in reason  # no secret in it


async def test_device_breaker_opens_then_probes_when_device_stays_down(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator
) -> None:
    clock = FakeClock()
    collector = settings(breaker=BreakerSettings(device_failures=2, device_open_s=60.0))
    poller = make_poller(sim.device(poll_interval=5.0), bus, tmp_path, collector, clock=clock)
    await sim.stop()
    states = []
    for _ in range(2):
        await poller.poll_once()
        states.append(poller.status.state)
        clock.now += 30  # past the retry delay, inside the open period once it opens
    assert states == [DeviceState.UNREACHABLE, DeviceState.CIRCUIT_OPEN]
    await sim.start()  # back on the same port
    await poller.poll_once()  # still open: no attempt at all
    assert sim.connections_made == 0
    clock.now += 60
    try:
        await poller.poll_once()  # half-open: one probe, which works
    finally:
        await poller._session.close()
    assert poller.status.state == DeviceState.UP and sim.connections_made == 1


async def test_poller_refreshes_session_when_max_age_reached(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator
) -> None:
    clock = FakeClock()
    collector = settings(max_session_age=600.0)
    poller = make_poller(sim.device(poll_interval=5.0), bus, tmp_path, collector, clock=clock)
    try:
        for _ in range(3):
            await poller.poll_once()
            clock.now += 5
        assert sim.connections_made == 1  # one persistent session
        clock.now += 600
        await poller.poll_once()
        assert sim.connections_made == 2
        await sim.drop_connections()  # the device's idle timeout closes the session
        await poller.poll_once()
        assert sim.connections_made == 3
        assert sim.open_connections == 1
    finally:
        await poller._session.close()
    assert poller.status.state == DeviceState.UP


async def test_poll_fast_request_speeds_up_polling_and_is_audited(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator, batches: Batches
) -> None:
    collector = settings(command_timeout=2.0, audit_commands=True)
    runtime = build_runtime(NetvigilSettings(data_dir=tmp_path, collector=collector))
    poller = make_poller(sim.device(poll_interval=60.0), bus, tmp_path, collector,
                         runtime=runtime)
    service = PollFastService(bus=bus, max_duration=3600)
    service.track("sim-1", poller)
    await service.start()
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        await batches.wait_for(1)
        request = PollFastRequest(device="sim-1", duration_s=30, interval_s=1,
                                  requested_by="alert:HighCpu")
        subject = bus.subjects.rpc_collector("poll_fast")
        reply = await bus.request(subject, request, PollFastReply)
        assert (reply.device, reply.interval_s) == ("sim-1", 1.0)
        await batches.wait_for(3)  # a 60 s interval would have given one batch
        bus.request_timeout = 0.3
        with pytest.raises(RpcTimeout):  # nobody here polls that device
            await bus.request(subject, request.model_copy(update={"device": "other"}),
                              PollFastReply)
    finally:
        stop.set()
        await task
        await service.stop()
        runtime.close()
    lines = (tmp_path / "audit" / "commands.jsonl").read_text().splitlines()
    origins = [json.loads(line)["scheduled_by"] for line in lines]
    assert origins[:6] == ["schedule"] * 6
    assert origins[6:12] == ["poll_fast request (alert:HighCpu)"] * 6


async def test_poller_reports_login_timeout_when_aaa_answers_too_slowly(
    tmp_path: Path, bus: Bus, sim: LinuxSimulator
) -> None:
    sim.auth_delay = 2.0
    collector = settings(connect_timeout=0.3)
    poller = make_poller(sim.device(poll_interval=5.0), bus, tmp_path, collector)
    async with asyncio.timeout(3):
        await poller.poll_once()
    assert poller.status.state == DeviceState.TIMEOUT
    assert (poller.status.reason or "").endswith(
        "login (SSH handshake or authentication): timed out"
    )
    assert not poller._session.connected


async def test_poller_reports_connect_timeout_when_tcp_never_completes(
    tmp_path: Path, bus: Bus
) -> None:
    # A listener whose backlog is full never completes a new handshake (SYNs are dropped).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(listener.getsockname())
            fillers.append(filler)
        device = Device(
            name="stuck-1", host="127.0.0.1", port=listener.getsockname()[1],
            platform=Platform.LINUX, username="u", password=SecretStr("p"), poll_interval=5.0,
        )
        poller = make_poller(device, bus, tmp_path, settings(connect_timeout=0.3))
        async with asyncio.timeout(3):
            await poller.poll_once()
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert poller.status.state == DeviceState.TIMEOUT
    assert poller.status.reason == f"connect to 127.0.0.1:{device.port}: timed out"
