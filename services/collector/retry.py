"""When to try a device again: exponential backoff with jitter, and a login budget.

Transient failures (unreachable, timeouts, overload) are retried after a delay that grows
by `multiplier` per failure up to `cap`, spread by +/- `jitter` so a fleet that failed
together (a core switch reboot) does not reconnect in lockstep. Refused logins are
different: AAA servers lock accounts after a few failures, so `AuthBudget` allows at most
`attempts` refused logins per device in any `window` seconds, however often polls come due.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Literal

from shared.settings import RetrySettings

Strategy = Literal["exponential", "fixed"]


class RetryPolicy:
    """Delay before retry number `attempt` (1 for the first retry)."""

    def __init__(
        self,
        *,
        initial: float,
        cap: float,
        strategy: Strategy = "exponential",
        multiplier: float = 2.0,
        jitter: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = initial
        self.cap = cap
        self.strategy = strategy
        self.multiplier = multiplier
        self.jitter = jitter
        self._rng = rng or random.Random()

    @classmethod
    def from_settings(
        cls, settings: RetrySettings, *, interval: float, rng: random.Random | None = None
    ) -> RetryPolicy:
        """The policy settings describe; the first delay defaults to the poll interval."""
        return cls(
            initial=settings.initial_s or interval, cap=settings.max_s,
            strategy=settings.strategy, multiplier=settings.multiplier,
            jitter=settings.jitter, rng=rng,
        )

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry `attempt`; never above `cap`, never negative."""
        if self.strategy == "fixed":
            base = self.initial
        else:
            base = self.initial * self.multiplier ** max(0, attempt - 1)
        base = min(self.cap, base)
        spread = base * self.jitter * self._rng.uniform(-1.0, 1.0)
        return max(0.0, min(self.cap, base + spread))


class AuthBudget:
    """At most `attempts` refused logins per device in any `window` seconds."""

    def __init__(
        self, *, attempts: int, window: float = 3600.0, clock: Callable[[], float]
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._refused: deque[float] = deque()

    def record_refused(self) -> None:
        """A login with these credentials was refused just now."""
        self._refused.append(self._clock())

    def record_accepted(self) -> None:
        """A login succeeded: the credentials are good again."""
        self._refused.clear()

    def next_allowed(self) -> float:
        """Clock time from which another login may be tried (now or earlier when allowed)."""
        now = self._clock()
        while self._refused and self._refused[0] <= now - self.window:
            self._refused.popleft()
        if len(self._refused) < self.attempts:
            return now
        return self._refused[0] + self.window
