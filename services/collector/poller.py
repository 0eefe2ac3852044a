"""One DevicePoller per device: poll on the device's interval, publish what it read.

Each poll runs every command of the driver over the device's persistent SSH connection.
A command or parse failure costs only its own metric group (a CollectionError is
published and the device is `degraded`); a connection failure ends the poll, closes the
connection and backs off before the next attempt. One MetricBatch is published per
successful poll, and a DeviceStatus only when the state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from services.collector.drivers.base import CommandSpec, Driver, Reading
from services.collector.hostkeys import HostKeyStore
from services.collector.rates import CounterRates
from services.collector.ssh import DeviceSession
from services.collector.status import Backoff, StatusTracker, state_for
from shared.bus import Bus
from shared.errors import CommandRejected, DeviceError, DeviceUnreachable, ParseError
from shared.events import CollectionError, DeviceState, MetricBatch, MetricSample, utcnow
from shared.inventory import Device
from shared.settings import CollectorSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GroupResult:
    """What one command of a poll produced, and when its output arrived."""

    spec: CommandSpec
    readings: list[Reading]
    at: float


class DevicePoller:
    """Polls one device; never overlaps polls, reconnects when the connection drops."""

    def __init__(
        self,
        *,
        device: Device,
        driver: Driver | None,
        bus: Bus,
        host_keys: HostKeyStore,
        settings: CollectorSettings,
        login_slots: asyncio.Semaphore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self.driver = driver
        self._bus = bus
        self._login_slots = login_slots
        self._clock = clock
        self._session = DeviceSession(
            device=device,
            allowed_commands=driver.allowed_commands() if driver else frozenset(),
            host_keys=host_keys,
            connect_timeout=settings.connect_timeout,
            command_timeout=settings.command_timeout,
        )
        self.status = StatusTracker(device=device.name)
        self._backoff = Backoff(base=device.poll_interval)
        self._rates = CounterRates(max_age=max(3600.0, 10 * device.poll_interval))
        self._retry_at = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every `poll_interval` seconds until `stop` is set, then close the connection."""
        try:
            if self.driver is None:
                reason = f"no driver for platform {self.device.platform}"
                await self._set_state(DeviceState.ERROR, reason)
                await stop.wait()
                return
            while not stop.is_set():
                started = self._clock()
                try:
                    await self.poll_once()
                except Exception:  # loop top: one bad poll must not end the device's polling
                    log.exception("poll of %s failed unexpectedly", self.device.name)
                await _wait(stop, self._delay_until_next(started))
        finally:
            await self._session.close()

    def _delay_until_next(self, started: float) -> float:
        """Time to the next slot on the interval grid; a slow poll skips missed slots."""
        interval = self.device.poll_interval
        elapsed = max(0.0, self._clock() - started)
        return interval * (elapsed // interval + 1) - elapsed

    async def poll_once(self) -> None:
        """Connect if needed, run every command, publish the batch and any state change."""
        assert self.driver is not None
        if self._clock() < self._retry_at:
            return  # backing off after a failure
        started = self._clock()
        try:
            results, failures = await self._connect_and_run(self.driver)
        except DeviceError as exc:
            await self._session.close()
            self._retry_at = self._clock() + self._backoff.delay_after(exc)
            await self._set_state(state_for(exc), exc.reason)
            return
        self._backoff.reset()
        await self._publish(results, failures, started)

    async def _connect_and_run(
        self, driver: Driver
    ) -> tuple[list[GroupResult], list[CollectionError]]:
        reused = self._session.connected
        await self._connect()
        try:
            return await self._run_commands(driver)
        except DeviceUnreachable:
            if not reused:
                raise
        # The kept-open connection had died unnoticed (device reboot, NAT timeout):
        # one fresh connection gets this poll through without a spurious outage.
        log.info("connection to %s dropped; reconnecting", self.device.name)
        await self._session.close()
        await self._connect()
        return await self._run_commands(driver)

    async def _connect(self) -> None:
        if self._session.connected:
            return
        async with self._login_slots:  # spare AAA servers a burst of logins
            await self._session.connect()

    async def _run_commands(
        self, driver: Driver
    ) -> tuple[list[GroupResult], list[CollectionError]]:
        results: list[GroupResult] = []
        failures: list[CollectionError] = []
        for spec in driver.commands:
            try:
                output = await self._session.run(spec.command)
                results.append(GroupResult(spec, driver.parse(spec, output), self._clock()))
            except (CommandRejected, ParseError) as exc:
                reason = exc.reason if isinstance(exc, DeviceError) else str(exc)
                failures.append(CollectionError(
                    device=self.device.name, group=spec.group, command=spec.command,
                    reason=reason,
                ))
        return results, failures

    async def _publish(
        self, results: list[GroupResult], failures: list[CollectionError], started: float
    ) -> None:
        subjects = self._bus.subjects
        samples = self._samples(results)
        samples.append(
            MetricSample(metric="netvigil.poll.duration", value=self._clock() - started)
        )
        batch = MetricBatch(device=self.device.name, collected_at=utcnow(), samples=samples)
        await self._bus.publish(subjects.metrics(self.device.name), batch)
        for failure in failures:
            log.debug("device %s group %s failed: %s", failure.device, failure.group,
                      failure.reason)
            await self._bus.publish(subjects.collection_error(self.device.name), failure)
        await self._set_state(*_poll_state(failures, total=len(results) + len(failures)))

    def _samples(self, results: list[GroupResult]) -> list[MetricSample]:
        uptime = next(
            (r.value for g in results for r in g.readings if r.metric == "system.uptime"), None
        )
        samples: list[MetricSample] = []
        for group in results:
            samples.extend(self._rates.samples(group.readings, at=group.at, uptime=uptime))
        return samples

    async def _set_state(self, state: DeviceState, reason: str | None) -> None:
        event = self.status.update(state, reason)
        if event is not None:
            await self._bus.publish(self._bus.subjects.device_status(self.device.name), event)


def _poll_state(failures: list[CollectionError], *, total: int) -> tuple[DeviceState, str | None]:
    """up when every group worked, degraded when some failed, error when all did."""
    if not failures:
        return DeviceState.UP, None
    summary = "; ".join(f"{f.group}: {f.reason}" for f in failures)
    if len(failures) == total:
        return DeviceState.ERROR, f"every metric group failed: {summary}"
    return DeviceState.DEGRADED, f"{len(failures)} of {total} metric groups failed: {summary}"


async def _wait(stop: asyncio.Event, delay: float) -> None:
    """Sleep `delay` seconds, waking early when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay)
