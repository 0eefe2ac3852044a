"""The ceiling: how many commands a bare asyncssh client runs over persistent connections."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import asyncssh

from shared.inventory import Device

MAX_COMMANDS_PER_CONNECTION = 1_000_000  # a count bound beside the time bound


async def _connect(device: Device, slots: asyncio.Semaphore) -> asyncssh.SSHClientConnection:
    async with slots:
        return await asyncssh.connect(
            device.host, port=device.port, username=device.username,
            password=device.password.get_secret_value() if device.password else None,
            known_hosts=None, agent_path=None, config=None, connect_timeout=30,
        )


async def command_rate(
    devices: Sequence[Device], *, connections: int, seconds: float, commands: Sequence[str]
) -> float:
    """Commands per second over `connections` persistent connections, each looping for `seconds`."""
    slots = asyncio.Semaphore(20)
    conns = await asyncio.gather(*(_connect(d, slots) for d in devices[:connections]))
    done = 0

    async def loop(conn: asyncssh.SSHClientConnection, deadline: float) -> None:
        nonlocal done
        for n in range(MAX_COMMANDS_PER_CONNECTION):
            if time.monotonic() >= deadline:
                return
            await conn.run(commands[n % len(commands)], check=True)
            done += 1

    try:
        started = time.monotonic()
        await asyncio.gather(*(loop(c, started + seconds) for c in conns))
        return done / (time.monotonic() - started)
    finally:
        for conn in conns:
            conn.close()
        await asyncio.gather(*(c.wait_closed() for c in conns))
