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


class MetricQuery(Model):
    """A storage query: every filter is optional; results are ordered by time."""

    device: str | None = None
    metric: str | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    limit: int = Field(default=1000, ge=1, le=100_000)


class MetricPoint(Model):
    """One stored sample as a query returns it."""

    device: str
    metric: str
    unit: str
    ts: AwareDatetime
    value: float
    attributes: dict[str, str]


class MetricQueryResult(Model):
    """The answer to a `MetricQuery`; `truncated` says the limit cut the result."""

    points: list[MetricPoint]
    truncated: bool


class StorageStatsQuery(Model):
    """Request for `StorageStats`; it has no parameters yet."""


class StorageStats(Model):
    """What the metric store holds; `oldest`/`newest` are None while it is empty."""

    series: int
    samples: int
    events: int
    oldest: AwareDatetime | None
    newest: AwareDatetime | None


class RpcErrorReply(Model):
    """Body of a failed request/reply, also carried in the Nats-Service-Error headers."""

    code: int
    error: str
