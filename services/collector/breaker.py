"""Circuit breakers: stop trying a device, or a credential set, that keeps failing.

    closed --(failures reach the threshold)--> open --(open_for elapsed)--> half-open
    half-open --(the one probe succeeds)--> closed;  --(it fails)--> open again

A device breaker counts failed polls in a row. A credential breaker is shared by every
device logging in with the same username and secret: when that account is refused
`threshold` times within `window` seconds (on any devices), nobody logs in with it until
the breaker lets one probe through, because an AAA server locks the account for everyone.
"""

from __future__ import annotations

import enum
import hashlib
from collections import deque
from collections.abc import Callable

from shared.inventory import Device


class BreakerState(enum.StrEnum):
    """Where a circuit breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `threshold` failures (in a row, or within `window` seconds when given)."""

    def __init__(
        self,
        *,
        threshold: int,
        open_for: float,
        clock: Callable[[], float],
        window: float | None = None,
        name: str = "",
    ) -> None:
        self.threshold = threshold
        self.open_for = open_for
        self.window = window
        self.name = name
        self._clock = clock
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """Closed, open, or half-open once `open_for` has passed since it opened."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self.open_for:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    @property
    def retry_at(self) -> float:
        """Clock time at which an open breaker lets a probe through."""
        return (self._opened_at or 0.0) + self.open_for

    @property
    def failures(self) -> int:
        """Failures currently counted towards opening."""
        return len(self._failures)

    def allow(self) -> bool:
        """Whether an attempt may go ahead; in half-open only one probe at a time."""
        state = self.state
        if state == BreakerState.CLOSED:
            return True
        if state == BreakerState.OPEN or self._probing:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        """An attempt worked: close and forget past failures."""
        self._failures.clear()
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> bool:
        """An attempt failed; True when this failure opened the breaker."""
        now = self._clock()
        was_probe, self._probing = self._probing, False
        if was_probe or self._opened_at is not None:
            self._opened_at = now  # a failed probe re-opens for another full period
            return was_probe
        self._failures.append(now)
        if self.window is not None:
            while self._failures and self._failures[0] <= now - self.window:
                self._failures.popleft()
        if len(self._failures) >= self.threshold:
            self._opened_at = now
            return True
        return False

    def release(self) -> None:
        """The attempt ended without saying anything about what this breaker guards."""
        self._probing = False


def credential_id(device: Device) -> str:
    """A stable label for the device's username and secret that reveals neither secret."""
    secret = device.password or device.password_encrypted
    material = secret.get_secret_value() if secret is not None else str(device.key_file)
    digest = hashlib.sha256(f"{device.username}\0{material}".encode()).hexdigest()
    return f"{device.username}/{digest[:10]}"


class CredentialBreakers:
    """One shared CircuitBreaker per credential set."""

    def __init__(
        self, *, threshold: int, window: float, open_for: float, clock: Callable[[], float]
    ) -> None:
        self._threshold = threshold
        self._window = window
        self._open_for = open_for
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    def for_device(self, device: Device) -> CircuitBreaker:
        """The breaker of the credentials `device` logs in with."""
        key = credential_id(device)
        if key not in self._breakers:
            self._breakers[key] = CircuitBreaker(
                threshold=self._threshold, open_for=self._open_for, window=self._window,
                clock=self._clock, name=key,
            )
        return self._breakers[key]
