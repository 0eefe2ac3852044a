"""One poll of one device: connect, run each command group, collect what worked and why not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from services.collector.drivers.base import CommandSpec, Driver, Reading
from services.collector.pacer import Pacer
from services.collector.ssh import DeviceSession
from shared.errors import (
    CommandRejected,
    DeviceError,
    DeviceOverloaded,
    DeviceTimeout,
    DeviceUnreachable,
    ParseError,
)
from shared.events import CollectionError, DeviceState
from shared.inventory import Device

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GroupResult:
    """What one command of a poll produced, and when its output arrived."""

    spec: CommandSpec
    readings: list[Reading]
    at: float


@dataclass(slots=True)
class PollOutcome:
    """The groups a poll read, the ones it could not, and whether the device struggled."""

    results: list[GroupResult] = field(default_factory=list)
    failures: list[CollectionError] = field(default_factory=list)
    # Blocks a parser skipped inside a group that otherwise worked (one bad interface):
    # published as collection errors, but the group and the device stay healthy.
    partial: list[CollectionError] = field(default_factory=list)
    overloaded: bool = False
    timed_out: bool = False
    command_time: float = 0.0  # seconds spent running commands, logins excluded

    @property
    def strained(self) -> bool:
        """Whether the device showed signs of overload (adaptive frequency backs off)."""
        return self.overloaded or self.timed_out


class PollRun:
    """Runs one poll over a device's session; raises DeviceError when nothing could be read."""

    def __init__(
        self,
        *,
        device: Device,
        driver: Driver,
        session: DeviceSession,
        pacer: Pacer,
        origin: str,
        deadline: float,
        clock: Callable[[], float],
        on_login: Callable[[], None],
    ) -> None:
        self.device = device
        self.driver = driver
        self.session = session
        self.pacer = pacer
        self.origin = origin
        self.deadline = deadline
        self._clock = clock
        self._on_login = on_login
        self.outcome = PollOutcome()

    async def execute(self) -> PollOutcome:
        """Connect if needed (replacing an expired session), then run every group once.

        Logging in is bounded by the connect timeout; running the groups by `deadline`,
        after which TimeoutError is raised.
        """
        if self.session.expired:
            log.debug("refreshing the session to %s (max age reached)", self.device.name)
            await self.session.close()
        reused = self.session.connected
        await self.connect()
        started = self._clock()
        try:
            async with asyncio.timeout(self.deadline):
                await self._run_groups(list(self.driver.commands))
        except DeviceUnreachable:
            if not reused or self.outcome.results or self.outcome.failures:
                raise
            # The kept-open connection had died unnoticed (device reboot, idle timeout,
            # NAT): one fresh connection gets this poll through without a spurious outage.
            log.info("connection to %s dropped; reconnecting", self.device.name)
            await self.session.close()
            await self.connect()
            started = self._clock()
            async with asyncio.timeout(self.deadline):
                await self._run_groups(list(self.driver.commands))
        self.outcome.command_time = self._clock() - started
        return self.outcome

    async def connect(self) -> None:
        """Log in unless connected, holding a login slot of the global pacer."""
        if self.session.connected:
            return
        async with self.pacer.login():  # spare AAA servers a burst of logins
            await self.session.connect()
        self._on_login()

    async def _run_groups(self, specs: list[CommandSpec]) -> None:
        for index, spec in enumerate(specs):
            try:
                await self._run_group(spec)
            except DeviceTimeout as exc:
                self._missing(spec, exc.reason)
                self.outcome.timed_out = True
                if not await self._replace_hung_session(specs[index + 1:], exc):
                    return
            except DeviceOverloaded as exc:
                if not self.outcome.results:
                    raise
                # Asking a busy device for more only makes it busier: stop here.
                self.outcome.overloaded = True
                for rest in specs[index:]:
                    self._missing(rest, exc.reason)
                return

    async def _run_group(self, spec: CommandSpec) -> None:
        await self.pacer.command()
        try:
            output = await self.session.run(spec.command, scheduled_by=self.origin)
            readings = self.driver.parse(spec, output)
        except (CommandRejected, ParseError) as exc:
            self._missing(spec, exc.reason if isinstance(exc, DeviceError) else str(exc))
            return
        self.outcome.results.append(GroupResult(spec, readings, self._clock()))
        for problem in getattr(readings, "problems", ()):
            self.outcome.partial.append(self._error(spec, f"skipped part of the output: {problem}"))

    async def _replace_hung_session(self, rest: list[CommandSpec], exc: DeviceError) -> bool:
        """Close the session a hung command holds; reconnect for the groups still to run."""
        await self.session.close()
        if not rest:
            return False
        try:
            await self.connect()
        except DeviceError as again:
            for spec in rest:
                self._missing(spec, f"not run after {exc.reason}: {again.reason}")
            return False
        return True

    def _missing(self, spec: CommandSpec, reason: str) -> None:
        self.outcome.failures.append(self._error(spec, reason))

    def _error(self, spec: CommandSpec, reason: str) -> CollectionError:
        return CollectionError(
            device=self.device.name, group=spec.group, command=spec.command, reason=reason,
        )


def poll_state(outcome: PollOutcome) -> tuple[DeviceState, str | None]:
    """up when every group worked, degraded when some failed, error when all did."""
    failures = outcome.failures
    if not failures:
        return DeviceState.UP, None
    total = len(outcome.results) + len(failures)
    summary = "; ".join(f"{f.group}: {f.reason}" for f in failures)
    if outcome.overloaded:
        return DeviceState.OVERLOADED, f"device overloaded; missing {summary}"
    if len(failures) == total:
        return DeviceState.ERROR, f"every metric group failed: {summary}"
    return DeviceState.DEGRADED, f"{len(failures)} of {total} metric groups failed: {summary}"
