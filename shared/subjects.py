"""Every NATS subject, stream and queue group netvigil uses, in one table.

| builder               | kind                 | payload           | from -> to                  |
|-----------------------|----------------------|-------------------|-----------------------------|
| metrics(device)       | stream METRICS       | MetricBatch       | collector -> storage, ...   |
| device_status(device) | stream EVENTS        | DeviceStatus      | collector -> api, alerting  |
| collection_error(dev) | stream EVENTS        | CollectionError   | collector -> api, alerting  |
| rpc_storage(verb)     | request/reply, queue | MetricQuery, ...  | api, analysis -> storage    |
| collector_leases_bucket() | KV bucket        | device lease      | collector <-> collector     |
| collector_members_bucket()| KV bucket        | collector heartbeat | collector <-> collector   |
| rpc_collector(verb)   | request/reply        | PollFastRequest   | api, alerting -> collector  |

Subjects are lowercase dot tokens under a configurable prefix (default `nv`); device
names are validated by the inventory so they are always one safe token.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from shared import events

STREAM_METRICS = "METRICS"
STREAM_EVENTS = "EVENTS"
STREAM_ALERTS = "ALERTS"
QUEUE_STORAGE = "storage"


@dataclass(frozen=True, slots=True)
class Subjects:
    """Subject builders bound to one prefix."""

    prefix: str = "nv"

    def metrics(self, device: str) -> str:
        """Metric batches of one device."""
        return f"{self.prefix}.metrics.{device}"

    def device_status(self, device: str) -> str:
        """State changes of one device."""
        return f"{self.prefix}.device.status.{device}"

    def collection_error(self, device: str) -> str:
        """Failed commands or groups of one device's polls."""
        return f"{self.prefix}.device.errors.{device}"

    def rpc_storage(self, verb: str) -> str:
        """Request/reply endpoint of the storage service."""
        return f"{self.prefix}.rpc.storage.{verb}"

    def rpc_collector(self, verb: str) -> str:
        """Request/reply endpoint of the collectors (each answers for its own devices)."""
        return f"{self.prefix}.rpc.collector.{verb}"

    def collector_leases_bucket(self) -> str:
        """KV bucket of per-device poll leases shared by every collector (no dots allowed)."""
        return f"{self.prefix}_collector_leases"

    def collector_members_bucket(self) -> str:
        """KV bucket where each live collector keeps a heartbeat."""
        return f"{self.prefix}_collector_members"

    def stream_subjects(self) -> dict[str, list[str]]:
        """Subjects each JetStream stream captures."""
        p = self.prefix
        return {
            STREAM_METRICS: [f"{p}.metrics.>"],
            STREAM_EVENTS: [f"{p}.device.>", f"{p}.events.>", f"{p}.anomalies.>"],
            STREAM_ALERTS: [f"{p}.alerts.>"],
        }


# Which payload model each subject family carries; a test checks the table is complete.
PAYLOADS: dict[str, type[BaseModel]] = {
    "metrics": events.MetricBatch,
    "device_status": events.DeviceStatus,
    "collection_error": events.CollectionError,
    "rpc_storage.query": events.MetricQuery,
    "rpc_storage.stats": events.StorageStatsQuery,
    "rpc_collector.poll_fast": events.PollFastRequest,
}
