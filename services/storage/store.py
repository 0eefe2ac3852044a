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
- `query` returns points with `start <= ts < end`, ordered by time and then by series,
  at most `limit` of them, and says whether the limit cut the result.
"""

from __future__ import annotations

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
        """Count series, samples and events, and give the time span held."""
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
    return json.dumps(dict(attributes), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
