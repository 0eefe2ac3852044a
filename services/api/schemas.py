"""What the HTTP API returns; device credentials have no field here, so they cannot leak."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shared.events import DeviceState, DeviceStatus, MetricPoint
from shared.inventory import Device


class Health(BaseModel):
    """Liveness of the gateway and its bus connection."""

    status: str = Field(examples=["ok"])
    nats: str = Field(examples=["connected"])


class DeviceView(BaseModel):
    """One device: its inventory entry (never its credentials) and its current status.

    A device the collector reported but the inventory does not list has
    `in_inventory: false` and no host, port, platform or poll interval.
    """

    name: str
    host: str | None
    port: int | None
    platform: str | None
    poll_interval: float | None
    tags: dict[str, str]
    in_inventory: bool
    state: DeviceState
    reason: str | None
    since: datetime | None

    @classmethod
    def build(cls, name: str, device: Device | None, status: DeviceStatus | None) -> DeviceView:
        """Merge an inventory entry and a status; either may be missing."""
        return cls(
            name=name,
            host=device.host if device else None,
            port=device.port if device else None,
            platform=device.platform.value if device else None,
            poll_interval=device.poll_interval if device else None,
            tags=dict(device.tags) if device else {},
            in_inventory=device is not None,
            state=status.state if status else DeviceState.UNKNOWN,
            reason=status.reason if status else None,
            since=status.since if status else None,
        )


class DeviceList(BaseModel):
    """Devices in inventory order, then devices known only from the bus, by name."""

    devices: list[DeviceView]
    count: int


class MetricsPage(BaseModel):
    """Points of one metric query, oldest first; `truncated` says `limit` cut the result."""

    points: list[MetricPoint]
    truncated: bool
    count: int


class ErrorBody(BaseModel):
    """Body of every error answer."""

    detail: str
