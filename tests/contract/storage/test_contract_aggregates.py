"""Aggregates, rollups and retention on every backend, checked against `statistics`.

Expected values are computed here from the generated batches with the standard library
(`statistics.fmean`, `statistics.quantiles(method="inclusive")`, `math.fsum`), or by hand.
"""

from __future__ import annotations

import math
import statistics
from datetime import timedelta
from typing import Any

import pytest

from services.storage.store import MetricStore, QueryLimits, RetentionPolicy
from shared.errors import QueryError
from shared.events import (
    AggregateSpec,
    Aggregation,
    MetricQuery,
    MetricQueryResult,
    Resolution,
    SortOrder,
)
from tests.contract.storage.conftest import StoreHandle
from tests.contract.storage.fleet import (
    CPU,
    IO,
    POLL,
    POLLS,
    T0,
    TEMP,
    at,
    batch,
    generate_fleet,
    model_rows,
)

pytestmark = pytest.mark.integration

FLEET = generate_fleet(seed=23)
A = Aggregation
EXACT = [A.MIN, A.MAX, A.AVG, A.SUM, A.COUNT, A.LAST]
EVERY = [*EXACT, A.RATE, A.P50, A.P90, A.P95, A.P99]
LAST_POLL = T0 + (POLLS - 1) * POLL
LATER = LAST_POLL + timedelta(days=10)


