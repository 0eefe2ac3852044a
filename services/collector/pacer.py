"""The global pacer: how many logins may run at once, and how many commands per second.

Every device of a fleet usually authenticates against the same TACACS+/RADIUS servers,
and a collector starting up (or a fleet coming back after an outage) would otherwise open
hundreds of logins in the same second; AAA servers answer that with timeouts, which look
like refused logins, which lock accounts. One Pacer is shared by every poller of a
collector: `login()` bounds concurrent logins, `command()` spaces commands out to at most
`commands_per_second` (with a small burst) across all devices.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable


class Pacer:
    """A login semaphore plus a token bucket for commands, shared by all pollers."""

    def __init__(
        self,
        *,
        max_logins: int | asyncio.Semaphore,
        commands_per_second: float,
        burst: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._logins = (
            max_logins if isinstance(max_logins, asyncio.Semaphore)
            else asyncio.Semaphore(max_logins)
        )
        self._spacing = 1.0 / commands_per_second
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")

    @contextlib.asynccontextmanager
    async def login(self) -> AsyncIterator[None]:
        """Hold one of the login slots while connecting and authenticating."""
        async with self._logins:
            yield

    async def command(self) -> None:
        """Wait for this command's turn; turns are handed out first come, first served."""
        now = self._clock()
        # Idle time earns at most `burst` commands that may go out back to back.
        earliest = max(self._next, now - (self._burst - 1) * self._spacing)
        self._next = earliest + self._spacing
        if earliest > now:
            await self._sleep(earliest - now)
