"""The metric store interface every backend implements, and the helpers they share.

Backends (SQLite now, PostgreSQL and plain files later) agree on these rules so one
contract test suite can run against each of them:

- A series is (device, metric, attributes); attributes are compared as canonical JSON
  (sorted keys, no whitespace), so `{"b": "1", "a": "2"}` and `{"a": "2", "b": "1"}` are
  the same series.
- Timestamps are stored as integer epoch milliseconds (UTC); finer precision is floored.
- A batch is identified by its `event_id`; writing the same event twice stores nothing
  the second time, and the record of ingested events commits with the samples.
- Non-finite values (NaN, ±inf) are dropped: JSON cannot carry them back to a reader.
- `query` returns points with `start <= ts < end`, ordered by time and then by series
  (`order=desc` reverses both), at most `limit` of them, and says whether the limit cut the
  result. `next_cursor` (from `services.storage.pagination`) continues after the last point
  returned: keyset on (ts, series id), so rows arriving meanwhile are never skipped twice
  or repeated.
- `latest=True` returns the newest point of each matching series (ordered by series).
- `aggregate` folds samples per group and bucket with `services.storage.aggregate`;
  `resolution` says whether raw samples or rollups answered (see `choose_resolution`).
- Limits (`QueryLimits`) are refused with `QueryError` (a 400), never a 500 or a hang.
- `maintain(now=...)` builds 1-minute and 1-hour rollups (min, max, sum, count, last) of
  complete buckets, then prunes by the `RetentionPolicy`, in small transactions.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from shared.errors import QueryError
from shared.events import MetricBatch, MetricQuery, MetricQueryResult, MetricSample, StorageStats

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryLimits:
    """What one query may cost before it is refused with a precise QueryError."""

    max_series: int = 10_000
    max_points: int = 2_000_000
    max_range: timedelta = timedelta(days=400)
    timeout_s: float = 4.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionPolicy:
    """How long each resolution is kept, and the size cap that prunes oldest raw data first."""

    raw: timedelta = timedelta(hours=48)
    minute: timedelta = timedelta(days=30)
    hour: timedelta = timedelta(days=400)
    events: timedelta = timedelta(hours=25)
    max_bytes: int | None = None
    chunk_rows: int = 20_000


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceReport:
    """What one maintenance pass did."""

    rolled_1m: int = 0
    rolled_1h: int = 0
    pruned_raw: int = 0
    pruned_1m: int = 0
    pruned_1h: int = 0
    pruned_events: int = 0


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """One stored series: the identity of a line on a graph."""

    device: str
    metric: str
    attributes: Mapping[str, str]
    unit: str


class MetricStore(Protocol):
    """Where metric batches are written once and read back by query."""

    async def write_batches(self, batches: Sequence[MetricBatch]) -> int:
        """Store new batches in one transaction; return how many samples were new."""
        ...

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Return the points matching `query`, oldest first."""
        ...

    async def list_series(
        self, *, device: str | None = None, metric: str | None = None
    ) -> list[SeriesInfo]:
        """Return the known series, optionally of one device and/or metric."""
        ...

    async def stats(self) -> StorageStats:
        """Count series, samples, events and rollup rows; give the time span and disk size."""
        ...

    async def maintain(self, *, now: datetime) -> MaintenanceReport:
        """Roll up complete buckets before `now`, then prune by the retention policy."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...


def to_millis(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime, floored (exact integer arithmetic)."""
    return (moment - _EPOCH) // _MILLISECOND


def from_millis(millis: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return _EPOCH + millis * _MILLISECOND


def canonical_attributes(attributes: Mapping[str, str]) -> str:
    """Attributes as canonical JSON, the text that identifies a series."""
    return _canonical(tuple(sorted(attributes.items())))


@functools.lru_cache(maxsize=65_536)
def _canonical(items: tuple[tuple[str, str], ...]) -> str:
    # Every sample of every batch needs its series text; a fleet has few distinct attribute
    # sets, and json.dumps was a third of the write path's CPU time.
    return json.dumps(dict(items), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def storable_samples(batch: MetricBatch) -> list[MetricSample]:
    """The samples of `batch` a store keeps: those with a finite value."""
    return [sample for sample in batch.samples if math.isfinite(sample.value)]


def time_bounds(query: MetricQuery) -> tuple[int | None, int | None]:
    """The query's [start, end) range in epoch milliseconds; QueryError if it is empty."""
    start = to_millis(query.start) if query.start is not None else None
    end = to_millis(query.end) if query.end is not None else None
    if start is not None and end is not None and end <= start:
        raise QueryError(
            f"end ({query.end.isoformat() if query.end else ''}) must be after "
            f"start ({query.start.isoformat() if query.start else ''})"
        )
    return start, end
