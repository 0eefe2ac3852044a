"""Aggregation math shared by every backend: exact on raw samples, approximate on rollups.

Raw samples of one group (and bucket) are folded exactly: percentiles interpolate
linearly between closest ranks (the default of numpy.percentile). Rollups keep min, max,
sum, count and last per series and bucket, so min, max, sum, count, avg and last stay
exact on them; rate uses bucket `last` values, and a percentile is estimated from the
bucket means weighted by their counts (see docs/storage.md for the error).

`rate` is the per-second change between the first and last sample of each series in the
window, summed over the series of the group (so the rate of a group of interface counters
is their total rate); it is None with fewer than two samples or no elapsed time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.events import Aggregation

_QUANTILES = {
    Aggregation.P50: 0.50,
    Aggregation.P90: 0.90,
    Aggregation.P95: 0.95,
    Aggregation.P99: 0.99,
}

Sample = tuple[int, float]  # (epoch ms, value)
Values = dict[Aggregation, float | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollup:
    """min, max, sum, count and last value of one series over one bucket [start, start+step)."""

    start: int
    min: float
    max: float
    sum: float
    count: int
    last: float
    last_ts: int


def bucket_start(ts: int, step_ms: int) -> int:
    """Start of the bucket of width `step_ms` (aligned to the epoch) that holds `ts`."""
    return ts - ts % step_ms


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between closest ranks."""
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def rollups_of(samples: Iterable[Sample], step_ms: int) -> list[Rollup]:
    """Roll one series' samples (any order) into buckets of `step_ms`, oldest first."""
    buckets: dict[int, list[Sample]] = {}
    for ts, value in samples:
        buckets.setdefault(bucket_start(ts, step_ms), []).append((ts, value))
    out = []
    for start in sorted(buckets):
        members = buckets[start]
        last_ts, last = max(members)
        values = [v for _, v in members]
        out.append(
            Rollup(
                start=start,
                min=min(values),
                max=max(values),
                sum=math.fsum(values),
                count=len(values),
                last=last,
                last_ts=last_ts,
            )
        )
    return out


def merge_rollups(rollups: Sequence[Rollup], step_ms: int) -> list[Rollup]:
    """Combine finer rollups of one series into buckets of `step_ms` (1m -> 1h)."""
    groups: dict[int, list[Rollup]] = {}
    for r in rollups:
        groups.setdefault(bucket_start(r.start, step_ms), []).append(r)
    out = []
    for start in sorted(groups):
        members = groups[start]
        newest = max(members, key=lambda r: r.last_ts)
        out.append(
            Rollup(
                start=start,
                min=min(r.min for r in members),
                max=max(r.max for r in members),
                sum=math.fsum(r.sum for r in members),
                count=sum(r.count for r in members),
                last=newest.last,
                last_ts=newest.last_ts,
            )
        )
    return out


def fold_samples(
    per_series: Sequence[Sequence[Sample]], functions: Iterable[Aggregation]
) -> Values:
    """Exact aggregates of raw samples; `per_series` holds each series' samples in time order."""
    values = sorted(v for series in per_series for _, v in series)
    out: Values = {}
    for fn in functions:
        if not values:
            out[fn] = 0.0 if fn is Aggregation.COUNT else None
        elif fn in _QUANTILES:
            out[fn] = percentile(values, _QUANTILES[fn])
        elif fn is Aggregation.RATE:
            out[fn] = _summed_rate([(s[0], s[-1]) for s in per_series if s])
        elif fn is Aggregation.LAST:
            out[fn] = max((s[-1] for s in per_series if s), key=lambda p: p[0])[1]
        else:
            out[fn] = _simple(fn, values, len(values), math.fsum(values))
    return out


def fold_rollups(
    per_series: Sequence[Sequence[Rollup]], functions: Iterable[Aggregation]
) -> Values:
    """Aggregates from rollups; `per_series` holds each series' rollups oldest first."""
    rows = [r for series in per_series for r in series]
    count = sum(r.count for r in rows)
    total = math.fsum(r.sum for r in rows)
    out: Values = {}
    for fn in functions:
        if not rows:
            out[fn] = 0.0 if fn is Aggregation.COUNT else None
        elif fn in _QUANTILES:
            out[fn] = _weighted_quantile(rows, _QUANTILES[fn])
        elif fn is Aggregation.RATE:
            ends = [
                ((s[0].last_ts, s[0].last), (s[-1].last_ts, s[-1].last)) for s in per_series if s
            ]
            out[fn] = _summed_rate(ends)
        elif fn is Aggregation.LAST:
            out[fn] = max(rows, key=lambda r: r.last_ts).last
        elif fn is Aggregation.MIN:
            out[fn] = min(r.min for r in rows)
        elif fn is Aggregation.MAX:
            out[fn] = max(r.max for r in rows)
        else:
            out[fn] = _simple(fn, [], count, total)
    return out


def _simple(fn: Aggregation, values: Sequence[float], count: int, total: float) -> float | None:
    if fn is Aggregation.MIN:
        return values[0]
    if fn is Aggregation.MAX:
        return values[-1]
    if fn is Aggregation.SUM:
        return total
    if fn is Aggregation.COUNT:
        return float(count)
    return total / count  # AVG


def _summed_rate(ends: Sequence[tuple[Sample, Sample]]) -> float | None:
    rates = [(b[1] - a[1]) / ((b[0] - a[0]) / 1000) for a, b in ends if b[0] > a[0]]
    return math.fsum(rates) if rates else None


def _weighted_quantile(rows: Sequence[Rollup], q: float) -> float:
    # Each bucket stands for `count` samples at its mean: the estimate is a bucket mean, so
    # it lies within [min, max] of the bucket that holds the true quantile.
    means = sorted((r.sum / r.count, r.count) for r in rows if r.count)
    rank = q * (sum(c for _, c in means) - 1)
    seen = 0
    for mean, count in means:
        seen += count
        if seen > rank:
            return mean
    return means[-1][0]
