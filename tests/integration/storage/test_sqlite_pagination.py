"""Cursor pages never skip or repeat a row, even while new batches are written between pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from services.storage.sqlite import SqliteStore
from shared.errors import QueryError
from shared.events import MetricPoint, MetricQuery, SortOrder
from tests.integration.storage.generated import IO, T0, Fleet

pytestmark = pytest.mark.integration

Key = tuple[str, str, str, float]


def key(p: MetricPoint) -> Key:
    return (p.device, p.attributes.get("interface", ""), p.ts.isoformat(), p.value)


@pytest.fixture
def fleet() -> Fleet:
    return Fleet(duration_s=600)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "p.db")
    yield opened
    await opened.close()


async def read_all(store: SqliteStore, query: MetricQuery) -> list[Key]:
    result = await store.query(query.model_copy(update={"limit": 100_000}))
    assert not result.truncated
    return [key(p) for p in result.points]


async def test_pages_cover_result_once_when_batches_arrive_between_pages(
    store: SqliteStore, fleet: Fleet
) -> None:
    half = len(fleet.batches) // 2
    early, late = fleet.batches[:half], fleet.batches[half:]
    await store.write_batches(early)
    query = MetricQuery(metric=IO, limit=37)
    before = await read_all(store, query)
    seen: list[Key] = []
    for page_number in range(1000):
        page = await store.query(query)
        seen += [key(p) for p in page.points]
        # Every page, more polls arrive (later ones and some re-sent ones).
        chunk = late[page_number * 9 : (page_number + 1) * 9]
        await store.write_batches(chunk + early[:3])
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    assert len(seen) == len(set(seen)), "a row came twice"
    assert set(before) <= set(seen), "a row that existed before paging was skipped"
    assert seen == await read_all(store, query.model_copy(update={"cursor": None}))


async def test_pages_walk_newest_first_when_order_desc(store: SqliteStore, fleet: Fleet) -> None:
    await store.write_batches(fleet.batches)
    query = MetricQuery(
        device="r1", order=SortOrder.DESC, limit=50, start=T0, end=T0 + timedelta(minutes=5)
    )
    full = await read_all(store, query)
    seen: list[Key] = []
    for _ in range(100):
        page = await store.query(query)
        seen += [key(p) for p in page.points]
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    assert seen == full
    assert len(full) == 30 * 5  # 30 polls of five series in five minutes
    assert full[0][2] > full[-1][2]


async def test_cursor_is_refused_when_query_changed(store: SqliteStore, fleet: Fleet) -> None:
    await store.write_batches(fleet.batches[:20])
    page = await store.query(MetricQuery(metric=IO, limit=5))
    assert page.next_cursor is not None
    other = MetricQuery(metric=IO, device="r1", limit=5, cursor=page.next_cursor)
    with pytest.raises(QueryError, match="cursor belongs to a different query"):
        await store.query(other)
    # A different page size is still the same query.
    await store.query(MetricQuery(metric=IO, limit=7, cursor=page.next_cursor))


@pytest.mark.parametrize("cursor", ["not-a-cursor", "e30", "WzEsMiwzXQ"])
async def test_cursor_is_refused_when_malformed(store: SqliteStore, cursor: str) -> None:
    with pytest.raises(QueryError, match="cursor is malformed"):
        await store.query(MetricQuery(cursor=cursor))
