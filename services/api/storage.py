"""The storage service as the gateway sees it: one query over request/reply."""

from __future__ import annotations

from nats.errors import Error as NatsError
from pydantic import ValidationError

from shared.bus import Bus
from shared.errors import BusError, RpcTimeout
from shared.events import MetricQuery, MetricQueryResult


class StorageClient:
    """Asks the storage service for metric points; failures come out as BusError subclasses."""

    def __init__(self, *, bus: Bus) -> None:
        self._bus = bus

    async def query(self, query: MetricQuery) -> MetricQueryResult:
        """Run `query` on the storage service and return its points."""
        subject = self._bus.subjects.rpc_storage("query")
        try:
            return await self._bus.request(subject, query, MetricQueryResult)
        except RpcTimeout as exc:
            # Say which service is missing: the caller of the HTTP API has no bus view.
            raise RpcTimeout(
                f"storage did not answer within {self._bus.request_timeout:g} s "
                "(is the storage service running?)"
            ) from exc
        except ValidationError as exc:
            raise BusError(f"storage sent a reply that is not a MetricQueryResult: {exc}") from exc
        except NatsError as exc:
            raise BusError(f"request to storage failed: {exc}") from exc
