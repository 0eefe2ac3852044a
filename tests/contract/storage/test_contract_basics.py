"""The MetricStore contract on every backend: round trip, filters, order, limits, units, stats.

Expected answers come from `fleet.model_rows`, an independent model over the generated
batches, or are written out by hand.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.storage.store import MetricStore, SeriesInfo
from shared.errors import QueryError
from shared.events import MetricQuery, StorageStats
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
    result_rows,
)

pytestmark = pytest.mark.integration

FLEET = generate_fleet()
EVERYTHING = 100_000


def core(stats: StorageStats) -> tuple[object, ...]:
    """The counts and time span every backend reports (sizes and rollups vary by backend)."""
    return (stats.series, stats.samples, stats.events, stats.oldest, stats.newest)


async def write_in_rounds(store: MetricStore, batches: list[Any], size: int = 7) -> int:
    """Write like ingest does, several batches per call; return the new samples."""
    written = 0
    for first in range(0, len(batches), size):
        written += await store.write_batches(batches[first : first + size])
    return written


@pytest.fixture
async def fleet(store: MetricStore) -> MetricStore:
    """The store holding FLEET."""
    assert await write_in_rounds(store, FLEET) == len(model_rows(FLEET))
    return store


async def test_store_returns_every_finite_sample_when_queried_without_filters(
    fleet: MetricStore,
) -> None:
    result = await fleet.query(MetricQuery(limit=EVERYTHING))
    assert result_rows(result) == model_rows(FLEET)
    assert result.truncated is False


# Each case: query filters, and the same filters for the model.
FILTERS: list[dict[str, Any]] = [
    {"device": "r2"},
    {"metric": TEMP},
    {"device": "sw-3", "metric": IO},
    {"attributes": {"direction": "receive"}},
    {"attributes": {"direction": "transmit", "interface": "eth1"}},
    {"attributes": {"interface": "eth9"}},  # matches nothing
    {"device": "nope"},  # matches nothing
    {"start": at(3 * 3600)},  # inclusive start, before midnight
    {"end": at(4 * 3600)},  # exclusive end, on midnight
    {"start": at(3.5 * 3600), "end": at(4.5 * 3600)},  # across midnight
    {"start": at(5 * 3600 + 1), "end": at(5 * 3600 + 900)},  # strictly between two polls
    {"metric": CPU, "start": at(-86_400), "end": at(86_400)},  # wider than the data
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f))
async def test_store_matches_model_when_filtered(
    fleet: MetricStore, filters: dict[str, Any]
) -> None:
    result = await fleet.query(MetricQuery(limit=EVERYTHING, **filters))
    assert result_rows(result) == model_rows(FLEET, **filters)


async def test_store_orders_ties_by_first_written_series_when_instants_equal(
    store: MetricStore,
) -> None:
    # b first, then a: at one instant, b's series was stored first so it comes first.
    await store.write_batches([batch("b", at(0), (CPU, 1.0, {}))])
    await store.write_batches([batch("a", at(0), (CPU, 2.0, {})), batch("a", at(-1), (CPU, 3, {}))])
    result = await store.query(MetricQuery())
    assert [(p.device, (p.ts - T0).total_seconds()) for p in result.points] == [
        ("a", -1),
        ("b", 0),
        ("a", 0),
    ]


async def test_store_sets_truncated_when_limit_cuts_result(fleet: MetricStore) -> None:
    result = await fleet.query(MetricQuery(device="r1", limit=7))
    assert result_rows(result) == model_rows(FLEET, device="r1")[:7]
    assert result.truncated is True


async def test_store_clears_truncated_when_limit_equals_result(fleet: MetricStore) -> None:
    expected = model_rows(FLEET, metric=TEMP)
    result = await fleet.query(MetricQuery(metric=TEMP, limit=len(expected)))
    assert len(result.points) == len(expected) == 2 * POLLS
    assert result.truncated is False


async def test_store_raises_query_error_when_range_empty(fleet: MetricStore) -> None:
    with pytest.raises(QueryError):
        await fleet.query(MetricQuery(start=at(10), end=at(10)))


async def test_store_fills_units_from_catalog_when_points_returned(store: MetricStore) -> None:
    await store.write_batches(
        [batch("r1", at(0), (CPU, 0.5, {}), (IO, 1.0, {"direction": "receive"}), ("x.y", 2, {}))]
    )
    result = await store.query(MetricQuery())
    assert [(p.metric, p.unit) for p in result.points] == [(CPU, "1"), (IO, "By/s"), ("x.y", "")]


async def test_store_writes_nothing_when_event_written_again(store: MetricStore) -> None:
    assert await store.write_batches(FLEET[:3]) == len(model_rows(FLEET[:3]))
    assert await store.write_batches(FLEET[:3]) == 0
    assert await store.write_batches([FLEET[1], FLEET[1], FLEET[3]]) == len(model_rows([FLEET[3]]))
    result = await store.query(MetricQuery(limit=EVERYTHING))
    assert result_rows(result) == model_rows(FLEET[:4])
    assert (await store.stats()).events == 4


async def test_store_writes_once_when_event_repeated_in_one_call(store: MetricStore) -> None:
    first = FLEET[0]
    assert await store.write_batches([first, first]) == len(model_rows([first]))


async def test_store_writes_nothing_when_events_redelivered_after_reopen(
    handle: StoreHandle,
) -> None:
    await write_in_rounds(handle.store, FLEET[:30])
    reopened = await handle.reopen()
    assert await write_in_rounds(reopened, FLEET[:30][::-1]) == 0
    assert await write_in_rounds(reopened, FLEET) == len(model_rows(FLEET)) - len(
        model_rows(FLEET[:30])
    )
    result = await reopened.query(MetricQuery(limit=EVERYTHING))
    assert result_rows(result) == model_rows(FLEET)


async def test_store_keeps_everything_when_reopened(handle: StoreHandle) -> None:
    await write_in_rounds(handle.store, FLEET)
    before = await handle.store.stats()
    series = await handle.store.list_series()
    reopened = await handle.reopen()
    assert result_rows(await reopened.query(MetricQuery(limit=EVERYTHING))) == model_rows(FLEET)
    assert core(await reopened.stats()) == core(before)
    assert await reopened.list_series() == series


async def test_store_drops_non_finite_values_when_written(store: MetricStore) -> None:
    nan_only = batch("r1", at(0), ("system.uptime", float("nan"), {}))
    mixed = batch(
        "r1", at(1), (CPU, float("inf"), {}), (CPU + ".x", -float("inf"), {}), (TEMP, 41.5, {})
    )
    assert await store.write_batches([nan_only, mixed]) == 1
    assert result_rows(await store.query(MetricQuery())) == [("r1", TEMP, at(1), 41.5, {})]
    # The NaN-only event is still recorded as ingested: a redelivery writes nothing.
    assert (await store.stats()).events == 2
    assert await store.write_batches([nan_only]) == 0


async def test_store_keeps_first_value_when_series_instant_repeats(store: MetricStore) -> None:
    assert await store.write_batches([batch("r1", at(0), (CPU, 0.1, {}))]) == 1
    assert await store.write_batches([batch("r1", at(0), (CPU, 0.9, {}))]) == 0
    two = [batch("r2", at(5), (CPU, 0.2, {})), batch("r2", at(5), (CPU, 0.8, {}))]
    assert await store.write_batches(two) == 1
    assert [p.value for p in (await store.query(MetricQuery())).points] == [0.1, 0.2]


async def test_store_stores_late_sample_when_older_than_newest(store: MetricStore) -> None:
    await store.write_batches([batch("r1", at(3600), (CPU, 0.5, {}))])
    assert await store.write_batches([batch("r1", at(60), (CPU, 0.25, {}))]) == 1
    assert await store.write_batches([batch("r1", at(60), (CPU, 0.75, {}))]) == 0
    values = [(p.ts, p.value) for p in (await store.query(MetricQuery())).points]
    assert values == [(at(60), 0.25), (at(3600), 0.5)]


async def test_store_floors_timestamps_to_millisecond_when_finer(store: MetricStore) -> None:
    await store.write_batches([batch("r1", T0 + timedelta(microseconds=1999), (CPU, 0.5, {}))])
    (point,) = (await store.query(MetricQuery())).points
    assert point.ts == T0 + timedelta(milliseconds=1)


async def test_store_treats_attribute_order_as_one_series_when_keys_reordered(
    store: MetricStore,
) -> None:
    first = {"interface": "Gi0/1", "direction": "receive", "vrf": "café"}
    again = {"vrf": "café", "direction": "receive", "interface": "Gi0/1"}
    await store.write_batches(
        [batch("r1", at(0), (IO, 1, first)), batch("r1", at(1), (IO, 2, again))]
    )
    assert await store.list_series() == [
        SeriesInfo(device="r1", metric=IO, attributes=first, unit="By/s")
    ]
    result = await store.query(MetricQuery(attributes={"vrf": "café"}))
    assert [p.value for p in result.points] == [1, 2]


async def test_list_series_returns_sorted_series_when_filtered(fleet: MetricStore) -> None:
    io_r1 = await fleet.list_series(device="r1", metric=IO)
    assert [s.attributes for s in io_r1] == [
        {"direction": "receive", "interface": "eth0"},
        {"direction": "receive", "interface": "eth1"},
        {"direction": "transmit", "interface": "eth0"},
        {"direction": "transmit", "interface": "eth1"},
    ]
    assert {s.unit for s in io_r1} == {"By/s"}
    assert [(s.device, s.metric) for s in await fleet.list_series(metric=TEMP)] == [
        ("r1", TEMP),
        ("sw-3", TEMP),
    ]
    assert len(await fleet.list_series()) == 3 * 5 + 2


async def test_stats_counts_store_when_fleet_written(fleet: MetricStore) -> None:
    assert core(await fleet.stats()) == (
        17,
        len(model_rows(FLEET)),
        len(FLEET),
        T0,
        T0 + (POLLS - 1) * POLL,
    )


async def test_stats_reports_empty_when_nothing_written(store: MetricStore) -> None:
    assert core(await store.stats()) == (0, 0, 0, None, None)
