"""The collector against simulated SSH devices and a real nats-server."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml
from nats.aio.msg import Msg
from pydantic import BaseModel

from services.collector import app
from services.collector.drivers.linux import LinuxDriver
from services.collector.hostkeys import HostKeyStore
from services.collector.ssh import DeviceSession
from services.simulator import SimulatedFleet
from services.simulator.linux import LinuxResponder
from shared.bus import Bus
from shared.errors import CommandRejected, InventoryError
from shared.events import CollectionError, DeviceState, DeviceStatus, MetricBatch
from shared.inventory import Device, Inventory, Platform, dump_inventory
from shared.settings import CollectorSettings, NatsSettings, NetvigilSettings

pytestmark = pytest.mark.integration

Event = MetricBatch | DeviceStatus | CollectionError


class Recorder:
    """Every collector event seen on the bus, decoded, with a way to wait for some."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = asyncio.Event()

    async def on_msg(self, msg: Msg) -> None:
        model: type[BaseModel]
        if ".metrics." in msg.subject:
            model = MetricBatch
        elif ".device.status." in msg.subject:
            model = DeviceStatus
        else:
            model = CollectionError
        self.events.append(model.model_validate_json(msg.data))  # type: ignore[arg-type]
        self._arrived.set()

    def of(self, kind: type[Event], device: str) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind) and e.device == device]

    async def wait_for(self, done: Callable[[], bool], timeout: float = 8.0) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                self._arrived.clear()
                await self._arrived.wait()

    def statuses(self, device: str) -> list[DeviceState]:
        return [e.state for e in self.of(DeviceStatus, device)]  # type: ignore[union-attr]


@pytest.fixture
async def recorder(bus: Bus) -> AsyncIterator[Recorder]:
    rec = Recorder()
    sub = await bus.nc.subscribe(f"{bus.subjects.prefix}.>", cb=rec.on_msg)
    await bus.nc.flush()
    yield rec
    await sub.unsubscribe()


