"""After the bus connection comes back, the API re-reads device status it may have missed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.api.status import StatusBoard
from shared.bus import Bus
from shared.events import DeviceState, DeviceStatus, utcnow
from shared.natsserver import NatsServer
from shared.settings import NatsSettings
from tests.support.sshd import free_port

pytestmark = pytest.mark.integration


async def test_status_board_rereads_stream_after_nats_restart(tmp_path: Path) -> None:
    port = free_port()
    server = NatsServer(store_dir=tmp_path / "nats", port=port)
    await server.astart()
    bus = await Bus.connect(NatsSettings(url=server.url, request_timeout=2.0), name="api")
    publisher = await Bus.connect(NatsSettings(url=server.url), name="collector")
    try:
        await bus.ensure_streams()
        board = StatusBoard(bus=bus)
        await board.start()
        # The live subscription is gone, as if this change was published while we were
        # disconnected: only a re-read of the stream can bring it in.
        assert board._sub is not None
        await board._sub.unsubscribe()
        missed = DeviceStatus(device="r1", state=DeviceState.UNREACHABLE,
                              reason="connection refused", since=utcnow())
        await publisher.publish(bus.subjects.device_status("r1"), missed)
        await publisher.close()
        assert board.get("r1") is None

        await server.astop()
        server = NatsServer(store_dir=tmp_path / "nats", port=port)
        await server.astart()
        await board.wait_until(lambda b: b.get("r1") is not None, timeout=15)
        assert board.get("r1") == missed
    finally:
        await bus.close()
        await server.astop()


async def test_bus_runs_every_reconnect_hook_even_when_one_fails(tmp_path: Path) -> None:
    port = free_port()
    server = NatsServer(store_dir=tmp_path / "nats", port=port)
    await server.astart()
    bus = await Bus.connect(NatsSettings(url=server.url), name="hooks")
    called = asyncio.Event()

    async def broken() -> None:
        raise RuntimeError("hook failed")

    async def fine() -> None:
        called.set()

    bus.on_reconnect(broken)
    bus.on_reconnect(fine)
    try:
        await server.astop()
        server = NatsServer(store_dir=tmp_path / "nats", port=port)
        await server.astart()
        await asyncio.wait_for(called.wait(), 15)
    finally:
        await bus.close()
        await server.astop()
