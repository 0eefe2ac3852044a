"""SqliteStore answers aggregate, latest and filter queries as numpy computes them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from services.storage.sqlite import SqliteStore
from services.storage.store import QueryLimits, from_millis
from shared.errors import QueryError
from shared.events import (
    AggregateSpec,
    Aggregation,
    AttributeFilter,
    AttributeMatch,
    MetricQuery,
    Resolution,
)
from tests.integration.storage.generated import CPU, IO, T0, T0_MS, Fleet

pytestmark = pytest.mark.integration

A = Aggregation
HOUR = timedelta(hours=1)
EXACT = [A.MIN, A.MAX, A.AVG, A.SUM, A.COUNT, A.LAST, A.P50, A.P90, A.P95, A.P99]


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return Fleet()


@pytest.fixture
async def loaded(tmp_path: Path, fleet: Fleet) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / "m.db")
    for first in range(0, len(fleet.batches), 200):
        await store.write_batches(fleet.batches[first : first + 200])
    yield store
    await store.close()


def expected(values: list[float]) -> dict[Aggregation, float]:
    """The aggregates of `values` (time ordered) computed by numpy."""
    arr = np.array(values)
    return {
        A.MIN: float(arr.min()),
        A.MAX: float(arr.max()),
        A.AVG: float(arr.mean()),
        A.SUM: float(arr.sum()),
        A.COUNT: float(len(arr)),
        A.LAST: float(arr[-1]),
        A.P50: float(np.percentile(arr, 50)),
        A.P90: float(np.percentile(arr, 90)),
        A.P95: float(np.percentile(arr, 95)),
        A.P99: float(np.percentile(arr, 99)),
    }


def agg(**spec: object) -> AggregateSpec:
    return AggregateSpec(resolution=Resolution.RAW, **spec)  # type: ignore[arg-type]


async def test_aggregate_matches_numpy_when_one_hour_of_one_series(
    loaded: SqliteStore, fleet: Fleet
) -> None:
    query = MetricQuery(
        device="r2",
        metric=IO,
        attributes={"interface": "eth1"},
        start=T0 + HOUR / 2,
        end=T0 + HOUR * 1.5,
        aggregate=agg(functions=EXACT),
    )
    result = await loaded.query(query)
    lo, hi = T0_MS + 1_800_000, T0_MS + 5_400_000
    values = [
        r.value
        for r in fleet.select(device="r2", metric=IO, interface="eth1")
        if lo <= r.ts_ms < hi
    ]
    assert len(values) == 360
    assert result.resolution is Resolution.RAW
    [row] = result.rows
    assert row.group == {"device": "r2", "metric": IO, "interface": "eth1"}
    assert row.values == pytest.approx(expected(values))


async def test_aggregate_groups_by_device_and_bucket_when_asked(
    loaded: SqliteStore, fleet: Fleet
) -> None:
    query = MetricQuery(
        metric=CPU,
        aggregate=agg(functions=[A.AVG, A.P95, A.COUNT], group_by=["device"], bucket_s=600),
    )
    result = await loaded.query(query)
    assert len(result.rows) == 3 * 12  # three devices, two hours of ten-minute buckets
    for row in result.rows:
        assert row.bucket is not None
        start = int((row.bucket - T0).total_seconds() * 1000) + T0_MS
        values = [
            r.value
            for r in fleet.select(device=row.group["device"], metric=CPU)
            if start <= r.ts_ms < start + 600_000
        ]
        arr = np.array(values)
        assert row.values == pytest.approx(
            {A.AVG: arr.mean(), A.P95: np.percentile(arr, 95), A.COUNT: 60.0}
        )


async def test_aggregate_returns_top_k_when_sorted_and_limited(
    loaded: SqliteStore, fleet: Fleet
) -> None:
    query = MetricQuery(
        metric=IO,
        limit=3,
        aggregate=agg(functions=[A.AVG], group_by=["device", "interface"], sort_by=A.AVG),
    )
    result = await loaded.query(query)
    means: dict[tuple[str, str], list[float]] = {}
    for r in fleet.select(metric=IO):
        means.setdefault((r.device, r.interface or ""), []).append(r.value)
    ranked = sorted(means, key=lambda k: -float(np.mean(means[k])))
    assert [(row.group["device"], row.group["interface"]) for row in result.rows] == ranked[:3]
    assert result.truncated is True
    assert result.rows[0].values[A.AVG] == pytest.approx(np.mean(means[ranked[0]]))


async def test_aggregate_rate_is_change_per_second_when_counter_grows(tmp_path: Path) -> None:
    from tests.integration.storage.generated import Row, batch

    store = await SqliteStore.open(tmp_path / "rate.db")
    try:
        # Two interfaces counting 5/s and 7/s: the group rate is their sum, 12/s.
        rows = [
            [
                Row("r1", IO, name, T0_MS + s * 1000, float(k * s))
                for name, k in (("eth0", 5), ("eth1", 7))
            ]
            for s in range(0, 600, 30)
        ]
        await store.write_batches([batch("r1", from_millis(r[0].ts_ms), r) for r in rows])
        result = await store.query(
            MetricQuery(metric=IO, aggregate=agg(functions=[A.RATE], group_by=["device"]))
        )
        assert result.rows[0].values[A.RATE] == pytest.approx(12.0)
    finally:
        await store.close()


async def test_latest_returns_newest_point_per_series_when_asked(
    loaded: SqliteStore, fleet: Fleet
) -> None:
    result = await loaded.query(MetricQuery(device="sw1", latest=True))
    newest = max(r.ts_ms for r in fleet.samples)
    want = {
        (r.metric, r.interface or ""): r.value for r in fleet.select(device="sw1", ts_ms=newest)
    }
    got = {(p.metric, p.attributes.get("interface", "")): p.value for p in result.points}
    assert got == want
    assert {p.ts for p in result.points} == {from_millis(newest)}


@pytest.mark.parametrize(
    ("match", "pattern", "interfaces"),
    [
        (AttributeMatch.GLOB, "Gi*", {"Gi0/1", "Gi0/2"}),  # shell glob
        (AttributeMatch.GLOB, "eth[01]", {"eth0", "eth1"}),  # character class
        (AttributeMatch.REGEX, r"Gi0/\d", {"Gi0/1", "Gi0/2"}),  # anchored regex
        (AttributeMatch.REGEX, "eth", set()),  # anchored: a prefix is not enough
        (AttributeMatch.EXACT, "eth1", {"eth1"}),
    ],
)
async def test_query_filters_attributes_when_glob_or_regex(
    loaded: SqliteStore, match: AttributeMatch, pattern: str, interfaces: set[str]
) -> None:
    filters = [AttributeFilter(key="interface", value=pattern, match=match)]
    result = await loaded.query(
        MetricQuery(
            devices=["r1", "sw1"], metrics=[IO, CPU], attribute_filters=filters, latest=True
        )
    )
    assert {p.attributes["interface"] for p in result.points} == interfaces
    assert {p.device for p in result.points} <= {"r1", "sw1"}
    assert len(result.points) == 2 * len(interfaces)


async def test_query_refuses_bad_regex_with_its_position(loaded: SqliteStore) -> None:
    bad = [AttributeFilter(key="interface", value="eth[0", match=AttributeMatch.REGEX)]
    with pytest.raises(QueryError, match=r"attribute_filters\[0\] \(interface\): invalid regular"):
        await loaded.query(MetricQuery(attribute_filters=bad))


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        # each takes exponential time on a backtracking engine against a long non-match
        ("(.*.*)*X", "a repetition inside a repetition"),
        ("(eth[0-9]+)+x", "a repetition inside a repetition"),
        ("(a|aa)+", "alternatives inside a repetition"),
        (r"(\w+)\1", "backreferences are not supported"),
        ("e" * 300, "longer than 256 characters"),
    ],
)
async def test_query_refuses_regex_that_could_stall_the_process(
    loaded: SqliteStore, pattern: str, reason: str
) -> None:
    bad = [AttributeFilter(key="interface", value=pattern, match=AttributeMatch.REGEX)]
    with pytest.raises(QueryError, match=r"attribute_filters\[0\] \(interface\): regular "
                                         r"expression .* refused: " + re.escape(reason)):
        await loaded.query(MetricQuery(attribute_filters=bad))


async def test_query_accepts_everyday_interface_regexes(loaded: SqliteStore) -> None:
    for pattern in ("eth[0-9]+", "(eth|lo).*", "Ethernet[0-9]/[0-9]+", "(eth0)?"):
        ok = [AttributeFilter(key="interface", value=pattern, match=AttributeMatch.REGEX)]
        await loaded.query(MetricQuery(attribute_filters=ok))


@pytest.mark.parametrize(
    ("limits", "query", "message"),
    [
        (
            QueryLimits(max_series=4),
            MetricQuery(metric=IO),
            "matches 12 series, more than the maximum 4",
        ),
        (
            QueryLimits(max_points=100),
            MetricQuery(
                metric=CPU, aggregate=AggregateSpec(functions=[A.AVG], resolution=Resolution.RAW)
            ),
            "more than 100 raw rows",
        ),
        (
            QueryLimits(max_range=timedelta(days=1)),
            MetricQuery(start=T0, end=T0 + timedelta(days=2)),
            "longer than the maximum 1 day",
        ),
    ],
)
async def test_query_refuses_oversized_query_when_over_limits(
    tmp_path: Path, fleet: Fleet, limits: QueryLimits, query: MetricQuery, message: str
) -> None:
    store = await SqliteStore.open(tmp_path / "l.db", limits=limits)
    try:
        await store.write_batches(fleet.batches[:300])
        with pytest.raises(QueryError, match=message):
            await store.query(query)
    finally:
        await store.close()


async def test_query_refuses_sort_by_when_not_computed(loaded: SqliteStore) -> None:
    query = MetricQuery(aggregate=AggregateSpec(functions=[A.MIN], sort_by=A.MAX))
    with pytest.raises(QueryError, match="sort_by 'max' must be one of the functions"):
        await loaded.query(query)
