"""Every message that crosses the bus, as pydantic models.

Each event carries `schema_version`, a unique `event_id` (also used as the JetStream
`Nats-Msg-Id`, so duplicate publishes are dropped and duplicate deliveries are
recognised) and a timezone-aware `occurred_at`.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Model(BaseModel):
    """Base for bus payloads: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Model):
    """Fields every published event has."""

    schema_version: Literal[1] = 1
    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)


class MetricSample(Model):
    """One value of one metric; `attributes` tell series apart (interface, direction, ...)."""

    metric: str
    value: float
    attributes: dict[str, str] = Field(default_factory=dict)


class MetricBatch(Event):
    """All samples one poll of one device produced, measured at `collected_at`."""

    device: str
    collected_at: AwareDatetime
    samples: list[MetricSample]
    # Metric groups this poll could not read, with why; empty when the poll was complete.
    missing_groups: dict[str, str] = Field(default_factory=dict)


class DeviceState(enum.StrEnum):
    """Where a device stands from the collector's point of view."""

    UNKNOWN = "unknown"
    UP = "up"
    DEGRADED = "degraded"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    AUTH_FAILED = "auth_failed"
    HOST_KEY_MISMATCH = "host_key_mismatch"
    ERROR = "error"
    ALGORITHM_MISMATCH = "algorithm_mismatch"
    OVERLOADED = "overloaded"
    CIRCUIT_OPEN = "circuit_open"


class DeviceStatus(Event):
    """A device changed state; published on change only."""

    device: str
    state: DeviceState
    reason: str | None = None
    since: AwareDatetime


class CollectionError(Event):
    """One command or metric group of a poll failed; the rest of the poll was still published."""

    device: str
    group: str
    command: str
    reason: str


class AttributeMatch(enum.StrEnum):
    """How an attribute filter compares: the whole value, a shell glob, or a regex search."""

    EXACT = "exact"
    GLOB = "glob"
    REGEX = "regex"


class AttributeFilter(Model):
    """One attribute condition; a series without the key never matches."""

    key: str = Field(min_length=1)
    value: str
    match: AttributeMatch = AttributeMatch.EXACT


class Aggregation(enum.StrEnum):
    """A function that folds the samples of one group (and bucket) into one number."""

    MIN = "min"
    MAX = "max"
    AVG = "avg"
    SUM = "sum"
    COUNT = "count"
    LAST = "last"
    RATE = "rate"
    P50 = "p50"
    P90 = "p90"
    P95 = "p95"
    P99 = "p99"


class Resolution(enum.StrEnum):
    """Which stored data answers an aggregate: raw samples or 1-minute / 1-hour rollups."""

    AUTO = "auto"
    RAW = "raw"
    MINUTE = "1m"
    HOUR = "1h"


class SortOrder(enum.StrEnum):
    """Ascending or descending."""

    ASC = "asc"
    DESC = "desc"


class AggregateSpec(Model):
    """Fold matching samples per group (and per time bucket) instead of returning points."""

    functions: list[Aggregation] = Field(min_length=1, max_length=11)
    group_by: list[str] | None = Field(
        default=None,
        description="'device', 'metric' or attribute keys; None groups per series",
    )
    bucket_s: int | None = Field(default=None, ge=1, le=366 * 86_400)
    resolution: Resolution = Resolution.AUTO
    sort_by: Aggregation | None = Field(
        default=None, description="order groups by this function's value (top-k with limit)"
    )
    order: SortOrder = SortOrder.DESC


class MetricQuery(Model):
    """A storage query: every filter is optional; results are ordered by time.

    `device`/`metric` and `devices`/`metrics` combine: a series matches when its device is
    any of them (likewise metric). With `aggregate` the answer is `rows`; with `latest` it
    is the newest point of each series; otherwise raw points, paged with `cursor`.
    """

    device: str | None = None
    metric: str | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    limit: int = Field(default=1000, ge=1, le=100_000)
    devices: list[str] = Field(default_factory=list, max_length=1000)
    metrics: list[str] = Field(default_factory=list, max_length=1000)
    attribute_filters: list[AttributeFilter] = Field(default_factory=list, max_length=50)
    order: SortOrder = SortOrder.ASC
    cursor: str | None = Field(default=None, max_length=512)
    latest: bool = False
    aggregate: AggregateSpec | None = None


class MetricPoint(Model):
    """One stored sample as a query returns it."""

    device: str
    metric: str
    unit: str
    ts: AwareDatetime
    value: float
    attributes: dict[str, str]


class AggregateRow(Model):
    """One group (and bucket) of an aggregate query; a value is None where undefined."""

    group: dict[str, str]
    bucket: AwareDatetime | None = None
    values: dict[Aggregation, float | None]


class MetricQueryResult(Model):
    """The answer to a `MetricQuery`; `truncated` says the limit cut the result.

    `next_cursor` continues a raw point listing; `resolution` names the data an aggregate
    was computed from (raw, 1m or 1h).
    """

    points: list[MetricPoint]
    truncated: bool
    rows: list[AggregateRow] = Field(default_factory=list)
    next_cursor: str | None = None
    resolution: Resolution = Resolution.RAW


class StorageStatsQuery(Model):
    """Request for `StorageStats`; it has no parameters yet."""


class IngestLag(Model):
    """How far the storage consumer is behind its stream (from JetStream consumer info)."""

    pending: int
    ack_pending: int
    redelivered: int
    stream_last_seq: int
    ack_floor_seq: int


class StorageStats(Model):
    """What the metric store holds; `oldest`/`newest` are None while it is empty."""

    series: int
    samples: int
    events: int
    oldest: AwareDatetime | None
    newest: AwareDatetime | None
    disk_bytes: int | None = None
    rollup_1m_rows: int | None = None
    rollup_1h_rows: int | None = None
    ingest: IngestLag | None = None


class PollFastRequest(Model):
    """Ask the collector polling `device` to poll it every `interval_s` for `duration_s`."""

    device: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
    duration_s: float = Field(gt=0, le=86_400)
    interval_s: float | None = Field(default=None, ge=1.0, le=86_400)
    requested_by: str = Field(default="api", min_length=1, max_length=100)


class PollFastReply(Model):
    """The collector accepted a PollFastRequest: the interval it uses and until when."""

    device: str
    interval_s: float
    until: AwareDatetime


class RpcErrorReply(Model):
    """Body of a failed request/reply, also carried in the Nats-Service-Error headers."""

    code: int
    error: str
