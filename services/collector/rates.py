"""Turn raw device counters into per-second rates, across wraps and reboots.

A counter series is one (metric, attributes) pair of one device. The first sight of a
series gives no rate. A counter that went down either wrapped (it was near the top of
its 32- or 64-bit range and is now near the bottom) or was reset by a reboot or a
`clear counters`; a reset gives no rate for that interval, never a negative or absurd one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.collector.drivers.base import Reading
from shared.events import MetricSample

SeriesKey = tuple[str, tuple[tuple[str, str], ...]]

# A drop counts as a wrap only when the old value lay in the top quarter of the counter's
# range and the new one in the bottom quarter; anything else is a reset.
WRAP_WINDOW = 0.25


def counter_delta(old: float, new: float, bits: int) -> float | None:
    """How much a `bits`-wide counter grew from `old` to `new`; None when it was reset."""
    if new >= old:
        return new - old
    modulus = 2**bits
    wrapped = (1 - WRAP_WINDOW) * modulus <= old < modulus and 0 <= new < WRAP_WINDOW * modulus
    if not wrapped:
        return None
    # Integer arithmetic keeps 64-bit counters exact; floats would lose the low bits.
    return float(int(new) + modulus - int(old))


def series_key(metric: str, attributes: Mapping[str, str]) -> SeriesKey:
    """The identity of one series: its metric and sorted attributes."""
    return metric, tuple(sorted(attributes.items()))


@dataclass(frozen=True, slots=True)
class _Seen:
    value: float
    at: float


class CounterRates:
    """Remembers the last value of every counter series of one device."""

    def __init__(self, *, max_age: float = 3600.0) -> None:
        self._seen: dict[SeriesKey, _Seen] = {}
        self._uptime: float | None = None
        self._max_age = max_age

    def samples(
        self, readings: Iterable[Reading], *, at: float, uptime: float | None = None
    ) -> list[MetricSample]:
        """Gauges as they are, counters as rates; `at` is a monotonic time in seconds."""
        if uptime is not None:
            if self._uptime is not None and uptime < self._uptime:
                self._seen.clear()  # the device rebooted: every old value is meaningless
            self._uptime = uptime
        out: list[MetricSample] = []
        for reading in readings:
            if reading.counter_bits is None:
                out.append(_sample(reading, reading.value))
                continue
            rate = self._rate(reading, reading.counter_bits, at)
            if rate is not None:
                out.append(_sample(reading, rate))
        self._forget_older_than(at - self._max_age)
        return out

    def _rate(self, reading: Reading, bits: int, at: float) -> float | None:
        key = series_key(reading.metric, reading.attributes)
        previous = self._seen.get(key)
        self._seen[key] = _Seen(reading.value, at)
        if previous is None or at <= previous.at:
            return None
        delta = counter_delta(previous.value, reading.value, bits)
        if delta is None:
            return None
        return delta / (at - previous.at)

    def _forget_older_than(self, cutoff: float) -> None:
        """Drop series gone from the device (a removed interface) so memory stays bounded."""
        stale = [key for key, seen in self._seen.items() if seen.at < cutoff]
        for key in stale:
            del self._seen[key]


def _sample(reading: Reading, value: float) -> MetricSample:
    return MetricSample(metric=reading.metric, value=value, attributes=dict(reading.attributes))
