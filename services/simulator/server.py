"""One simulated device: an asyncssh server on loopback that answers exec requests.

The platform-specific part is a `Responder` (see `linux.py`); this module only does SSH:
password login, one exec request per command, `sh: 1: X: not found` with exit status 127
for commands the responder does not know, and hooks tests use (rotate the host key, drop
every connection, list the commands received, count logins and connections, make commands
hang, answer slowly or report overload, offer only legacy SSH algorithms).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable
from typing import Protocol

import asyncssh
from pydantic import SecretStr

from shared.inventory import Device, Platform

log = logging.getLogger(__name__)

# What an old SSH stack offers: nothing a current client enables by default.
LEGACY_ALGORITHMS = {
    "kex_algs": ["diffie-hellman-group1-sha1"],
    "encryption_algs": ["aes128-cbc"],
    "mac_algs": ["hmac-sha1"],
    "signature_algs": ["ssh-rsa"],
}
# What a Linux shell prints when it cannot fork: the device is overloaded.
BUSY_MESSAGE = "sh: fork: retry: Resource temporarily unavailable\n"


class Responder(Protocol):
    """Produces a platform's command output."""

    def respond(self, command: str) -> str | None:
        """The output of `command`, or None when the device does not know it."""
        ...


class _SshServer(asyncssh.SSHServer):
    """Per-connection callbacks: password check and connection bookkeeping."""

    def __init__(self, device: SimulatedDevice) -> None:
        self._device = device
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._device._connections.add(conn)
        self._device.connections_made += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._device._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True  # every user must authenticate

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool | Awaitable[bool]:
        self._device.login_attempts += 1
        if self._device.auth_delay:
            return self._slow_check(username, password)
        return self._device.accepts(username, password)

    async def _slow_check(self, username: str, password: str) -> bool:
        """An AAA server that takes its time to answer."""
        await asyncio.sleep(self._device.auth_delay)
        return self._device.accepts(username, password)


class SimulatedDevice:
    """An SSH server for one simulated device; port 0 picks a free port at start."""

    def __init__(
        self,
        *,
        name: str,
        platform: Platform,
        responder: Responder,
        username: str,
        password: str,
        refuse_auth: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        legacy_only: bool = False,
    ) -> None:
        self.name = name
        self.platform = platform
        self.responder = responder
        self.username = username
        self.password = password
        self.refuse_auth = refuse_auth
        self.host = host
        self._requested_port = port
        self.legacy_only = legacy_only
        self._host_key = _host_key(legacy_only)
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self.commands_received: list[str] = []
        self.login_attempts = 0  # password checks, successful or not
        self.connections_made = 0
        self.hang_commands: set[str] = set()  # never answered until the client gives up
        self.command_delay = 0.0  # seconds before every answer
        self.busy = False  # every command fails as when the device cannot fork
        self.auth_delay = 0.0  # seconds before a password is accepted or refused

    @property
    def open_connections(self) -> int:
        """Client connections open right now, as the device sees them."""
        return len(self._connections)

    @property
    def port(self) -> int:
        """The TCP port the device listens on."""
        if self._acceptor is None:
            raise RuntimeError(f"simulated device {self.name} is not running")
        return self._acceptor.get_port()

    @property
    def host_public_key(self) -> str:
        """The current host key in OpenSSH format ('ssh-ed25519 AAAA...')."""
        return self._host_key.export_public_key().decode().strip()

    def accepts(self, username: str, password: str) -> bool:
        """Whether a login succeeds; a `refuse_auth` device refuses everyone."""
        if self.refuse_auth:
            return False
        same_user = hmac.compare_digest(username.encode(), self.username.encode())
        return same_user and hmac.compare_digest(password.encode(), self.password.encode())

    async def start(self) -> None:
        """Listen on loopback."""
        self._acceptor = await asyncssh.listen(
            self.host,
            self._requested_port,
            server_factory=lambda: _SshServer(self),
            server_host_keys=[self._host_key],
            process_factory=self._handle,
            reuse_address=True,
            **(LEGACY_ALGORITHMS if self.legacy_only else {}),
        )
        self._requested_port = self._acceptor.get_port()  # a restart keeps the same port
        log.debug("simulated %s %s listening on %s:%s", self.platform, self.name,
                  self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            acceptor.close()
            await acceptor.wait_closed()
        await self.drop_connections()

    async def drop_connections(self) -> None:
        """Close every client connection, as a device reboot or a network cut would."""
        connections = list(self._connections)
        for conn in connections:
            conn.close()
        for conn in connections:
            await conn.wait_closed()

    def rotate_host_key(self) -> None:
        """Present a new host key to new connections (an impostor or a reinstalled device)."""
        self._host_key = _host_key(self.legacy_only)
        if self._acceptor is not None:
            self._acceptor.update(server_host_keys=[self._host_key])

    def device(self, *, poll_interval: float = 5.0) -> Device:
        """The inventory entry that polls this device."""
        return Device(
            name=self.name, host=self.host, port=self.port, platform=self.platform,
            username=self.username, password=SecretStr(self.password), poll_interval=poll_interval,
            tags={"simulated": "true"},
        )

    async def _handle(self, process: asyncssh.SSHServerProcess[str]) -> None:
        command = process.command
        if command is None:
            process.stderr.write("this simulated device only answers exec requests\n")
            process.exit(1)
            return
        self.commands_received.append(command)
        if await self._delay_or_refuse(process, command):
            return
        output = self.responder.respond(command)
        if output is None:
            word = command.split()[0] if command.split() else command
            process.stderr.write(f"sh: 1: {word}: not found\n")
            process.exit(127)
            return
        process.stdout.write(output)
        process.exit(0)

    async def _delay_or_refuse(self, process: asyncssh.SSHServerProcess[str], command: str) -> bool:
        """Apply the hang, slow and busy scenarios; True when the command got no output."""
        if command in self.hang_commands:
            with contextlib.suppress(asyncssh.Error, OSError):
                await process.stdin.read()  # returns once the client closes the channel
            return True
        if self.command_delay:
            await asyncio.sleep(self.command_delay)
        if self.busy:
            process.stderr.write(BUSY_MESSAGE)
            process.exit(254)
            return True
        return False


def _host_key(legacy: bool) -> asyncssh.SSHKey:
    """An RSA key for a legacy device (ssh-rsa signatures), else ed25519."""
    if legacy:
        return asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    return asyncssh.generate_private_key("ssh-ed25519")
