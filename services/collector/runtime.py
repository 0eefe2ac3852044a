"""What every poller of one collector shares: pacer, credential breakers, audit, secret key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

from services.collector.audit import CommandAudit
from services.collector.breaker import CredentialBreakers
from services.collector.credentials import device_password, load_secret_key
from services.collector.pacer import Pacer
from shared.inventory import Device
from shared.settings import CollectorSettings, NetvigilSettings


@dataclass(frozen=True, slots=True)
class CollectorRuntime:
    """Shared collaborators of the pollers of one collector process."""

    pacer: Pacer
    credential_breakers: CredentialBreakers
    audit: CommandAudit | None = None
    secret_key: bytes | None = None

    def password_for(self, device: Device) -> SecretStr | None:
        """The device's login password, decrypted when stored encrypted (ConfigError if not)."""
        return device_password(device, key=self.secret_key)

    def close(self) -> None:
        """Close the audit file."""
        if self.audit is not None:
            self.audit.close()


def build_runtime(
    settings: NetvigilSettings,
    *,
    login_slots: asyncio.Semaphore | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CollectorRuntime:
    """The runtime `settings` describe; the audit log goes to <data_dir>/audit/commands.jsonl."""
    collector = settings.collector
    audit = None
    if collector.audit_commands:
        audit = CommandAudit(path=settings.data_dir / "audit" / "commands.jsonl")
    return _runtime(collector, login_slots=login_slots, clock=clock, audit=audit,
                    secret_key=load_secret_key(settings))


def standalone_runtime(
    settings: CollectorSettings,
    *,
    login_slots: asyncio.Semaphore | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CollectorRuntime:
    """A runtime for a poller built without one: no audit file, no secret key."""
    return _runtime(settings, login_slots=login_slots, clock=clock, audit=None, secret_key=None)


def _runtime(
    settings: CollectorSettings,
    *,
    login_slots: asyncio.Semaphore | None,
    clock: Callable[[], float],
    audit: CommandAudit | None,
    secret_key: bytes | None,
) -> CollectorRuntime:
    breaker = settings.breaker
    return CollectorRuntime(
        pacer=Pacer(
            max_logins=login_slots or settings.max_concurrent_logins,
            commands_per_second=settings.commands_per_second, clock=clock,
        ),
        credential_breakers=CredentialBreakers(
            threshold=breaker.credential_failures, window=breaker.credential_window_s,
            open_for=breaker.credential_open_s, clock=clock,
        ),
        audit=audit,
        secret_key=secret_key,
    )