def expected_values(values: list[float], elapsed_s: float) -> dict[Aggregation, float]:
    """Every function over one series' values (time ordered), from the standard library."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        A.MIN: min(values),
        A.MAX: max(values),
        A.AVG: statistics.fmean(values),
        A.SUM: math.fsum(values),
        A.COUNT: float(len(values)),
        A.LAST: values[-1],
        A.RATE: (values[-1] - values[0]) / elapsed_s,
        A.P50: statistics.median(values),
        A.P90: cuts[89],
        A.P95: cuts[94],
        A.P99: cuts[98],
    }


def by_group(result: MetricQueryResult) -> dict[tuple[Any, ...], dict[Aggregation, float | None]]:
    return {(tuple(sorted(r.group.items())), r.bucket): r.values for r in result.rows}


def assert_close(
    got: dict[tuple[Any, ...], dict[Aggregation, float | None]],
    expected: dict[tuple[Any, ...], dict[Aggregation, float | None]],
) -> None:
    """Same groups, and every value equal up to float summation order."""
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert got[key] == pytest.approx(values, rel=1e-9), key


async def write_fleet(store: MetricStore) -> None:
    for first in range(0, len(FLEET), 7):
        await store.write_batches(FLEET[first : first + 7])


@pytest.fixture
async def fleet(store: MetricStore) -> MetricStore:
    """The store holding FLEET."""
    await write_fleet(store)
    return store


async def test_aggregate_matches_statistics_per_series_when_on_raw(fleet: MetricStore) -> None:
    spec = AggregateSpec(functions=EVERY, resolution=Resolution.RAW)
    result = await fleet.query(MetricQuery(device="sw-3", aggregate=spec))
    assert result.resolution is Resolution.RAW
    got = by_group(result)
    series = {(r[1], tuple(sorted(r[4].items()))) for r in model_rows(FLEET, device="sw-3")}
    assert len(got) == len(series) == 6
    for metric, attributes in series:
        values = [r[3] for r in model_rows(FLEET, device="sw-3", metric=metric) if
                  tuple(sorted(r[4].items())) == attributes]  # fmt: skip
        group = tuple(sorted({"device": "sw-3", "metric": metric, **dict(attributes)}.items()))
        expected = expected_values(values, (POLLS - 1) * POLL.total_seconds())
        assert got[(group, None)] == pytest.approx(expected, rel=1e-9)


async def test_aggregate_groups_by_device_and_hour_when_bucketed(fleet: MetricStore) -> None:
    spec = AggregateSpec(functions=[A.COUNT, A.SUM, A.MAX], group_by=["device"], bucket_s=3600)
    result = await fleet.query(MetricQuery(metric=IO, aggregate=spec, limit=1000))
    expected: dict[tuple[Any, ...], list[float]] = {}
    for device, _, ts, value, _ in model_rows(FLEET, metric=IO):
        hour = ts.replace(minute=0, second=0, microsecond=0)
        expected.setdefault(((("device", device),), hour), []).append(value)
    got = by_group(result)
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert got[key] == pytest.approx(
            {A.COUNT: len(values), A.SUM: math.fsum(values), A.MAX: max(values)}, rel=1e-9
        )


async def test_aggregate_returns_top_k_when_sorted_and_limited(fleet: MetricStore) -> None:
    spec = AggregateSpec(functions=[A.MAX], sort_by=A.MAX, order=SortOrder.DESC)
    result = await fleet.query(MetricQuery(metric=IO, aggregate=spec, limit=3))
    peaks: dict[tuple[str, str, str], float] = {}
    for device, _, _, value, attributes in model_rows(FLEET, metric=IO):
        key = (device, attributes["interface"], attributes["direction"])
        peaks[key] = max(value, peaks.get(key, value))
    top = sorted(peaks.values(), reverse=True)[:3]
    assert [r.values[A.MAX] for r in result.rows] == top
    assert result.truncated is True


async def test_aggregate_sums_rates_of_group_when_counters_given(store: MetricStore) -> None:
    # By hand: eth0 (280 - 100) / 120 s = 1.5/s, eth1 (90 - 30) / 60 s = 1.0/s.
    e0, e1 = {"interface": "eth0"}, {"interface": "eth1"}
    await store.write_batches(
        [
            batch("r1", at(0), (IO, 100, e0), (IO, 30, e1)),
            batch("r1", at(60), (IO, 160, e0), (IO, 90, e1)),
            batch("r1", at(120), (IO, 280, e0)),
        ]
    )
    spec = AggregateSpec(functions=[A.RATE], group_by=["device"], resolution=Resolution.RAW)
    (row,) = (await store.query(MetricQuery(aggregate=spec))).rows
    assert row.values[A.RATE] == pytest.approx(2.5)


async def test_aggregate_raises_query_error_when_sort_by_not_computed(fleet: MetricStore) -> None:
    spec = AggregateSpec(functions=[A.MIN], sort_by=A.MAX)
    with pytest.raises(QueryError, match="sort_by"):
        await fleet.query(MetricQuery(aggregate=spec))


async def test_aggregate_raises_query_error_when_too_many_points(handle: StoreHandle) -> None:
    store = await handle.reopen(limits=QueryLimits(max_points=50))
    await write_fleet(store)
    spec = AggregateSpec(functions=[A.AVG], resolution=Resolution.RAW)
    with pytest.raises(QueryError, match="more than 50"):
        await store.query(MetricQuery(metric=CPU, aggregate=spec))


def hours_with_data() -> int:
    return len({(r[0], r[1], tuple(r[4].items()), r[2].hour) for r in model_rows(FLEET)})


async def exact_per_series(store: MetricStore, resolution: Resolution) -> MetricQueryResult:
    spec = AggregateSpec(functions=EXACT, resolution=resolution)
    return await store.query(MetricQuery(metric=TEMP, aggregate=spec))


async def test_maintain_builds_rollups_that_answer_exactly_when_days_complete(
    fleet: MetricStore,
) -> None:
    raw = by_group(await exact_per_series(fleet, Resolution.RAW))
    await fleet.maintain(now=LAST_POLL + timedelta(days=1))
    stats = await fleet.stats()
    # One sample per series and minute: as many minute rollups as samples.
    assert (stats.rollup_1m_rows, stats.rollup_1h_rows) == (
        len(model_rows(FLEET)),
        hours_with_data(),
    )
    for resolution in (Resolution.MINUTE, Resolution.HOUR):
        result = await exact_per_series(fleet, resolution)
        assert result.resolution is resolution
        assert_close(by_group(result), raw)
    again = await fleet.maintain(now=LAST_POLL + timedelta(days=1))
    assert (again.rolled_1m, again.pruned_raw) == (0, 0)


async def test_maintain_prunes_raw_and_rollups_answer_when_retention_passed(
    handle: StoreHandle,
) -> None:
    await write_fleet(handle.store)
    raw = by_group(await exact_per_series(handle.store, Resolution.RAW))
    store = await handle.reopen(policy=RetentionPolicy(raw=timedelta(hours=48)))
    report = await store.maintain(now=LATER)
    assert report.pruned_raw == len(model_rows(FLEET))
    assert (await store.stats()).samples == 0
    assert (await store.query(MetricQuery())).points == []
    result = await exact_per_series(store, Resolution.AUTO)
    assert result.resolution is Resolution.MINUTE  # raw is gone; the finest that covers
    assert_close(by_group(result), raw)
    store = await handle.reopen(
        policy=RetentionPolicy(raw=timedelta(hours=48), minute=timedelta(days=1))
    )
    assert (await store.maintain(now=LATER)).pruned_1m == len(model_rows(FLEET))
    result = await exact_per_series(store, Resolution.AUTO)
    assert result.resolution is Resolution.HOUR
    assert_close(by_group(result), raw)


async def test_maintain_rolls_day_again_when_late_sample_arrives(fleet: MetricStore) -> None:
    await fleet.maintain(now=LAST_POLL + timedelta(days=1))
    late = batch("r1", T0 + timedelta(minutes=7), (TEMP, 99.5, {"sensor": "cpu"}))
    assert await fleet.write_batches([late]) == 1
    await fleet.maintain(now=LAST_POLL + timedelta(days=1, minutes=5))
    spec = AggregateSpec(functions=[A.MAX, A.COUNT], resolution=Resolution.MINUTE)
    result = await fleet.query(MetricQuery(device="r1", metric=TEMP, aggregate=spec))
    (row,) = result.rows
    assert row.values == {A.MAX: 99.5, A.COUNT: POLLS + 1.0}


async def test_maintain_prunes_oldest_until_size_fits_when_over_max_bytes(
    handle: StoreHandle,
) -> None:
    await write_fleet(handle.store)
    raw = by_group(await exact_per_series(handle.store, Resolution.RAW))
    # A cap no store can meet: everything rolled up goes, oldest level first; 1h rollups stay.
    policy = RetentionPolicy(raw=timedelta(days=365), minute=timedelta(days=365), max_bytes=1)
    store = await handle.reopen(policy=policy)
    await store.maintain(now=LAST_POLL + timedelta(days=1))
    stats = await store.stats()
    assert (stats.samples, stats.rollup_1m_rows, stats.rollup_1h_rows) == (0, 0, hours_with_data())
    result = await exact_per_series(store, Resolution.AUTO)
    assert result.resolution is Resolution.HOUR
    assert_close(by_group(result), raw)
