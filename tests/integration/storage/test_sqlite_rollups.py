"""Rollups equal aggregates of the raw samples; retention removes exactly what it should."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from services.storage.sqlite import SqliteStore
from services.storage.store import RetentionPolicy, from_millis
from shared.events import AggregateSpec, Aggregation, MetricQuery, Resolution
from tests.integration.storage.generated import CPU, IO, T0, T0_MS, Fleet, Row, batch

pytestmark = pytest.mark.integration

A = Aggregation
NOW = T0 + timedelta(hours=3)  # the fleet covers T0 .. T0+2h


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return Fleet()


async def open_loaded(path: Path, fleet: Fleet, policy: RetentionPolicy) -> SqliteStore:
    store = await SqliteStore.open(path, policy=policy)
    for first in range(0, len(fleet.batches), 300):
        await store.write_batches(fleet.batches[first : first + 300])
    return store


@pytest.fixture
async def rolled(tmp_path: Path, fleet: Fleet) -> AsyncIterator[SqliteStore]:
    """The fleet, rolled up at NOW with retention long enough to keep everything."""
    policy = RetentionPolicy(raw=timedelta(days=365), chunk_rows=500)
    store = await open_loaded(tmp_path / "r.db", fleet, policy)
    await store.maintain(now=NOW)
    yield store
    await store.close()


def table(path: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def numpy_rollups(rows: list[Row], step_ms: int) -> dict[tuple[str, str, str, int], tuple]:  # type: ignore[type-arg]
    groups: dict[tuple[str, str, str, int], list[Row]] = {}
    for r in rows:
        groups.setdefault(
            (r.device, r.metric, r.interface or "", r.ts_ms - r.ts_ms % step_ms), []
        ).append(r)
    out = {}
    for k, members in groups.items():
        arr = np.array([m.value for m in members])
        out[k] = (
            arr.min(),
            arr.max(),
            arr.sum(),
            len(arr),
            max(members, key=lambda m: m.ts_ms).value,
        )
    return out


ROLLUP_SQL = (
    "SELECT s.device, s.metric, coalesce(json_extract(s.attributes, '$.interface'), ''),"
    " r.start, r.min, r.max, r.sum, r.count, r.last FROM {} r JOIN series s ON s.id = r.series_id"
)


@pytest.mark.parametrize(("tbl", "step_ms"), [("rollup_1m", 60_000), ("rollup_1h", 3_600_000)])
async def test_rollups_equal_numpy_aggregates_of_raw_when_maintained(
    rolled: SqliteStore, fleet: Fleet, tmp_path: Path, tbl: str, step_ms: int
) -> None:
    got = {tuple(r[:4]): tuple(r[4:]) for r in table(tmp_path / "r.db", ROLLUP_SQL.format(tbl))}
    want = numpy_rollups(fleet.samples, step_ms)
    assert got.keys() == want.keys()
    for k, values in want.items():
        assert got[k] == pytest.approx(values), k


async def test_rollup_query_equals_raw_query_when_exact_functions(rolled: SqliteStore) -> None:
    spec = dict(
        functions=[A.MIN, A.MAX, A.SUM, A.COUNT, A.AVG, A.LAST], group_by=["device"], bucket_s=900
    )
    window = dict(metric=IO, start=T0 + timedelta(minutes=15), end=T0 + timedelta(minutes=105))
    rows = {}
    for resolution in (Resolution.RAW, Resolution.MINUTE):
        result = await rolled.query(
            MetricQuery(
                **window,
                aggregate=AggregateSpec(  # type: ignore[arg-type]
                    resolution=resolution, **spec
                ),
            )
        )  # type: ignore[arg-type]
        assert result.resolution is resolution
        rows[resolution] = {(tuple(r.group.items()), r.bucket): r.values for r in result.rows}
    assert rows[Resolution.RAW].keys() == rows[Resolution.MINUTE].keys()
    assert len(rows[Resolution.RAW]) == 3 * 6
    for k, values in rows[Resolution.RAW].items():
        assert rows[Resolution.MINUTE][k] == pytest.approx(values)


async def test_late_sample_is_rolled_again_when_minute_already_rolled(
    rolled: SqliteStore, tmp_path: Path
) -> None:
    late = Row("r1", CPU, None, T0_MS + 90_500, 99.0)  # inside the rolled minute T0+1m
    await rolled.write_batches([batch("r1", from_millis(late.ts_ms), [late])])
    await rolled.maintain(now=NOW)
    [(mx, count)] = table(
        tmp_path / "r.db",
        "SELECT r.max, r.count FROM rollup_1m r JOIN series s ON s.id = r.series_id"
        f" WHERE s.device = 'r1' AND s.metric = '{CPU}' AND r.start = {T0_MS + 60_000}",
    )
    assert (mx, count) == (99.0, 7)  # six polls in the minute plus the late one
    [(hour_count,)] = table(
        tmp_path / "r.db",
        "SELECT r.count FROM rollup_1h r JOIN series s ON s.id = r.series_id"
        f" WHERE s.device = 'r1' AND s.metric = '{CPU}' AND r.start = {T0_MS}",
    )
    assert hour_count == 361


async def test_retention_prunes_exactly_raw_older_than_period_when_maintained(
    tmp_path: Path, fleet: Fleet
) -> None:
    policy = RetentionPolicy(raw=timedelta(hours=2), minute=timedelta(hours=3), chunk_rows=700)
    store = await open_loaded(tmp_path / "t.db", fleet, policy)
    try:
        now = T0 + timedelta(hours=3, minutes=30)  # raw before T0+1h30 goes; 1m before T0+30m
        report = await store.maintain(now=now)
        cut_raw, cut_1m = T0_MS + 5_400_000, T0_MS + 1_800_000
        assert report.pruned_raw == sum(1 for r in fleet.samples if r.ts_ms < cut_raw)
        left = table(tmp_path / "t.db", "SELECT min(ts), count(*) FROM samples")
        assert left == [(cut_raw, sum(1 for r in fleet.samples if r.ts_ms >= cut_raw))]
        assert table(tmp_path / "t.db", "SELECT min(start) FROM rollup_1m") == [(cut_1m,)]
        assert table(tmp_path / "t.db", "SELECT count(*) FROM rollup_1h") == [(2 * 15,)]
        # An hour query from before the raw floor is answered by the finest covering rollup.
        spec = AggregateSpec(functions=[A.COUNT], group_by=[])
        early = await store.query(MetricQuery(start=T0 + timedelta(hours=1), aggregate=spec))
        late = await store.query(
            MetricQuery(start=T0 + timedelta(hours=1, minutes=40), aggregate=spec)
        )
        assert (early.resolution, late.resolution) == (Resolution.MINUTE, Resolution.RAW)
        assert early.rows[0].values[A.COUNT] == sum(
            1 for r in fleet.samples if r.ts_ms >= T0_MS + 3_600_000
        )
    finally:
        await store.close()


async def test_size_cap_prunes_oldest_raw_but_never_unrolled_when_over_max_bytes(
    tmp_path: Path, fleet: Fleet
) -> None:
    policy = RetentionPolicy(raw=timedelta(days=365), max_bytes=1, chunk_rows=2000)
    store = await open_loaded(tmp_path / "s.db", fleet, policy)
    try:
        # At T0+1h30 only the first 90 minutes (minus the grace) are rolled up.
        await store.maintain(now=T0 + timedelta(hours=1, minutes=30))
        [(oldest, count)] = table(tmp_path / "s.db", "SELECT min(ts), count(*) FROM samples")
        rolled_to = T0_MS + 89 * 60_000
        assert oldest == rolled_to
        assert count == sum(1 for r in fleet.samples if r.ts_ms >= rolled_to)
    finally:
        await store.close()


async def test_maintenance_prunes_ingested_events_when_older_than_stream_age(
    tmp_path: Path, fleet: Fleet
) -> None:
    policy = RetentionPolicy(raw=timedelta(days=3650), events=timedelta(hours=1))
    store = await open_loaded(tmp_path / "e.db", fleet, policy)
    try:
        from shared.events import utcnow

        assert (await store.maintain(now=utcnow())).pruned_events == 0
        report = await store.maintain(now=utcnow() + timedelta(hours=2))
        assert report.pruned_events == len(fleet.batches)
        assert (await store.stats()).events == 0
    finally:
        await store.close()


async def test_maintenance_reports_rows_rolled_when_first_pass(
    tmp_path: Path, fleet: Fleet
) -> None:
    policy = RetentionPolicy(raw=timedelta(days=365), chunk_rows=500)
    store = await open_loaded(tmp_path / "n.db", fleet, policy)
    try:
        report = await store.maintain(now=NOW)
        assert report.rolled_1m == len(numpy_rollups(fleet.samples, 60_000)) == 15 * 120
        assert report.rolled_1h == len(numpy_rollups(fleet.samples, 3_600_000)) == 15 * 2
        again = await store.maintain(now=NOW)
        assert (again.rolled_1m, again.rolled_1h, again.pruned_raw) == (0, 0, 0)
    finally:
        await store.close()
