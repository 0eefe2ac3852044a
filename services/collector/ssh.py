"""One persistent SSH connection per device, and the one place asyncssh errors are translated.

    asyncssh / OS error                        netvigil error
    PermissionDenied                       ->  AuthFailed
    HostKeyNotVerifiable                   ->  HostKeyMismatch (with the store's reason)
    KeyExchangeFailed                      ->  AlgorithmMismatch
    DisconnectError TOO_MANY_CONNECTIONS,
    ChannelOpenError RESOURCE_SHORTAGE     ->  DeviceOverloaded
    TimeoutError                           ->  DeviceTimeout (connect, login or command)
    OSError, DisconnectError,
    ChannelOpenError, ConnectionLost       ->  DeviceUnreachable

Connections send keepalives (a device that vanished is noticed within
`keepalive_interval * keepalive_count_max`) and count as expired after `max_age`, so the
poller replaces them before a device's own session limit cuts them mid-poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import asyncssh
from pydantic import SecretStr

from services.collector.audit import CommandAudit
from services.collector.commands import matches_template
from services.collector.hostkeys import HostKeyStore
from shared.errors import (
    AlgorithmMismatch,
    AuthFailed,
    CommandRejected,
    DeviceError,
    DeviceOverloaded,
    DeviceTimeout,
    DeviceUnreachable,
    HostKeyMismatch,
)
from shared.inventory import Device

# Trust nothing up front so asyncssh asks `validate_host_public_key` about every key.
_NO_TRUSTED_KEYS: tuple[list[asyncssh.SSHKey], list[asyncssh.SSHKey], list[asyncssh.SSHKey]] = (
    [], [], []
)
# Offered in addition to asyncssh's defaults only for devices with `legacy_algorithms: true`.
LEGACY_KEX = ("diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1")
LEGACY_CIPHERS = ("aes128-cbc", "aes256-cbc", "3des-cbc")
LEGACY_MACS = ("hmac-sha1",)
LEGACY_HOST_KEY_ALGS = ("ssh-rsa",)
# Output of a device too busy to run a command (a shell that cannot fork, a busy CLI).
OVERLOAD_MARKERS = ("resource temporarily unavailable", "% device busy", "system is busy")


class _Client(asyncssh.SSHClient):
    """Checks the host key, remembers why it refused one and how far the login got."""

    def __init__(self, *, store: HostKeyStore) -> None:
        self._store = store
        self.refusal: str | None = None
        self.tcp_up = False

    def connection_made(self, conn: asyncssh.SSHClientConnection) -> None:
        self.tcp_up = True

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
    except asyncssh.KeyExchangeFailed as exc:
        raise AlgorithmMismatch(device, f"{what}: {exc.reason}; {_LEGACY_HINT}") from exc
    except TimeoutError as exc:
        if client is not None and client.tcp_up:
            what = f"{what}: login (SSH handshake or authentication)"
        raise DeviceTimeout(device, f"{what}: timed out") from exc
    except asyncssh.DisconnectError as exc:
        if exc.code == asyncssh.DISC_TOO_MANY_CONNECTIONS:
            raise DeviceOverloaded(device, f"{what}: {exc.reason}") from exc
        raise DeviceUnreachable(device, f"{what}: {exc.reason}") from exc
    except asyncssh.ChannelOpenError as exc:
        if exc.code == asyncssh.OPEN_RESOURCE_SHORTAGE:
            raise DeviceOverloaded(device, f"{what}: {exc.reason}") from exc
        raise DeviceUnreachable(device, f"{what}: {exc.reason}") from exc
    except ConnectionRefusedError as exc:
        raise DeviceUnreachable(device, f"{what}: connection refused") from exc
    except OSError as exc:
        detail = exc.strerror or str(exc) or type(exc).__name__
        raise DeviceUnreachable(device, f"{what}: {detail}") from exc


_LEGACY_HINT = (
    "the device may offer only legacy algorithms (diffie-hellman-group1-sha1, aes128-cbc, "
    "ssh-rsa); set legacy_algorithms: true in its inventory entry to allow them"
)


def algorithm_options(device: Device) -> dict[str, Any]:
    """asyncssh algorithm options: defaults, plus legacy ones only when the device opts in."""
    if not device.legacy_algorithms:
        return {}
    # asyncssh reads a leading '+' as "the defaults, then these".
    return {
        "kex_algs": "+" + ",".join(LEGACY_KEX),
        "encryption_algs": "+" + ",".join(LEGACY_CIPHERS),
        "mac_algs": "+" + ",".join(LEGACY_MACS),
        "server_host_key_algs": "+" + ",".join(LEGACY_HOST_KEY_ALGS),
        "signature_algs": "+" + ",".join(LEGACY_HOST_KEY_ALGS),
    }


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
        allowed_templates: frozenset[str] = frozenset(),
        password: SecretStr | None = None,
        keepalive_interval: float = 30.0,
        keepalive_count_max: int = 3,
        max_age: float | None = None,
        audit: CommandAudit | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self._allowed = allowed_commands
        self._templates = allowed_templates
        self._host_keys = host_keys
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._password = password if password is not None else device.password
        self._keepalive = (keepalive_interval, keepalive_count_max)
        self._max_age = max_age
        self._audit = audit
        self._clock = clock
        self._conn: asyncssh.SSHClientConnection | None = None
        self._opened_at = 0.0

    @property
    def connected(self) -> bool:
        """Whether a connection is open (it may still have dropped unnoticed)."""
        return self._conn is not None and not self._conn.is_closed()

    @property
    def expired(self) -> bool:
        """Whether the open connection is older than `max_age` and should be replaced."""
        age = self._clock() - self._opened_at
        return self.connected and self._max_age is not None and age >= self._max_age

    async def connect(self) -> None:
        """Open the connection unless one is already open."""
        if self.connected:
            return
        await self.close()
        client = _Client(store=self._host_keys)
        where = f"connect to {self.device.host}:{self.device.port}"
        with mapped_asyncssh_errors(self.device.name, what=where, client=client):
            self._conn = await asyncio.wait_for(self._open(client), self._connect_timeout)
        self._opened_at = self._clock()

    async def _open(self, client: _Client) -> asyncssh.SSHClientConnection:
        device = self.device
        conn, _ = await asyncssh.create_connection(
            lambda: client,
            device.host,
            port=device.port,
            username=device.username,
            password=self._password.get_secret_value() if self._password else None,
            client_keys=[str(device.key_file.expanduser())] if device.key_file else None,
            known_hosts=_NO_TRUSTED_KEYS,
            agent_path=None,  # never offer the operator's agent keys to devices
            config=None,  # nor read ~/.ssh/config
            connect_timeout=self._connect_timeout,
            login_timeout=self._connect_timeout,
            keepalive_interval=self._keepalive[0],
            keepalive_count_max=self._keepalive[1],
            **algorithm_options(device),
        )
        return conn

    def allows(self, command: str) -> bool:
        """Whether `command` is on the allow-list, literally or as a filled-in template."""
        return command in self._allowed or any(
            matches_template(command, t) for t in self._templates
        )

    async def run(self, command: str, *, scheduled_by: str = "schedule") -> str:
        """Run one allow-listed command and return its stdout; every attempt is audited."""
        started = self._clock()
        if not self.allows(command):
            self._record(command, scheduled_by, started, "refused", "not allow-listed")
            raise CommandRejected(self.device.name, f"command {command!r} is not allow-listed")
        try:
            output = await self._run(command)
        except DeviceError as exc:
            self._record(command, scheduled_by, started, audit_outcome(exc), exc.reason)
            raise
        except asyncio.CancelledError:  # the poll's deadline (or shutdown) cut it short
            self._record(command, scheduled_by, started, "cancelled", "poll deadline or stop")
            raise
        self._record(command, scheduled_by, started, "ok", None)
        return output

    async def _run(self, command: str) -> str:
        if self._conn is None:
            raise DeviceUnreachable(self.device.name, "not connected")
        # The deadline covers opening the channel too, not only waiting for output.
        with mapped_asyncssh_errors(self.device.name, what=f"run {command!r}"):
            result = await asyncio.wait_for(
                self._conn.run(command, check=False), self._command_timeout
            )
        if result.exit_status != 0:
            stderr = str(result.stderr or "").strip()[:200]
            busy = any(marker in stderr.lower() for marker in OVERLOAD_MARKERS)
            error: type[DeviceError] = DeviceOverloaded if busy else CommandRejected
            raise error(
                self.device.name,
                f"{command!r} exited with status {result.exit_status}: {stderr}",
            )
        return str(result.stdout or "")

    def _record(
        self, command: str, scheduled_by: str, started: float, outcome: str, error: str | None
    ) -> None:
        if self._audit is not None:
            self._audit.record(
                device=self.device.name, command=command, scheduled_by=scheduled_by,
                outcome=outcome, duration_s=self._clock() - started, error=error,
            )

    async def close(self) -> None:
        """Close the connection if one is open."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            await conn.wait_closed()


def audit_outcome(error: DeviceError) -> str:
    """The audit outcome of a command that failed with `error`."""
    if isinstance(error, CommandRejected):
        return "rejected"
    if isinstance(error, DeviceTimeout):
        return "timeout"
    if isinstance(error, DeviceOverloaded):
        return "overloaded"
    return "failed"
