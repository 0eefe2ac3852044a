"""One persistent SSH connection per device, and the one place asyncssh errors are translated.

    asyncssh / OS error                    netvigil error
    PermissionDenied                   ->  AuthFailed
    HostKeyNotVerifiable               ->  HostKeyMismatch (with the store's reason)
    TimeoutError                       ->  DeviceTimeout
    OSError, DisconnectError,
    ChannelOpenError, ConnectionLost   ->  DeviceUnreachable
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import asyncssh

from services.collector.hostkeys import HostKeyStore
from shared.errors import (
    AuthFailed,
    CommandRejected,
    DeviceTimeout,
    DeviceUnreachable,
    HostKeyMismatch,
)
from shared.inventory import Device

# Trust nothing up front so asyncssh asks `validate_host_public_key` about every key.
_NO_TRUSTED_KEYS: tuple[list[asyncssh.SSHKey], list[asyncssh.SSHKey], list[asyncssh.SSHKey]] = (
    [], [], []
)


class _Client(asyncssh.SSHClient):
    """Checks the host key against the store and remembers why it refused one."""

    def __init__(self, *, store: HostKeyStore) -> None:
        self._store = store
        self.refusal: str | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.refusal = self._store.check(host, addr, port, key)
        return self.refusal is None


@contextlib.contextmanager
def mapped_asyncssh_errors(
    device: str, *, what: str, client: _Client | None = None
) -> Iterator[None]:
    """Translate asyncssh and socket errors raised while doing `what` into netvigil errors."""
    try:
        yield
    except asyncssh.PermissionDenied as exc:
        raise AuthFailed(device, f"{what}: login refused ({exc.reason})") from exc
    except asyncssh.HostKeyNotVerifiable as exc:
        reason = client.refusal if client and client.refusal else exc.reason
        raise HostKeyMismatch(device, reason) from exc
    except TimeoutError as exc:
        raise DeviceTimeout(device, f"{what}: timed out") from exc
    except (asyncssh.DisconnectError, asyncssh.ChannelOpenError) as exc:
        raise DeviceUnreachable(device, f"{what}: {exc.reason}") from exc
    except ConnectionRefusedError as exc:
        raise DeviceUnreachable(device, f"{what}: connection refused") from exc
    except OSError as exc:
        detail = exc.strerror or str(exc) or type(exc).__name__
        raise DeviceUnreachable(device, f"{what}: {detail}") from exc


class DeviceSession:
    """A reusable SSH connection to one device that only sends allow-listed commands."""

    def __init__(
        self,
        *,
        device: Device,
        allowed_commands: frozenset[str],
        host_keys: HostKeyStore,
        connect_timeout: float,
        command_timeout: float,
    ) -> None:
        self.device = device
        self._allowed = allowed_commands
        self._host_keys = host_keys
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._conn: asyncssh.SSHClientConnection | None = None

    @property
    def connected(self) -> bool:
        """Whether a connection is open (it may still have dropped unnoticed)."""
        return self._conn is not None and not self._conn.is_closed()

    async def connect(self) -> None:
        """Open the connection unless one is already open."""
        if self.connected:
            return
        await self.close()
        client = _Client(store=self._host_keys)
        where = f"connect to {self.device.host}:{self.device.port}"
        with mapped_asyncssh_errors(self.device.name, what=where, client=client):
            self._conn = await asyncio.wait_for(self._open(client), self._connect_timeout)

    async def _open(self, client: _Client) -> asyncssh.SSHClientConnection:
        device = self.device
        conn, _ = await asyncssh.create_connection(
            lambda: client,
            device.host,
            port=device.port,
            username=device.username,
            password=device.password.get_secret_value() if device.password else None,
            client_keys=[str(device.key_file.expanduser())] if device.key_file else None,
            known_hosts=_NO_TRUSTED_KEYS,
            agent_path=None,  # never offer the operator's agent keys to devices
            config=None,  # nor read ~/.ssh/config
            connect_timeout=self._connect_timeout,
            login_timeout=self._connect_timeout,
            keepalive_interval=30,
        )
        return conn

    async def run(self, command: str) -> str:
        """Run one allow-listed command and return its stdout; non-zero exit raises."""
        if command not in self._allowed:
            raise CommandRejected(self.device.name, f"command {command!r} is not allow-listed")
        if self._conn is None:
            raise DeviceUnreachable(self.device.name, "not connected")
        with mapped_asyncssh_errors(self.device.name, what=f"run {command!r}"):
            result = await asyncio.wait_for(
                self._conn.run(command, check=False), self._command_timeout
            )
        if result.exit_status != 0:
            stderr = str(result.stderr or "").strip()[:200]
            raise CommandRejected(
                self.device.name,
                f"{command!r} exited with status {result.exit_status}: {stderr}",
            )
        return str(result.stdout or "")

    async def close(self) -> None:
        """Close the connection if one is open."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            await conn.wait_closed()
