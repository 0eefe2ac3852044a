"""Security of device access against simulated devices and a real sshd."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from services.collector.audit import CommandAudit
from services.collector.credentials import encrypt_password, generate_key
from services.collector.drivers.linux import LinuxDriver
from services.collector.hostkeys import HostKeyStore
from services.collector.poller import DevicePoller
from services.collector.runtime import build_runtime
from services.collector.ssh import DeviceSession
from services.simulator import LinuxSimulator, SimulatedDevice
from services.simulator.linux import LinuxHost, LinuxResponder
from shared.bus import Bus
from shared.errors import CommandRejected
from shared.events import DeviceState
from shared.inventory import Device, Platform
from shared.settings import CollectorSettings, NetvigilSettings
from tests.support.sshd import Sshd, find_sshd

pytestmark = pytest.mark.integration


@pytest.fixture
async def legacy_device() -> AsyncIterator[SimulatedDevice]:
    device = SimulatedDevice(
        name="old-1", platform=Platform.LINUX, responder=LinuxResponder(LinuxHost(seed=5)),
        username="netvigil", password="pw", legacy_only=True,
    )
    await device.start()
    yield device
    await device.stop()


def session_for(device: Device, tmp_path: Path, audit: CommandAudit | None = None) -> DeviceSession:
    return DeviceSession(
        device=device, allowed_commands=LinuxDriver.allowed_commands(),
        host_keys=HostKeyStore(path=tmp_path / "known_hosts", strict=False),
        connect_timeout=3, command_timeout=3, audit=audit,
    )


async def poll(device: Device, bus: Bus, settings: NetvigilSettings) -> DevicePoller:
    """One poll of `device` with a runtime built from `settings`; the poller is returned."""
    runtime = build_runtime(settings)
    poller = DevicePoller(
        device=device, driver=LinuxDriver(), bus=bus,
        host_keys=HostKeyStore(path=settings.data_dir / "known_hosts", strict=False),
        settings=settings.collector, login_slots=asyncio.Semaphore(1), runtime=runtime,
    )
    try:
        await poller.poll_once()
    finally:
        await poller._session.close()
        runtime.close()
    return poller


async def test_poller_refuses_legacy_algorithms_when_device_did_not_opt_in(
    tmp_path: Path, bus: Bus, legacy_device: SimulatedDevice
) -> None:
    settings = NetvigilSettings(data_dir=tmp_path, collector=CollectorSettings())
    poller = await poll(legacy_device.device(), bus, settings)
    assert poller.status.state == DeviceState.ALGORITHM_MISMATCH
    assert "legacy_algorithms: true" in (poller.status.reason or "")
    assert legacy_device.login_attempts == 0  # no password was ever sent


# Opting in means accepting finite-field Diffie-Hellman, which cryptography warns about.
@pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")
async def test_poller_polls_legacy_device_when_inventory_opts_in(
    tmp_path: Path, bus: Bus, legacy_device: SimulatedDevice
) -> None:
    device = legacy_device.device().model_copy(update={"legacy_algorithms": True})
    settings = NetvigilSettings(data_dir=tmp_path, collector=CollectorSettings())
    poller = await poll(device, bus, settings)
    assert poller.status.state == DeviceState.UP
    assert len(legacy_device.commands_received) == len(LinuxDriver.commands)


async def test_poller_logs_in_with_encrypted_password_and_audits_every_command(
    tmp_path: Path, bus: Bus
) -> None:
    key = generate_key()
    sim = LinuxSimulator(name="enc-1", seed=3, password="s3cr3t-pw")
    await sim.start()
    try:
        encrypted = encrypt_password("s3cr3t-pw", key=key.encode())
        device = sim.device().model_copy(
            update={"password": None, "password_encrypted": SecretStr(encrypted)}
        )
        settings = NetvigilSettings(data_dir=tmp_path, secret_key=SecretStr(key))
        poller = await poll(device, bus, settings)
    finally:
        await sim.stop()
    assert poller.status.state == DeviceState.UP
    audit = tmp_path / "audit" / "commands.jsonl"
    rows = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [r["command"] for r in rows] == [s.command for s in LinuxDriver.commands]
    assert {(r["device"], r["scheduled_by"], r["outcome"]) for r in rows} == {
        ("enc-1", "schedule", "ok")
    }
    assert "s3cr3t" not in audit.read_text()


async def test_poller_reports_error_without_login_when_encryption_key_missing(
    tmp_path: Path, bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETVIGIL_SECRET_KEY", raising=False)
    sim = LinuxSimulator(name="enc-2", seed=4)
    await sim.start()
    try:
        encrypted = encrypt_password(sim.password, key=generate_key().encode())
        device = sim.device().model_copy(
            update={"password": None, "password_encrypted": SecretStr(encrypted)}
        )
        settings = NetvigilSettings(data_dir=tmp_path)
        runtime = build_runtime(settings)
        poller = DevicePoller(
            device=device, driver=LinuxDriver(), bus=bus,
            host_keys=HostKeyStore(path=tmp_path / "known_hosts", strict=False),
            settings=settings.collector, login_slots=asyncio.Semaphore(1), runtime=runtime,
        )
        stop = asyncio.Event()
        stop.set()
        await poller.run(stop)
        runtime.close()
    finally:
        await sim.stop()
    assert poller.status.state == DeviceState.ERROR
    assert poller.status.reason == (
        "enc-2: password_encrypted needs a key: set NETVIGIL_SECRET_KEY or secret_key_file"
    )
    assert sim.connections_made == 0


async def test_session_refuses_off_list_command_before_sending_and_audits_it(
    tmp_path: Path,
) -> None:
    sim = LinuxSimulator(name="sec-1", seed=9)
    await sim.start()
    audit = CommandAudit(path=tmp_path / "commands.jsonl")
    session = session_for(sim.device(), tmp_path, audit)
    try:
        await session.connect()
        for command in ("reboot", "cat /proc/uptime; reboot", "cat /etc/shadow"):
            with pytest.raises(CommandRejected, match="not allow-listed"):
                await session.run(command, scheduled_by="poll_fast request (ops)")
    finally:
        await session.close()
        audit.close()
        await sim.stop()
    assert sim.commands_received == []
    rows = [json.loads(line) for line in (tmp_path / "commands.jsonl").read_text().splitlines()]
    assert [(r["command"], r["outcome"]) for r in rows] == [
        ("reboot", "refused"), ("cat /proc/uptime; reboot", "refused"),
        ("cat /etc/shadow", "refused"),
    ]


@pytest.mark.skipif(find_sshd() is None, reason="openssh-server is not installed")
async def test_poller_refuses_real_sshd_when_known_hosts_has_another_key(
    tmp_path: Path, bus: Bus
) -> None:
    sshd_path = find_sshd()
    assert sshd_path is not None
    sshd = Sshd(workdir=tmp_path / "sshd", sshd_path=sshd_path)
    running = sshd.start()
    try:
        device = Device(
            name="real-1", host=running.host, port=running.port, platform=Platform.LINUX,
            username=running.username, key_file=running.key_file,
        )
        stranger = SimulatedDevice(
            name="x", platform=Platform.LINUX, responder=LinuxResponder(LinuxHost(seed=1)),
            username="u", password="p",
        ).host_public_key  # some other ed25519 key
        known = tmp_path / "known_hosts"
        known.write_text(f"[{running.host}]:{running.port} {stranger}\n")
        collector = CollectorSettings(known_hosts=known)
        settings = NetvigilSettings(data_dir=tmp_path, collector=collector)
        runtime = build_runtime(settings)
        poller = DevicePoller(
            device=device, driver=LinuxDriver(), bus=bus,
            host_keys=HostKeyStore(path=known, strict=True), settings=collector,
            login_slots=asyncio.Semaphore(1), runtime=runtime,
        )
        try:
            await poller.poll_once()
        finally:
            await poller._session.close()
            runtime.close()
    finally:
        sshd.stop()
    assert poller.status.state == DeviceState.HOST_KEY_MISMATCH
    assert "differs from the recorded key" in (poller.status.reason or "")
    assert known.read_text().count("\n") == 1  # nothing was added
