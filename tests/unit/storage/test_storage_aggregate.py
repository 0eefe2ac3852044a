"""Backend-independent aggregation, rollup, cursor and resolution helpers, checked by numpy."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import pytest

from services.storage.aggregate import (
    bucket_start,
    fold_rollups,
    fold_samples,
    merge_rollups,
    percentile,
    rollups_of,
)
from services.storage.pagination import Cursor, decode_cursor, encode_cursor
from services.storage.query import choose_resolution
from shared.errors import QueryError
from shared.events import AggregateSpec, Aggregation, MetricQuery, Resolution

pytestmark = pytest.mark.unit

A = Aggregation
RNG = random.Random(11)
SERIES = [
    [(1000 * i + RNG.randrange(900), RNG.uniform(-50, 50)) for i in range(n)]
    for n in (1, 2, 37, 500)
]


@pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 0.95, 0.99, 1.0])
@pytest.mark.parametrize("samples", SERIES)
def test_percentile_matches_numpy_linear_when_any_size(
    samples: list[tuple[int, float]], q: float
) -> None:
    values = sorted(v for _, v in samples)
    assert percentile(values, q) == pytest.approx(np.percentile(values, q * 100))


@pytest.mark.parametrize("samples", SERIES)
def test_rollups_of_equal_numpy_per_minute(samples: list[tuple[int, float]]) -> None:
    shifted = [(ts * 7, v) for ts, v in samples]  # spread over several minutes
    for r in rollups_of(shifted, 60_000):
        inside = [(ts, v) for ts, v in shifted if r.start <= ts < r.start + 60_000]
        arr = np.array([v for _, v in inside])
        assert (r.min, r.max, r.count) == (arr.min(), arr.max(), len(arr))
        assert r.sum == pytest.approx(arr.sum())
        assert (r.last_ts, r.last) == max(inside)


def test_merge_rollups_equals_rolling_raw_at_coarser_step() -> None:
    samples = [(ts * 997, v) for ts, v in SERIES[-1]]
    merged = merge_rollups(rollups_of(samples, 60_000), 3_600_000)
    direct = rollups_of(samples, 3_600_000)
    assert [(r.start, r.min, r.max, r.count, r.last) for r in merged] == [
        (r.start, r.min, r.max, r.count, r.last) for r in direct
    ]
    assert [r.sum for r in merged] == pytest.approx([r.sum for r in direct])


def test_fold_rollups_is_exact_for_min_max_sum_count_avg_last() -> None:
    exact = [A.MIN, A.MAX, A.SUM, A.COUNT, A.AVG, A.LAST]
    per_series = [[(ts * 3, v) for ts, v in s] for s in SERIES]
    raw = fold_samples(per_series, exact)
    rolled = fold_rollups([rollups_of(s, 60_000) for s in per_series], exact)
    assert rolled == pytest.approx(raw)


def test_fold_rollups_percentile_stays_within_bucket_bounds() -> None:
    samples = [(ts * 3, v) for ts, v in SERIES[-1]]
    rollups = rollups_of(samples, 60_000)
    estimate = fold_rollups([rollups], [A.P95])[A.P95]
    exact = float(np.percentile([v for _, v in samples], 95))
    assert estimate is not None
    assert min(r.min for r in rollups) <= estimate <= max(r.max for r in rollups)
    # The documented bound: within the spread of one bucket around the true value.
    widest = max(r.max - r.min for r in rollups)
    assert abs(estimate - exact) <= widest


def test_fold_samples_reports_empty_groups_when_no_samples() -> None:
    assert fold_samples([], [A.COUNT, A.AVG, A.RATE]) == {A.COUNT: 0.0, A.AVG: None, A.RATE: None}


@pytest.mark.parametrize(
    ("ts", "step", "start"),
    [
        (125_000, 60_000, 120_000),  # inside a minute
        (120_000, 60_000, 120_000),  # on the boundary
        (-1, 60_000, -60_000),  # before the epoch floors down, not toward zero
    ],
)
def test_bucket_start_floors_to_step(ts: int, step: int, start: int) -> None:
    assert bucket_start(ts, step) == start


def test_cursor_round_trips_when_same_query() -> None:
    query = MetricQuery(metric="m", start=datetime(2026, 1, 1, tzinfo=UTC))
    text = encode_cursor(Cursor(ts=123, series_id=4), query)
    assert decode_cursor(query.model_copy(update={"cursor": text, "limit": 9})) == Cursor(123, 4)
    with pytest.raises(QueryError, match="different query"):
        decode_cursor(MetricQuery(metric="other", cursor=text))


MIN_, HOUR_ = 60_000, 3_600_000


@pytest.mark.parametrize(
    ("bucket_s", "start", "floors", "expected"),
    [
        (60, 10 * HOUR_, {}, Resolution.RAW),  # nothing pruned
        (60, 10 * HOUR_, {Resolution.RAW: 5 * HOUR_}, Resolution.RAW),  # raw covers
        (60, 2 * HOUR_, {Resolution.RAW: 5 * HOUR_}, Resolution.MINUTE),  # raw gone there
        (90, 2 * HOUR_, {Resolution.RAW: 5 * HOUR_}, Resolution.RAW),  # 90 s fits no rollup
        (
            3600,
            2 * HOUR_,
            {Resolution.RAW: 5 * HOUR_, Resolution.MINUTE: 3 * HOUR_},
            Resolution.HOUR,
        ),
        (60, None, {Resolution.RAW: 5 * HOUR_}, Resolution.MINUTE),  # open start: 1m is whole
    ],
)
def test_choose_resolution_picks_finest_covering(
    bucket_s: int, start: int | None, floors: dict[Resolution, int], expected: Resolution
) -> None:
    spec = AggregateSpec(functions=[A.AVG], bucket_s=bucket_s)
    assert choose_resolution(spec, start, floors) is expected
