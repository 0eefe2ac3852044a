"""When a device is polled next: its interval, stretched for slow devices, shortened on demand.

Two polls in a row whose commands take more than `slow_share` of the interval (logins do
not count: they are one-off and paced), or one poll that times out or finds the device
overloaded, double the effective interval (up to `max_factor` times the configured one):
a struggling device gets fewer commands, and a slow one does not eat the next slot. Each
healthy, quick poll halves it again until it is back to the configured interval. A
poll_fast request shortens the interval for a while (an alert is firing on the device).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FastPoll:
    """A poll_fast request in force until `until` (clock time)."""

    interval: float
    until: float
    requested_by: str


class AdaptiveSchedule:
    """The effective poll interval of one device."""

    def __init__(
        self,
        *,
        interval: float,
        slow_share: float = 0.5,
        max_factor: float = 8.0,
        clock: Callable[[], float],
    ) -> None:
        self.base = interval
        self.slow_share = slow_share
        self.max_factor = max_factor
        self.factor = 1.0
        self._slow_polls = 0
        self._clock = clock
        self._fast: FastPoll | None = None

    def interval(self) -> float:
        """Seconds between polls right now."""
        fast = self._active_fast()
        if fast is not None:
            return min(fast.interval, self.base)
        return self.base * self.factor

    def origin(self) -> str:
        """Who scheduled the next poll, for the command audit."""
        fast = self._active_fast()
        return "schedule" if fast is None else f"poll_fast request ({fast.requested_by})"

    def record(self, duration: float, *, strained: bool) -> bool:
        """Account for a finished poll; True when the effective interval changed."""
        before = self.factor
        slow = duration > self.slow_share * self.base * self.factor
        self._slow_polls = self._slow_polls + 1 if slow else 0
        if strained or self._slow_polls >= 2:
            self.factor = min(self.max_factor, self.factor * 2)
            self._slow_polls = 0
        elif duration <= self.slow_share * self.base:
            self.factor = max(1.0, self.factor / 2)
        return self.factor != before

    def fast(self, *, interval: float, duration: float, requested_by: str) -> FastPoll:
        """Poll every `interval` seconds for `duration` seconds; replaces an earlier request."""
        self._fast = FastPoll(
            interval=max(1.0, min(interval, self.base)), until=self._clock() + duration,
            requested_by=requested_by,
        )
        return self._fast

    def _active_fast(self) -> FastPoll | None:
        if self._fast is not None and self._clock() >= self._fast.until:
            self._fast = None
        return self._fast
