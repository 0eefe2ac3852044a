"""One DevicePoller per device: poll on the device's interval, publish what it read.

Each poll runs every command of the driver over the device's persistent SSH connection;
after login, the commands together run under one deadline (`poll_timeout_share` of the
interval, at least `command_timeout`). What happens on failure
depends on its category (docs/collector.md has the table):

- a command that is rejected, cannot be parsed or times out costs only its metric group:
  the batch still goes out with `missing_groups`, a CollectionError is published per
  group, and the device is `degraded`; a timed-out command also costs the connection,
  because a hung channel is never reused;
- a connection-level failure (unreachable, timeout, overloaded, refused login, host key,
  algorithms) ends the poll, closes the connection and delays the next attempt: retry
  policy with jitter for transient errors, the auth budget for refused logins;
- repeated failures open the device's circuit breaker, refused logins the breaker of the
  credential set, and while one is open no connection is attempted (`circuit_open`).

A DeviceStatus is published only when the state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from datetime import timedelta

from services.collector.breaker import BreakerState, CircuitBreaker
from services.collector.cli_session import session_factory
from services.collector.drivers.base import Driver
from services.collector.hostkeys import HostKeyStore
from services.collector.pollrun import PollOutcome, PollRun, poll_state
from services.collector.rates import CounterRates
from services.collector.retry import AuthBudget
from services.collector.runtime import CollectorRuntime, standalone_runtime
from services.collector.schedule import AdaptiveSchedule
from services.collector.ssh import DeviceSession
from services.collector.status import Backoff, StatusTracker, state_for
from shared.bus import Bus
from shared.errors import AuthFailed, ConfigError, DeviceError, DeviceOverloaded, DeviceTimeout
from shared.events import DeviceState, MetricBatch, MetricSample, PollFastReply, utcnow
from shared.inventory import Device
from shared.settings import CollectorSettings

log = logging.getLogger(__name__)


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
        runtime: CollectorRuntime | None = None,
    ) -> None:
        self.device = device
        self.driver = driver
        self._bus = bus
        self._settings = settings
        self._clock = clock
        self._runtime = runtime or standalone_runtime(settings, login_slots=login_slots)
        self._config_problem: str | None = None
        self._session = self._build_session(host_keys)
        self.status = StatusTracker(device=device.name)
        self.schedule = AdaptiveSchedule(
            interval=device.poll_interval, slow_share=settings.slow_poll_share,
            max_factor=settings.max_backoff_factor, clock=clock,
        )
        self._backoff = Backoff.from_settings(settings.retry, interval=device.poll_interval)
        self._auth_budget = AuthBudget(
            attempts=settings.retry.auth_attempts_per_hour, clock=clock
        )
        self._breaker = CircuitBreaker(
            threshold=settings.breaker.device_failures, open_for=settings.breaker.device_open_s,
            clock=clock, name=device.name,
        )
        self._credentials = self._runtime.credential_breakers.for_device(device)
        self._rates = CounterRates(max_age=max(3600.0, 10 * device.poll_interval))
        self._retry_at = 0.0
        self._credential_probe = False
        self._wake = asyncio.Event()
        self.running = False

    def _build_session(self, host_keys: HostKeyStore) -> DeviceSession:
        driver, settings = self.driver, self._settings
        try:
            password = self._runtime.password_for(self.device)
        except ConfigError as exc:
            self._config_problem, password = str(exc), None
        return session_factory(driver)(  # a CLI shell for network devices, exec for Linux
            device=self.device,
            allowed_commands=driver.allowed_commands() if driver else frozenset(),
            host_keys=host_keys,
            connect_timeout=settings.connect_timeout,
            command_timeout=settings.command_timeout,
            password=password,
            keepalive_interval=settings.keepalive_interval,
            keepalive_count_max=settings.keepalive_count_max,
            max_age=settings.max_session_age,
            audit=self._runtime.audit,
            clock=self._clock,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Poll on the device's adaptive interval until `stop` is set, then close the session."""
        self.running = True
        try:
            if self.driver is None or self._config_problem is not None:
                reason = self._config_problem or f"no driver for platform {self.device.platform}"
                await self._set_state(DeviceState.ERROR, reason)
                await stop.wait()
                return
            while not stop.is_set():
                started = self._clock()
                self._wake.clear()
                try:
                    await self.poll_once()
                except Exception:  # loop top: one bad poll must not end the device's polling
                    log.exception("poll of %s failed unexpectedly", self.device.name)
                await _wait(stop, self._wake, self._delay_until_next(started))
        finally:
            self.running = False
            await self._session.close()

    def poll_fast(
        self, *, duration: float, interval: float | None, requested_by: str
    ) -> PollFastReply:
        """Poll every `interval` s (default a quarter of the interval) for `duration` s, now."""
        chosen = interval or max(1.0, self.device.poll_interval / 4)
        fast = self.schedule.fast(interval=chosen, duration=duration, requested_by=requested_by)
        self._retry_at = 0.0  # an operator asked: try now even while backing off
        self._wake.set()
        log.info("polling %s every %.1f s for %.0f s (%s)", self.device.name, fast.interval,
                 duration, requested_by)
        return PollFastReply(
            device=self.device.name, interval_s=fast.interval,
            until=utcnow() + timedelta(seconds=duration),
        )

    def _delay_until_next(self, started: float) -> float:
        """Time to the next slot on the interval grid; a slow poll skips missed slots."""
        interval = self.schedule.interval()
        elapsed = max(0.0, self._clock() - started)
        return interval * (elapsed // interval + 1) - elapsed

    async def poll_once(self) -> None:
        """Connect if needed, run every command, publish the batch and any state change."""
        assert self.driver is not None
        if self._clock() < self._retry_at:
            return  # backing off after a failure
        blocked = self._blocked_by_breaker()
        if blocked is not None:
            await self._set_state(DeviceState.CIRCUIT_OPEN, blocked)
            return
        started = self._clock()
        # One command may always use its whole timeout, however short the interval.
        deadline = max(self._settings.poll_timeout_share * self.schedule.interval(),
                       self._settings.command_timeout)
        run = PollRun(
            device=self.device, driver=self.driver, session=self._session,
            pacer=self._runtime.pacer, origin=self.schedule.origin(), deadline=deadline,
            clock=self._clock, on_login=self._logged_in,
        )
        try:
            outcome = await run.execute()
        except TimeoutError:
            reason = f"poll: not finished within its deadline of {deadline:.1f} s"
            await self._failed(DeviceTimeout(self.device.name, reason))
        except DeviceError as exc:
            await self._failed(exc)
        else:
            await self._succeeded(outcome, started)
        finally:
            if self._credential_probe:  # the probe login never happened (device unreachable)
                self._credential_probe = False
                self._credentials.release()

    def _blocked_by_breaker(self) -> str | None:
        """Why no attempt may be made now, or None."""
        if not self._breaker.allow():
            return (f"{self._breaker.threshold} failed polls in a row; next attempt in "
                    f"{self._breaker.retry_at - self._clock():.0f} s")
        if self._session.connected:
            return None
        half_open = self._credentials.state == BreakerState.HALF_OPEN
        if self._credentials.allow():
            self._credential_probe = half_open
            return None
        self._breaker.release()
        return (f"logins with credential set {self._credentials.name} were refused "
                f"{self._credentials.threshold} times; none are tried for "
                f"{self._credentials.retry_at - self._clock():.0f} s")

    def _logged_in(self) -> None:
        self._auth_budget.record_accepted()
        self._credentials.record_success()

    async def _failed(self, error: DeviceError) -> None:
        if not isinstance(error, DeviceOverloaded):
            await self._session.close()  # an overloaded device keeps its connection
        if isinstance(error, AuthFailed):
            self._auth_budget.record_refused()
            self._credentials.record_failure()
        opened = self._breaker.record_failure()
        delay = self._backoff.delay_after(error)
        if isinstance(error, AuthFailed):
            delay = max(delay, self._auth_budget.next_allowed() - self._clock())
        if isinstance(error, DeviceOverloaded | DeviceTimeout):
            self._note_schedule(0.0, strained=True)
        self._retry_at = self._clock() + delay
        state, reason = state_for(error), error.reason
        if opened:
            state = DeviceState.CIRCUIT_OPEN
            reason = (f"{self._breaker.threshold} failed polls in a row; no attempt for "
                      f"{self._breaker.open_for:.0f} s (last: {error.reason})")
        await self._set_state(state, reason)

    async def _succeeded(self, outcome: PollOutcome, started: float) -> None:
        duration = self._clock() - started
        self._backoff.reset()
        self._breaker.record_success()
        self._note_schedule(outcome.command_time, strained=outcome.strained)
        samples = self._rates_of(outcome)
        samples.append(MetricSample(metric="netvigil.poll.duration", value=duration))
        batch = MetricBatch(
            device=self.device.name, collected_at=utcnow(), samples=samples,
            missing_groups={f.group: f.reason for f in outcome.failures},
        )
        subjects = self._bus.subjects
        await self._bus.publish(subjects.metrics(self.device.name), batch)
        for failure in [*outcome.failures, *outcome.partial]:
            log.debug("device %s group %s: %s", failure.device, failure.group, failure.reason)
            await self._bus.publish(subjects.collection_error(self.device.name), failure)
        await self._set_state(*poll_state(outcome))

    def _note_schedule(self, duration: float, *, strained: bool) -> None:
        before = self.schedule.factor
        if not self.schedule.record(duration, strained=strained):
            return
        if before == 1.0:
            log.warning("device %s is slow or overloaded; polling every %.0f s instead of %.0f s",
                        self.device.name, self.schedule.interval(), self.device.poll_interval)
        elif self.schedule.factor == 1.0:
            log.info("device %s is polled every %.0f s again", self.device.name,
                     self.device.poll_interval)

    def _rates_of(self, outcome: PollOutcome) -> list[MetricSample]:
        uptime = next(
            (r.value for g in outcome.results for r in g.readings if r.metric == "system.uptime"),
            None,
        )
        samples: list[MetricSample] = []
        for group in outcome.results:
            samples.extend(self._rates.samples(group.readings, at=group.at, uptime=uptime))
        # JSON has no NaN or infinity: one such value would turn into null and make the
        # whole batch invalid for every consumer, so it is dropped here, loudly.
        finite = [s for s in samples if math.isfinite(s.value)]
        if len(finite) < len(samples):
            log.warning("device %s: dropped %d non-finite values", self.device.name,
                        len(samples) - len(finite))
        return finite

    async def _set_state(self, state: DeviceState, reason: str | None) -> None:
        event = self.status.update(state, reason)
        if event is not None:
            await self._bus.publish(self._bus.subjects.device_status(self.device.name), event)


async def _wait(stop: asyncio.Event, wake: asyncio.Event, delay: float) -> None:
    """Sleep `delay` seconds, waking early when `stop` or `wake` is set."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for waiter in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
