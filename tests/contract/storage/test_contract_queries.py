"""The rich query contract on every backend: lists, glob/regex, order, cursors, latest, limits.

Expected answers come from `fleet.model_rows` (an independent model) or are hand-written.
"""

from __future__ import annotations

import asyncio

import pytest

from services.storage.store import MetricStore, QueryLimits
from shared.errors import QueryError
from shared.events import AttributeFilter, AttributeMatch, MetricQuery, SortOrder
from tests.contract.storage.conftest import StoreHandle
from tests.contract.storage.fleet import (
    CPU,
    IO,
    POLL,
    POLLS,
    T0,
    TEMP,
    at,
    generate_fleet,
    model_rows,
    result_rows,
)

pytestmark = pytest.mark.integration

FLEET = generate_fleet(seed=11)
EVERYTHING = 100_000


@pytest.fixture
async def fleet(store: MetricStore) -> MetricStore:
    """The store holding FLEET, written seven batches per call."""
    for first in range(0, len(FLEET), 7):
        await store.write_batches(FLEET[first : first + 7])
    return store


async def test_query_matches_any_listed_device_and_metric_when_lists_given(
    fleet: MetricStore,
) -> None:
    result = await fleet.query(
        MetricQuery(devices=["r2", "sw-3"], metrics=[CPU, TEMP], limit=EVERYTHING)
    )
    expected = [r for r in model_rows(FLEET) if r[0] in {"r2", "sw-3"} and r[1] in {CPU, TEMP}]
    assert result_rows(result) == expected


# Each case: an attribute filter, and the (interface, direction) pairs it must keep.
ATTRIBUTE_CASES = [
    (AttributeFilter(key="interface", value="eth*", match=AttributeMatch.GLOB), 4),
    (AttributeFilter(key="interface", value="eth[1]", match=AttributeMatch.GLOB), 2),
    (AttributeFilter(key="direction", value="re.*", match=AttributeMatch.REGEX), 2),
    # Regexes match the whole value: "eth" alone matches no "eth0".
    (AttributeFilter(key="interface", value="eth", match=AttributeMatch.REGEX), 0),
    (AttributeFilter(key="direction", value="transmit"), 2),
    # A series without the key never matches, whatever the pattern.
    (AttributeFilter(key="vrf", value="*", match=AttributeMatch.GLOB), 0),
]


@pytest.mark.parametrize(("condition", "io_series"), ATTRIBUTE_CASES, ids=lambda c: str(c))
async def test_query_keeps_matching_series_when_attribute_filter_given(
    fleet: MetricStore, condition: AttributeFilter, io_series: int
) -> None:
    result = await fleet.query(
        MetricQuery(device="r1", attribute_filters=[condition], limit=EVERYTHING)
    )
    series = {(p.metric, tuple(sorted(p.attributes.items()))) for p in result.points}
    assert len(series) == io_series
    assert len(result.points) == io_series * POLLS


async def test_query_raises_query_error_when_regex_invalid(fleet: MetricStore) -> None:
    bad = AttributeFilter(key="interface", value="eth(", match=AttributeMatch.REGEX)
    with pytest.raises(QueryError, match="regular expression"):
        await fleet.query(MetricQuery(attribute_filters=[bad]))


async def test_query_reverses_time_and_series_when_order_desc(fleet: MetricStore) -> None:
    result = await fleet.query(MetricQuery(device="r1", order=SortOrder.DESC, limit=EVERYTHING))
    assert result_rows(result) == model_rows(FLEET, device="r1")[::-1]


async def page_through(store: MetricStore, query: MetricQuery, pages: int = 500) -> list[object]:
    """Every point of `query`, page by page following next_cursor."""
    rows: list[object] = []
    for _ in range(pages):
        result = await store.query(query)
        rows += result_rows(result)
        if result.next_cursor is None:
            assert result.truncated is False
            return rows
        query = query.model_copy(update={"cursor": result.next_cursor})
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("order", [SortOrder.ASC, SortOrder.DESC])
async def test_cursor_pages_cover_result_once_when_followed(
    fleet: MetricStore, order: SortOrder
) -> None:
    rows = await page_through(fleet, MetricQuery(metric=IO, limit=13, order=order))
    expected = model_rows(FLEET, metric=IO)
    assert rows == (expected if order is SortOrder.ASC else expected[::-1])


