"""Device state as the collector sees it: publish on change, log once, back off politely."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from services.collector.retry import RetryPolicy
from shared.errors import (
    AlgorithmMismatch,
    AuthFailed,
    CircuitOpen,
    DeviceError,
    DeviceOverloaded,
    DeviceTimeout,
    DeviceUnreachable,
    HostKeyMismatch,
    Retryable,
)
from shared.events import DeviceState, DeviceStatus, utcnow
from shared.settings import RetrySettings

log = logging.getLogger(__name__)

HEALTHY = frozenset({DeviceState.UP, DeviceState.UNKNOWN})


def state_for(error: DeviceError) -> DeviceState:
    """The device state a connection-level error puts the device in."""
    if isinstance(error, AuthFailed):
        return DeviceState.AUTH_FAILED
    if isinstance(error, HostKeyMismatch):
        return DeviceState.HOST_KEY_MISMATCH
    if isinstance(error, AlgorithmMismatch):
        return DeviceState.ALGORITHM_MISMATCH
    if isinstance(error, DeviceOverloaded):
        return DeviceState.OVERLOADED
    if isinstance(error, CircuitOpen):
        return DeviceState.CIRCUIT_OPEN
    if isinstance(error, DeviceTimeout):
        return DeviceState.TIMEOUT
    if isinstance(error, DeviceUnreachable):
        return DeviceState.UNREACHABLE
    return DeviceState.ERROR


class StatusTracker:
    """Turns poll outcomes into a DeviceStatus only when the state changes."""

    def __init__(self, *, device: str, now: Callable[[], datetime] = utcnow) -> None:
        self.device = device
        self.state = DeviceState.UNKNOWN
        self.reason: str | None = None
        self._now = now

    def update(self, state: DeviceState, reason: str | None = None) -> DeviceStatus | None:
        """Record the latest outcome; return the event to publish when the state changed."""
        previous = self.state
        self.reason = reason
        if state == previous:
            return None
        self.state = state
        self._log_change(previous, state, reason)
        return DeviceStatus(device=self.device, state=state, reason=reason, since=self._now())

    def _log_change(self, previous: DeviceState, state: DeviceState, reason: str | None) -> None:
        if state not in HEALTHY:
            log.warning("device %s is %s: %s", self.device, state, reason)
        elif previous not in HEALTHY:
            log.info("device %s recovered (was %s)", self.device, previous)
        else:
            log.info("device %s is up", self.device)


class Backoff:
    """How long to wait before connecting again after a failure.

    Refused credentials, an untrusted host key or no common algorithm are not retried for
    `auth_delay` (five minutes by default): nothing changes until a human acts, and
    hammering a device with a wrong password locks accounts on AAA servers. Transient
    failures follow `policy` (exponential from `base` up to `cap`, optionally jittered).
    """

    def __init__(
        self,
        *,
        base: float,
        cap: float = 300.0,
        auth_delay: float = 300.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.auth_delay = auth_delay
        self.policy = policy or RetryPolicy(initial=base, cap=cap)
        self.failures = 0

    @classmethod
    def from_settings(cls, settings: RetrySettings, *, interval: float) -> Backoff:
        """The backoff the collector settings describe for a device polled every `interval`."""
        policy = RetryPolicy.from_settings(settings, interval=interval)
        return cls(base=policy.initial, cap=policy.cap, auth_delay=settings.auth_retry_s,
                   policy=policy)

    def delay_after(self, error: DeviceError) -> float:
        """Seconds to wait after `error` before the next connection attempt."""
        self.failures += 1
        if not isinstance(error, Retryable):
            return self.auth_delay
        return self.policy.delay(self.failures)

    def reset(self) -> None:
        """A connection succeeded: start from `base` again next time."""
        self.failures = 0
