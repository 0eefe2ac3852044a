"""The storage request/reply endpoints: `query` and `stats`, served in the storage queue group.

Bad requests (a body that does not validate, an empty time range) are answered with a
400 error reply by `Bus.serve`; every other failure with a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

from services.storage.store import MetricStore
from shared.bus import Bus
from shared.events import IngestLag, MetricQuery, StorageStats, StorageStatsQuery
from shared.subjects import QUEUE_STORAGE

log = logging.getLogger(__name__)

LagProbe = Callable[[], Awaitable[IngestLag]]


async def serve_storage(
    bus: Bus, store: MetricStore, *, lag: LagProbe | None = None
) -> list[Subscription]:
    """Answer `rpc_storage("query")` and `rpc_storage("stats")` from `store` (and `lag`)."""

    async def stats(_: StorageStatsQuery) -> StorageStats:
        held = await store.stats()
        if lag is None:
            return held
        try:
            return held.model_copy(update={"ingest": await lag()})
        except NatsError as exc:  # stats stay useful without the lag
            log.warning("ingest lag unavailable: %s", exc)
            return held

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