def closed_port() -> int:
    """A loopback port nobody listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(tmp_path: Path, nats: NatsSettings, inventory: Inventory) -> NetvigilSettings:
    path = tmp_path / "inventory.yaml"
    path.write_text(dump_inventory(inventory))
    return NetvigilSettings(
        data_dir=tmp_path / "data",
        nats=nats,
        collector=CollectorSettings(inventory=path, connect_timeout=3, command_timeout=3),
    )


async def stop_collector(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    async with asyncio.timeout(5):
        await task


async def test_collector_publishes_batches_and_statuses_when_some_devices_fail(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, recorder: Recorder
) -> None:
    async with SimulatedFleet(count=2, poll_interval=1.0, refuse_auth={"sim-linux-2"}) as fleet:
        down = Device(
            name="down-1", host="127.0.0.1", port=closed_port(), platform=Platform.LINUX,
            username="x", password="y", poll_interval=1.0,
        )
        inventory = Inventory(devices=(*fleet.inventory().devices, down))
        settings = make_settings(tmp_path, nats_settings, inventory)
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(settings, bus, stop))
        try:
            await recorder.wait_for(lambda: (
                len(recorder.of(MetricBatch, "sim-linux-1")) >= 3
                and recorder.statuses("sim-linux-2") != []
                and recorder.statuses("down-1") != []
            ))
        finally:
            await stop_collector(task, stop)
        good = fleet["sim-linux-1"]
        truth = good.truth()

    assert recorder.statuses("sim-linux-1") == [DeviceState.UP]
    [auth] = recorder.of(DeviceStatus, "sim-linux-2")
    assert auth.state == DeviceState.AUTH_FAILED  # type: ignore[union-attr]
    assert "login refused" in (auth.reason or "")  # type: ignore[union-attr]
    [unreachable] = recorder.of(DeviceStatus, "down-1")
    assert unreachable.state == DeviceState.UNREACHABLE  # type: ignore[union-attr]
    assert "connection refused" in (unreachable.reason or "")  # type: ignore[union-attr]
    assert recorder.of(MetricBatch, "sim-linux-2") == recorder.of(MetricBatch, "down-1") == []

    batch = recorder.of(MetricBatch, "sim-linux-1")[-1]
    values = {(s.metric, tuple(sorted(s.attributes.items()))): s.value
              for s in batch.samples}  # type: ignore[union-attr]
    metrics = {metric for metric, _ in values}
    assert metrics == {
        "system.cpu.utilization", "system.cpu.load_average.1m", "system.cpu.load_average.5m",
        "system.cpu.load_average.15m", "system.memory.usage", "system.memory.limit",
        "system.memory.utilization", "system.network.io", "system.network.packets",
        "system.network.errors", "system.network.dropped", "system.uptime",
        "system.filesystem.usage", "system.filesystem.utilization", "netvigil.poll.duration",
    }
    assert values[("system.memory.limit", ())] == truth.memory.total_kib * 1024
    assert 0.0 <= values[("system.cpu.utilization", ())] <= 1.0
    eth0_rx = values[("system.network.io", (("direction", "receive"), ("interface", "eth0")))]
    # The simulator grows eth0's counter at a fixed rate; timing jitter stays well under 10 %.
    assert eth0_rx == pytest.approx(good.linux.rates["eth0"].rx_bytes, rel=0.1)
    assert 0 < truth.uptime - values[("system.uptime", ())] < 10
    assert set(good.commands_received) <= LinuxDriver.allowed_commands()


async def test_collector_refuses_device_when_host_key_changes(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, recorder: Recorder
) -> None:
    async with SimulatedFleet(count=1, poll_interval=1.0) as fleet:
        settings = make_settings(tmp_path, nats_settings, fleet.inventory())
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(settings, bus, stop))
        try:
            await recorder.wait_for(lambda: recorder.statuses("sim-linux-1") != [])
            device = fleet["sim-linux-1"]
            port = device.port
            device.rotate_host_key()
            await device.drop_connections()
            await recorder.wait_for(lambda: len(recorder.statuses("sim-linux-1")) >= 2)
            batches_before = len(recorder.of(MetricBatch, "sim-linux-1"))
        finally:
            await stop_collector(task, stop)

    first, second = recorder.of(DeviceStatus, "sim-linux-1")[:2]
    assert first.state == DeviceState.UP  # type: ignore[union-attr]
    assert second.state == DeviceState.HOST_KEY_MISMATCH  # type: ignore[union-attr]
    assert "differs from the recorded key" in (second.reason or "")  # type: ignore[union-attr]
    assert len(recorder.of(MetricBatch, "sim-linux-1")) == batches_before
    known_hosts = (settings.data_dir / "known_hosts").read_text()
    assert known_hosts.startswith(f"[127.0.0.1]:{port} ssh-ed25519 ")
    assert len(known_hosts.splitlines()) == 1  # the changed key was not recorded


class BrokenDf(LinuxResponder):
    """A host whose df prints something the parser cannot read."""

    def respond(self, command: str) -> str | None:
        if command == "df -P -k":
            return "df: cannot read table of mounted file systems\n"
        return super().respond(command)


async def test_collector_publishes_other_groups_when_one_group_fails(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, recorder: Recorder
) -> None:
    async with SimulatedFleet(count=1, poll_interval=1.0) as fleet:
        device = fleet["sim-linux-1"]
        device.responder = BrokenDf(device.linux)
        settings = make_settings(tmp_path, nats_settings, fleet.inventory())
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(settings, bus, stop))
        try:
            await recorder.wait_for(lambda: (
                recorder.of(MetricBatch, "sim-linux-1") != []
                and recorder.of(CollectionError, "sim-linux-1") != []
            ))
        finally:
            await stop_collector(task, stop)

    [status] = recorder.of(DeviceStatus, "sim-linux-1")
    assert status.state == DeviceState.DEGRADED  # type: ignore[union-attr]
    assert "filesystem" in (status.reason or "")  # type: ignore[union-attr]
    error = recorder.of(CollectionError, "sim-linux-1")[0]
    assert (error.group, error.command) == ("filesystem", "df -P -k")  # type: ignore[union-attr]
    assert "missing the 'Filesystem" in error.reason  # type: ignore[union-attr]
    metrics = {s.metric for s in recorder.of(MetricBatch, "sim-linux-1")[0].samples}  # type: ignore[union-attr]
    assert "system.memory.limit" in metrics
    assert not any(m.startswith("system.filesystem") for m in metrics)


async def test_collector_reports_unreachable_when_router_port_is_closed(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, recorder: Recorder
) -> None:
    router = Device(
        name="r1", host="127.0.0.1", port=closed_port(), platform=Platform.CISCO_IOS,
        username="x", password="y", poll_interval=1.0,
    )
    settings = make_settings(tmp_path, nats_settings, Inventory(devices=(router,)))
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, bus, stop))
    try:
        await recorder.wait_for(lambda: recorder.statuses("r1") != [])
    finally:
        await stop_collector(task, stop)
    [status] = recorder.of(DeviceStatus, "r1")
    # Every platform has a driver now (issue 3): a router is polled like any host.
    assert status.state == DeviceState.UNREACHABLE  # type: ignore[union-attr]
    assert "connection refused" in (status.reason or "")  # type: ignore[union-attr]


async def test_collector_polls_valid_devices_and_flags_bad_inventory_entry(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with SimulatedFleet(count=1, poll_interval=1.0) as fleet:
        good = yaml.safe_load(dump_inventory(fleet.inventory()))["devices"][0]
        bad = {**good, "name": "web2", "port": 70000}
        path = tmp_path / "inventory.yaml"
        path.write_text(yaml.safe_dump({"devices": [good, bad]}))
        settings = NetvigilSettings(
            data_dir=tmp_path, nats=nats_settings, collector=CollectorSettings(inventory=path)
        )
        stop = asyncio.Event()
        with caplog.at_level(logging.ERROR):
            task = asyncio.create_task(app.run(settings, bus, stop))
            try:
                await recorder.wait_for(
                    lambda: len(recorder.of(MetricBatch, good["name"])) >= 2
                    and recorder.of(DeviceStatus, "web2") != []
                )
            finally:
                await stop_collector(task, stop)
    [status] = recorder.of(DeviceStatus, "web2")
    assert status.state == DeviceState.ERROR  # type: ignore[union-attr]
    reason = status.reason or ""  # type: ignore[union-attr]
    assert "device #2 ('web2')" in reason and "field 'port'" in reason
    assert "device #2 ('web2'): field 'port'" in caplog.text
    assert recorder.statuses(good["name"]) == [DeviceState.UP]


async def test_collector_raises_inventory_error_when_file_is_not_yaml(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text("devices: [\n  - name: web1\n")
    settings = NetvigilSettings(
        data_dir=tmp_path, nats=nats_settings, collector=CollectorSettings(inventory=path)
    )
    with caplog.at_level(logging.ERROR), pytest.raises(InventoryError) as raised:
        await app.run(settings, bus, asyncio.Event())
    assert f"{path}: not valid YAML" in str(raised.value)
    assert str(raised.value) in caplog.text


async def test_collector_reconnects_without_outage_when_connection_drops(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, recorder: Recorder
) -> None:
    async with SimulatedFleet(count=1, poll_interval=1.0) as fleet:
        settings = make_settings(tmp_path, nats_settings, fleet.inventory())
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(settings, bus, stop))
        try:
            await recorder.wait_for(lambda: recorder.of(MetricBatch, "sim-linux-1") != [])
            await fleet["sim-linux-1"].drop_connections()
            await recorder.wait_for(lambda: len(recorder.of(MetricBatch, "sim-linux-1")) >= 3)
        finally:
            await stop_collector(task, stop)
    assert recorder.statuses("sim-linux-1") == [DeviceState.UP]


async def test_device_session_refuses_command_when_not_allow_listed(tmp_path: Path) -> None:
    async with SimulatedFleet(count=1) as fleet:
        [device] = fleet.inventory().devices
        session = DeviceSession(
            device=device, allowed_commands=LinuxDriver.allowed_commands(),
            host_keys=HostKeyStore(path=tmp_path / "known_hosts", strict=False),
            connect_timeout=3, command_timeout=3,
        )
        try:
            await session.connect()
            assert (await session.run("cat /proc/uptime")).count(" ") == 1
            with pytest.raises(CommandRejected, match="not allow-listed"):
                await session.run("cat /etc/shadow")
        finally:
            await session.close()
        assert fleet["sim-linux-1"].commands_received == ["cat /proc/uptime"]
