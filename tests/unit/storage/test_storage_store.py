"""The backend-neutral rules of services.storage.store, checked with hand-computed values."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.storage.store import (
    canonical_attributes,
    from_millis,
    storable_samples,
    time_bounds,
    to_millis,
)
from shared.errors import QueryError
from shared.events import MetricBatch, MetricQuery, MetricSample

pytestmark = pytest.mark.unit


def test_to_millis_counts_from_epoch_when_given_utc() -> None:
    # 2026-01-01T00:00:00Z is 20454 days after the epoch: 20454 * 86400 s.
    assert to_millis(datetime(2026, 1, 1, tzinfo=UTC)) == 1_767_225_600_000


def test_to_millis_floors_microseconds_when_below_a_millisecond() -> None:
    moment = datetime(1970, 1, 1, 0, 0, 1, 999_999, tzinfo=UTC)
    assert to_millis(moment) == 1_999


def test_to_millis_converts_to_utc_when_given_another_offset() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert to_millis(datetime(1970, 1, 1, 2, 0, 0, tzinfo=plus_two)) == 0


def test_from_millis_returns_aware_utc_when_given_millis() -> None:
    assert from_millis(1_767_225_600_250) == datetime(2026, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC)


def test_canonical_attributes_ignores_key_order_when_keys_permuted() -> None:
    one = canonical_attributes({"interface": "eth0", "direction": "receive"})
    other = canonical_attributes({"direction": "receive", "interface": "eth0"})
    assert one == other == '{"direction":"receive","interface":"eth0"}'


def test_canonical_attributes_keeps_unicode_when_not_ascii() -> None:
    assert canonical_attributes({"mountpoint": "/données"}) == '{"mountpoint":"/données"}'


def test_storable_samples_drops_non_finite_values_when_present() -> None:
    batch = MetricBatch(
        device="r1",
        collected_at=datetime(2026, 1, 1, tzinfo=UTC),
        samples=[
            MetricSample(metric="a", value=1.0),
            MetricSample(metric="b", value=math.nan),
            MetricSample(metric="c", value=math.inf),
            MetricSample(metric="d", value=-0.5),
        ],
    )
    assert [s.metric for s in storable_samples(batch)] == ["a", "d"]


def test_time_bounds_returns_none_when_range_open() -> None:
    assert time_bounds(MetricQuery()) == (None, None)


def test_time_bounds_rejects_range_when_end_not_after_start() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(QueryError, match="must be after start"):
        time_bounds(MetricQuery(start=moment, end=moment))
