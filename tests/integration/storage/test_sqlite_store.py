"""SqliteStore against a real SQLite file: filters, ordering, limits and idempotent writes.

The fixture fleet (values chosen by hand; T0 = 2026-01-01T00:00:00Z):

    r1 @ T0     cpu 0.25   io eth0/receive 100   io eth0/transmit 200
    r1 @ T0+10  cpu 0.50   io eth0/receive 110   io eth0/transmit 210
    r2 @ T0     cpu 0.75
    r2 @ T0+20  cpu 1.00   io eth0/receive 300

written in that order, so the series were first stored as
r1 cpu, r1 rx, r1 tx, r2 cpu, r2 rx (ties at one instant come in that order).
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.storage.sqlite import SqliteStore
from services.storage.store import SeriesInfo
from shared.errors import QueryError
from shared.events import (
    MetricBatch,
    MetricQuery,
    MetricQueryResult,
    MetricSample,
    StorageStats,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CPU, IO = "system.cpu.utilization", "system.network.io"
RX = {"interface": "eth0", "direction": "receive"}
TX = {"interface": "eth0", "direction": "transmit"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def batch(device: str, seconds: float, *samples: tuple[str, float, dict[str, str]]) -> MetricBatch:
    return MetricBatch(
        device=device,
        collected_at=at(seconds),
        samples=[MetricSample(metric=m, value=v, attributes=a) for m, v, a in samples],
    )


FLEET = [
    batch("r1", 0, (CPU, 0.25, {}), (IO, 100, RX), (IO, 200, TX)),
    batch("r1", 10, (CPU, 0.5, {}), (IO, 110, RX), (IO, 210, TX)),
    batch("r2", 0, (CPU, 0.75, {})),
    batch("r2", 20, (CPU, 1.0, {}), (IO, 300, RX)),
]


def rows(result: MetricQueryResult) -> list[tuple[str, str, float, float, dict[str, str]]]:
    """(device, metric, seconds after T0, value, attributes) of each point."""
    return [
        (p.device, p.metric, (p.ts - T0).total_seconds(), p.value, p.attributes)
        for p in result.points
    ]


def sample_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        count = db.execute("SELECT count(*) FROM samples").fetchone()[0]
    db.close()
    return int(count)


@pytest.fixture
async def fleet(store: SqliteStore) -> SqliteStore:
    assert await store.write_batches(FLEET) == 9
    return store


async def test_query_returns_one_device_when_filtered_by_device(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(device="r2"))
    assert rows(result) == [
        ("r2", CPU, 0, 0.75, {}),
        ("r2", CPU, 20, 1.0, {}),
        ("r2", IO, 20, 300, RX),
    ]
    assert result.truncated is False


async def test_query_includes_start_when_filtered_by_metric_and_start(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(metric=CPU, start=at(10)))
    assert rows(result) == [("r1", CPU, 10, 0.5, {}), ("r2", CPU, 20, 1.0, {})]


async def test_query_excludes_end_when_filtered_by_end(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(end=at(10)))
    assert rows(result) == [
        ("r1", CPU, 0, 0.25, {}),
        ("r1", IO, 0, 100, RX),
        ("r1", IO, 0, 200, TX),
        ("r2", CPU, 0, 0.75, {}),
    ]


async def test_query_matches_subset_when_filtered_by_attributes(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(attributes={"direction": "receive"}))
    assert rows(result) == [
        ("r1", IO, 0, 100, RX),
        ("r1", IO, 10, 110, RX),
        ("r2", IO, 20, 300, RX),
    ]


async def test_query_returns_nothing_when_an_attribute_differs(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(attributes={"direction": "receive", "interface": "lo"}))
    assert result.points == [] and result.truncated is False


async def test_query_fills_units_from_catalog_when_points_returned(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(device="r1", end=at(1)))
    assert [(p.metric, p.unit) for p in result.points] == [(CPU, "1"), (IO, "By/s"), (IO, "By/s")]


async def test_query_sets_truncated_when_limit_cuts_result(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(limit=3))
    assert rows(result) == [
        ("r1", CPU, 0, 0.25, {}),
        ("r1", IO, 0, 100, RX),
        ("r1", IO, 0, 200, TX),
    ]
    assert result.truncated is True


async def test_query_clears_truncated_when_limit_equals_result(fleet: SqliteStore) -> None:
    result = await fleet.query(MetricQuery(limit=9))
    assert len(result.points) == 9 and result.truncated is False


async def test_query_raises_query_error_when_range_empty(fleet: SqliteStore) -> None:
    with pytest.raises(QueryError):
        await fleet.query(MetricQuery(start=at(10), end=at(5)))


async def test_write_batches_stores_nothing_when_event_written_again(
    store: SqliteStore, db_path: Path
) -> None:
    first = FLEET[0]
    assert await store.write_batches([first]) == 3
    assert await store.write_batches([first]) == 0
    assert sample_rows(db_path) == 3


async def test_write_batches_stores_once_when_event_repeated_in_one_call(
    store: SqliteStore, db_path: Path
) -> None:
    assert await store.write_batches([FLEET[0], FLEET[0], FLEET[1]]) == 6
    assert sample_rows(db_path) == 6


async def test_write_batches_stores_nothing_when_event_redelivered_after_reopen(
    db_path: Path,
) -> None:
    first = await SqliteStore.open(db_path)
    await first.write_batches(FLEET)
    await first.close()
    reopened = await SqliteStore.open(db_path)
    try:
        assert await reopened.write_batches(FLEET[::-1]) == 0
        new = batch("r3", 0, (CPU, 0.125, {}))
        assert await reopened.write_batches([new]) == 1
        result = await reopened.query(MetricQuery(device="r3"))
        assert rows(result) == [("r3", CPU, 0, 0.125, {})]
    finally:
        await reopened.close()
    assert sample_rows(db_path) == 10


async def test_write_batches_drops_non_finite_values_when_present(store: SqliteStore) -> None:
    mixed = batch("r1", 0, (CPU, math.nan, {}), ("system.uptime", 42.0, {}))
    assert await store.write_batches([mixed]) == 1
    result = await store.query(MetricQuery())
    assert rows(result) == [("r1", "system.uptime", 0, 42.0, {})]


async def test_write_batches_keeps_first_value_when_series_instant_repeats(
    store: SqliteStore,
) -> None:
    # Two different events for the same series and instant: one point, the first value.
    assert await store.write_batches([batch("r1", 0, (CPU, 0.1, {}))]) == 1
    assert await store.write_batches([batch("r1", 0, (CPU, 0.9, {}))]) == 0
    assert rows(await store.query(MetricQuery())) == [("r1", CPU, 0, 0.1, {})]


async def test_list_series_returns_sorted_series_when_filtered(fleet: SqliteStore) -> None:
    assert await fleet.list_series(metric=IO) == [
        SeriesInfo(device="r1", metric=IO, attributes=RX, unit="By/s"),
        SeriesInfo(device="r1", metric=IO, attributes=TX, unit="By/s"),
        SeriesInfo(device="r2", metric=IO, attributes=RX, unit="By/s"),
    ]
    assert [s.metric for s in await fleet.list_series(device="r2")] == [CPU, IO]


_COUNTS = {"series", "samples", "events", "oldest", "newest"}


async def test_stats_counts_store_when_fleet_written(fleet: SqliteStore) -> None:
    stats = await fleet.stats()
    assert stats.model_dump(include=_COUNTS) == StorageStats(
        series=5, samples=9, events=4, oldest=at(0), newest=at(20)
    ).model_dump(include=_COUNTS)
    assert stats.disk_bytes is not None and stats.disk_bytes > 0
    assert (stats.rollup_1m_rows, stats.rollup_1h_rows) == (0, 0)


async def test_stats_reports_empty_when_nothing_written(store: SqliteStore) -> None:
    stats = await store.stats()
    assert stats.model_dump(include=_COUNTS) == StorageStats(
        series=0, samples=0, events=0, oldest=None, newest=None
    ).model_dump(include=_COUNTS)
