"""Serve one simulated network device over SSH on loopback with asyncssh's server side.

    handle = await start_vendor_device(state, username="admin", password="pw")
    ... ssh to 127.0.0.1:handle.port ...
    await handle.close()
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable

import asyncssh

from services.simulator.vendors.scenarios import SessionScenarios
from services.simulator.vendors.shell import VendorDevice, VendorShell, motd
from services.simulator.vendors.state import DeviceState

# What an old IOS 12.2 box offers; asyncssh still implements these, off by default.
LEGACY_KEX = ("diffie-hellman-group1-sha1",)
LEGACY_CIPHERS = ("aes128-cbc",)
LEGACY_MACS = ("hmac-sha1",)


@functools.lru_cache(maxsize=2)
def _host_key(algorithm: str) -> asyncssh.SSHKey:
    """One host key per algorithm and process: generating RSA keys is slow."""
    return asyncssh.generate_private_key(algorithm)


class _DeviceServer(asyncssh.SSHServer):
    """Password auth against the device's credentials, with the login banner."""

    def __init__(self, device: VendorDevice, connections: set[asyncssh.SSHServerConnection]):
        self._device = device
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        if self._conn is not None:
            self._conn.send_auth_banner(motd(self._device.state.hostname))
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        if self._device.scenarios.refuse_auth:
            return False
        return username == self._device.username and password == self._device.password


class VendorDeviceHandle:
    """A running simulated device: its port, its state and scenarios, and `close()`."""

    def __init__(self, *, device: VendorDevice, acceptor: asyncssh.SSHAcceptor,
                 connections: set[asyncssh.SSHServerConnection]) -> None:
        self.device = device
        self._acceptor = acceptor
        self._connections = connections
        self.host, self.port = acceptor.sockets[0].getsockname()[:2]

    @property
    def state(self) -> DeviceState:
        """The device state; scenario functions mutate it in place."""
        return self.device.state

    @property
    def scenarios(self) -> SessionScenarios:
        """Session behaviour, read on every command."""
        return self.device.scenarios

    async def close(self) -> None:
        """Stop listening, release hung commands and close every session."""
        self.device.closing.set()
        self._acceptor.close()
        await self._acceptor.wait_closed()
        for conn in list(self._connections):
            conn.close()
        for conn in list(self._connections):
            await conn.wait_closed()


async def start_vendor_device(
    state: DeviceState,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    username: str,
    password: str,
    scenarios: SessionScenarios | None = None,
    clock: Callable[[], float] = time.time,
) -> VendorDeviceHandle:
    """Listen for SSH on `host:port` (0 picks a free port) and serve `state`'s CLI."""
    session = scenarios or SessionScenarios()
    device = VendorDevice(state=state, scenarios=session, clock=clock, username=username,
                          password=password, closing=asyncio.Event())
    connections: set[asyncssh.SSHServerConnection] = set()
    options: dict[str, object] = {}
    if session.legacy_algorithms:
        options = {"kex_algs": list(LEGACY_KEX), "encryption_algs": list(LEGACY_CIPHERS),
                   "mac_algs": list(LEGACY_MACS), "compression_algs": ["none"]}
    acceptor = await asyncssh.listen(
        host, port,
        server_factory=lambda: _DeviceServer(device, connections),
        server_host_keys=[_host_key("ssh-rsa" if session.legacy_algorithms else "ssh-ed25519")],
        process_factory=lambda process: VendorShell(device=device, process=process).run(),
        line_editor=False,
        encoding="utf-8",
        **options,
    )
    return VendorDeviceHandle(device=device, acceptor=acceptor, connections=connections)
