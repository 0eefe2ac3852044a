"""The storage request/reply endpoints: `query` and `stats`, served in the storage queue group.

Bad requests (a body that does not validate, an empty time range) are answered with a
400 error reply by `Bus.serve`; every other failure with a 500.
"""

from __future__ import annotations

from nats.aio.subscription import Subscription

from services.storage.store import MetricStore
from shared.bus import Bus
from shared.events import MetricQuery, StorageStats, StorageStatsQuery
from shared.subjects import QUEUE_STORAGE


async def serve_storage(bus: Bus, store: MetricStore) -> list[Subscription]:
    """Answer `rpc_storage("query")` and `rpc_storage("stats")` from `store`."""

    async def stats(_: StorageStatsQuery) -> StorageStats:
        return await store.stats()

    query_sub = await bus.serve(
        bus.subjects.rpc_storage("query"),
        queue=QUEUE_STORAGE,
        request_model=MetricQuery,
        handler=store.query,
    )
    stats_sub = await bus.serve(
        bus.subjects.rpc_storage("stats"),
        queue=QUEUE_STORAGE,
        request_model=StorageStatsQuery,
        handler=stats,
    )
    return [query_sub, stats_sub]
