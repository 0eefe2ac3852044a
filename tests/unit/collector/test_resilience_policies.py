"""Retry delays, the login budget, circuit breakers, the pacer and the adaptive schedule."""

from __future__ import annotations

import asyncio
import random

import pytest
from pydantic import SecretStr

from services.collector.breaker import (
    BreakerState,
    CircuitBreaker,
    CredentialBreakers,
    credential_id,
)
from services.collector.pacer import Pacer
from services.collector.retry import AuthBudget, RetryPolicy
from services.collector.schedule import AdaptiveSchedule
from services.collector.status import Backoff
from shared.errors import AuthFailed, DeviceUnreachable
from shared.inventory import Device, Platform
from shared.settings import RetrySettings

pytestmark = pytest.mark.unit


class FakeClock:
    """A clock tests move by hand; `sleep` advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_retry_policy_doubles_to_cap_when_jitter_is_off() -> None:
    policy = RetryPolicy(initial=1.0, cap=8.0, multiplier=2.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_retry_policy_spreads_delays_within_jitter_when_jitter_is_on() -> None:
    policy = RetryPolicy(initial=10.0, cap=1000.0, jitter=0.2, rng=random.Random(7))
    delays = [policy.delay(3) for _ in range(200)]
    assert all(32.0 <= d <= 48.0 for d in delays)  # 40 s +/- 20 %
    assert len({round(d, 3) for d in delays}) > 100  # actually spread, not one value


def test_retry_policy_never_exceeds_cap_when_jitter_pushes_up() -> None:
    policy = RetryPolicy(initial=100.0, cap=100.0, jitter=0.5, rng=random.Random(1))
    assert max(policy.delay(5) for _ in range(100)) <= 100.0


def test_retry_policy_waits_the_same_when_strategy_is_fixed() -> None:
    policy = RetryPolicy.from_settings(
        RetrySettings(strategy="fixed", initial_s=3.0, jitter=0.0), interval=60.0
    )
    assert [policy.delay(n) for n in (1, 2, 10)] == [3.0, 3.0, 3.0]


def test_backoff_starts_at_poll_interval_when_initial_not_set() -> None:
    backoff = Backoff.from_settings(RetrySettings(jitter=0.0, max_s=100.0), interval=30.0)
    error = DeviceUnreachable("d", "x")
    assert [backoff.delay_after(error) for _ in range(3)] == [30.0, 60.0, 100.0]
    assert backoff.delay_after(AuthFailed("d", "x")) == 300.0


def test_auth_budget_allows_two_refusals_per_hour_when_default() -> None:
    clock = FakeClock()
    budget = AuthBudget(attempts=2, window=3600.0, clock=clock)
    budget.record_refused()
    assert budget.next_allowed() == clock.now  # a second try is still allowed
    clock.now += 300
    budget.record_refused()
    assert budget.next_allowed() == 1000.0 + 3600.0  # the first refusal must age out
    clock.now = 1000.0 + 3600.0
    assert budget.next_allowed() == clock.now


def test_auth_budget_forgets_refusals_when_login_succeeds() -> None:
    clock = FakeClock()
    budget = AuthBudget(attempts=1, clock=clock)
    budget.record_refused()
    assert budget.next_allowed() > clock.now
    budget.record_accepted()
    assert budget.next_allowed() == clock.now


def test_circuit_breaker_goes_open_half_open_closed_when_probe_succeeds() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=3, open_for=60.0, clock=clock)
    assert [breaker.record_failure() for _ in range(3)] == [False, False, True]
    assert breaker.state == BreakerState.OPEN and not breaker.allow()
    clock.now += 60
    later: BreakerState = breaker.state  # a fresh read: time has moved
    assert later == BreakerState.HALF_OPEN
    assert breaker.allow() is True  # the one probe
    assert breaker.allow() is False  # nobody else while it runs
    breaker.record_success()
    closed: BreakerState = breaker.state
    assert closed == BreakerState.CLOSED and breaker.allow()


def test_circuit_breaker_reopens_for_full_period_when_probe_fails() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=1, open_for=60.0, clock=clock)
    breaker.record_failure()
    clock.now += 61
    assert breaker.allow()
    assert breaker.record_failure() is True
    clock.now += 59
    assert breaker.state == BreakerState.OPEN


def test_circuit_breaker_counts_only_recent_failures_when_windowed() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, open_for=60.0, clock=clock, window=100.0)
    breaker.record_failure()
    clock.now += 101
    assert breaker.record_failure() is False  # the first one aged out
    assert breaker.record_failure() is True


def test_circuit_breaker_success_resets_count_when_failures_were_not_in_a_row() -> None:
    breaker = CircuitBreaker(threshold=2, open_for=60.0, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    assert breaker.record_failure() is False


def _device(name: str, username: str, password: str) -> Device:
    return Device(name=name, host="127.0.0.1", platform=Platform.LINUX, username=username,
                  password=SecretStr(password))


def test_credential_breakers_share_one_breaker_when_credentials_are_equal() -> None:
    breakers = CredentialBreakers(threshold=2, window=3600, open_for=900, clock=FakeClock())
    a, b = _device("a", "monitor", "s3cret"), _device("b", "monitor", "s3cret")
    c, d = _device("c", "monitor", "other"), _device("d", "admin", "s3cret")
    assert breakers.for_device(a) is breakers.for_device(b)
    assert breakers.for_device(a) is not breakers.for_device(c)
    assert breakers.for_device(a) is not breakers.for_device(d)
    breakers.for_device(a).record_failure()
    breakers.for_device(b).record_failure()
    assert breakers.for_device(a).state == BreakerState.OPEN


def test_credential_id_reveals_no_secret_when_logged() -> None:
    label = credential_id(_device("a", "monitor", "hunter2-secret"))
    assert label.startswith("monitor/") and "hunter2" not in label


async def test_pacer_spaces_commands_to_rate_when_burst_is_one() -> None:
    clock = FakeClock()
    pacer = Pacer(max_logins=1, commands_per_second=10.0, burst=1, clock=clock,
                  sleep=clock.sleep)
    times = []
    for _ in range(5):
        await pacer.command()
        times.append(round(clock.now - 1000.0, 6))
    assert times == [0.0, 0.1, 0.2, 0.3, 0.4]


async def test_pacer_lets_burst_through_then_spaces_when_idle_before() -> None:
    clock = FakeClock()
    pacer = Pacer(max_logins=1, commands_per_second=10.0, burst=3, clock=clock,
                  sleep=clock.sleep)
    times = []
    for _ in range(5):
        await pacer.command()
        times.append(round(clock.now - 1000.0, 6))
    assert times == [0.0, 0.0, 0.0, 0.1, 0.2]


async def test_pacer_bounds_concurrent_logins_when_many_devices_connect() -> None:
    pacer = Pacer(max_logins=3, commands_per_second=100.0)
    inside, peak = 0, 0
    release = asyncio.Event()

    async def login() -> None:
        nonlocal inside, peak
        async with pacer.login():
            inside += 1
            peak = max(peak, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(login()) for _ in range(10)]
    async with asyncio.timeout(2):
        while inside < 3:
            await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 3


def test_schedule_doubles_interval_when_two_polls_in_a_row_are_slow() -> None:
    schedule = AdaptiveSchedule(interval=10.0, slow_share=0.5, max_factor=4.0, clock=FakeClock())
    assert schedule.record(6.0, strained=False) is False  # one slow poll is not a trend
    assert schedule.record(6.0, strained=False) is True
    assert schedule.interval() == 20.0
    for _ in range(6):
        schedule.record(0.0, strained=True)
    assert schedule.interval() == 40.0  # capped at max_factor


def test_schedule_returns_to_configured_interval_when_device_recovers() -> None:
    schedule = AdaptiveSchedule(interval=10.0, max_factor=8.0, clock=FakeClock())
    for _ in range(3):
        schedule.record(0.0, strained=True)
    assert schedule.interval() == 80.0
    intervals = []
    for _ in range(4):
        schedule.record(1.0, strained=False)
        intervals.append(schedule.interval())
    assert intervals == [40.0, 20.0, 10.0, 10.0]


def test_schedule_polls_faster_until_request_expires_when_poll_fast() -> None:
    clock = FakeClock()
    schedule = AdaptiveSchedule(interval=60.0, clock=clock)
    schedule.fast(interval=5.0, duration=120.0, requested_by="alert:HighCpu")
    assert schedule.interval() == 5.0
    assert schedule.origin() == "poll_fast request (alert:HighCpu)"
    clock.now += 120
    assert schedule.interval() == 60.0
    assert schedule.origin() == "schedule"


def test_schedule_never_polls_slower_or_below_one_second_when_poll_fast() -> None:
    schedule = AdaptiveSchedule(interval=30.0, clock=FakeClock())
    assert schedule.fast(interval=300.0, duration=10, requested_by="x").interval == 30.0
    assert schedule.fast(interval=0.1, duration=10, requested_by="x").interval == 1.0