async def test_cursor_pages_neither_skip_nor_repeat_when_data_arrives_between_pages(
    store: MetricStore,
) -> None:
    half = len(FLEET) // 2
    await store.write_batches(FLEET[:half])
    query = MetricQuery(devices=["r1", "sw-3"], limit=9)
    rows: list[object] = []
    pending = FLEET[half:]
    for _ in range(500):
        result = await store.query(query)
        rows += result_rows(result)
        if result.next_cursor is None:
            break
        # A whole new poll (three devices, a later instant) lands between two pages. The
        # keyset cursor promises this for data newer than the page boundary only: a row
        # committed later but keyed before the boundary (same instant, lower series id)
        # would be behind the cursor already.
        await store.write_batches(pending[:3])
        pending = pending[3:]
        query = query.model_copy(update={"cursor": result.next_cursor})
    assert pending == []  # pages are small enough that every write came before the last page
    assert rows == [r for r in model_rows(FLEET) if r[0] in {"r1", "sw-3"}]


async def test_cursor_raises_query_error_when_used_with_another_query(fleet: MetricStore) -> None:
    first = await fleet.query(MetricQuery(device="r1", limit=5))
    assert first.next_cursor is not None
    with pytest.raises(QueryError, match="different query"):
        await fleet.query(MetricQuery(device="r2", limit=5, cursor=first.next_cursor))
    with pytest.raises(QueryError, match="malformed"):
        await fleet.query(MetricQuery(device="r1", limit=5, cursor="not-a-cursor"))


async def test_latest_returns_newest_point_per_series_when_requested(fleet: MetricStore) -> None:
    result = await fleet.query(MetricQuery(device="r2", latest=True))
    last = T0 + (POLLS - 1) * POLL
    newest = {(r[1], tuple(r[4].items())): r for r in model_rows(FLEET, device="r2")}
    assert result_rows(result) == list(newest.values())
    assert {p.ts for p in result.points} == {last}
    assert result.truncated is False


async def test_latest_respects_end_and_limit_when_given(fleet: MetricStore) -> None:
    end = at(3600 * 2)
    result = await fleet.query(MetricQuery(device="r1", latest=True, end=end, limit=3))
    rows = model_rows(FLEET, device="r1", end=end)
    newest = {(r[1], tuple(r[4].items())): r for r in rows}
    assert result_rows(result) == list(newest.values())[:3]
    assert result.truncated is True


async def test_query_raises_query_error_when_more_series_than_allowed(
    handle: StoreHandle,
) -> None:
    store = await handle.reopen(limits=QueryLimits(max_series=4))
    await store.write_batches(FLEET[:3])
    with pytest.raises(QueryError, match="series"):
        await store.query(MetricQuery())
    assert len((await store.query(MetricQuery(metric=CPU))).points) == 3


async def test_cursor_pages_neither_skip_nor_repeat_when_writer_runs_concurrently(
    store: MetricStore,
) -> None:
    half = len(FLEET) // 2
    await store.write_batches(FLEET[:half])

    async def writer() -> None:
        for first in range(half, len(FLEET), 3):  # one whole poll per transaction
            await store.write_batches(FLEET[first : first + 3])

    async def pager() -> list[object]:
        return await page_through(store, MetricQuery(metric=IO, limit=11))

    _, rows = await asyncio.gather(writer(), pager())
    everything = model_rows(FLEET, metric=IO)
    # Every row up to the last one returned, once and in order; the writer only ever adds
    # rows newer than what is stored, so nothing can have slipped in behind a cursor.
    assert rows == everything[: len(rows)]
    assert len(rows) >= len(model_rows(FLEET[:half], metric=IO))
