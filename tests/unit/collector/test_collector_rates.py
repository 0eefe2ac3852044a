"""Counter-to-rate conversion over hand-computed sequences."""

from __future__ import annotations

import pytest

from services.collector.drivers.base import Reading
from services.collector.rates import CounterRates, counter_delta

pytestmark = pytest.mark.unit

ETH0_RX = {"interface": "eth0", "direction": "receive"}


def octets(value: int, bits: int = 64) -> Reading:
    return Reading("system.network.io", value, ETH0_RX, counter_bits=bits)


def rates(calc: CounterRates, value: int, at: float, bits: int = 64, **kw: float) -> list[float]:
    return [s.value for s in calc.samples([octets(value, bits)], at=at, **kw)]


@pytest.mark.parametrize(
    ("old", "new", "bits", "delta"),
    [
        (100, 250, 32, 150),  # plain growth
        (2**32 - 100, 50, 32, 150),  # 32-bit wrap: 100 to the top, then 50
        (2**64 - 1000, 24, 64, 1024),  # 64-bit wrap, exact in integers
        (2**32 - 100, 50, 64, None),  # 2^32 is low for a 64-bit counter: reset, not wrap
        (5_000_000, 1_000, 32, None),  # reset: old value far from the top
        (2**32 - 100, 2**31, 32, None),  # drop that lands mid-range is no wrap
        (2**33, 10, 32, None),  # old value outside the declared width
    ],
)
def test_counter_delta_is_hand_computed_value_when_counter_moves(
    old: int, new: int, bits: int, delta: int | None
) -> None:
    assert counter_delta(old, new, bits) == delta


def test_counter_rates_gives_no_rate_when_series_first_seen() -> None:
    assert rates(CounterRates(), 1000, at=10.0) == []


def test_counter_rates_divides_by_elapsed_time_when_counter_grows() -> None:
    calc = CounterRates()
    rates(calc, 1000, at=10.0)
    assert rates(calc, 4000, at=20.0) == [300.0]  # 3000 bytes over 10 s
    assert rates(calc, 4500, at=25.0) == [100.0]  # 500 bytes over 5 s


def test_counter_rates_handles_32_bit_wrap_when_counter_passes_top() -> None:
    calc = CounterRates()
    rates(calc, 2**32 - 2000, at=0.0, bits=32)
    assert rates(calc, 3000, at=10.0, bits=32) == [500.0]  # 2000 + 3000 bytes over 10 s


def test_counter_rates_handles_64_bit_wrap_when_counter_passes_top() -> None:
    calc = CounterRates()
    rates(calc, 2**64 - 600, at=0.0)
    assert rates(calc, 400, at=2.0) == [500.0]  # 600 + 400 over 2 s


def test_counter_rates_skips_interval_when_counter_resets() -> None:
    calc = CounterRates()
    rates(calc, 9_000_000, at=0.0)
    assert rates(calc, 1_000, at=10.0) == []  # cleared counters: no negative rate
    assert rates(calc, 3_000, at=20.0) == [200.0]  # and the next interval counts again


def test_counter_rates_skips_interval_when_uptime_goes_backwards() -> None:
    calc = CounterRates()
    rates(calc, 2**32 - 50, at=0.0, bits=32, uptime=86_400.0)
    # After a reboot a small value would look like a plausible 32-bit wrap; uptime says reset.
    assert rates(calc, 10, at=10.0, bits=32, uptime=5.0) == []
    assert rates(calc, 110, at=20.0, bits=32, uptime=15.0) == [10.0]


def test_counter_rates_passes_gauges_through_when_no_counter_bits() -> None:
    calc = CounterRates()
    out = calc.samples([Reading("system.uptime", 42.5)], at=1.0)
    assert [(s.metric, s.value, s.attributes) for s in out] == [("system.uptime", 42.5, {})]


def test_counter_rates_keeps_series_apart_when_attributes_differ() -> None:
    calc = CounterRates()
    tx = {"interface": "eth0", "direction": "transmit"}
    calc.samples([octets(100), Reading("system.network.io", 100, tx, 64)], at=0.0)
    out = calc.samples([octets(200), Reading("system.network.io", 700, tx, 64)], at=1.0)
    assert {s.attributes["direction"]: s.value for s in out} == {
        "receive": 100.0,
        "transmit": 600.0,
    }


def test_counter_rates_forgets_series_when_unseen_longer_than_max_age() -> None:
    calc = CounterRates(max_age=60.0)
    rates(calc, 100, at=0.0)
    calc.samples([], at=100.0)
    assert rates(calc, 200, at=101.0) == []  # forgotten: treated as first sight
