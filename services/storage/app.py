"""The storage service: open the metric store, answer queries, ingest until stopped."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack

from services.storage.config import query_limits, retention_policy
from services.storage.filestore import FileStore
from services.storage.ingest import MetricIngest
from services.storage.maintenance import run_maintenance
from services.storage.postgres import PostgresStore
from services.storage.rpc import serve_storage
from services.storage.sqlite import SqliteStore
from services.storage.store import MetricStore
from shared.bus import Bus
from shared.errors import ConfigError
from shared.runner import run_service
from shared.settings import NetvigilSettings

log = logging.getLogger(__name__)


async def open_store(settings: NetvigilSettings) -> MetricStore:
    """The metric store backend `storage.backend` names: sqlite (default), postgres or file."""
    policy, limits = retention_policy(settings), query_limits(settings)
    if settings.storage.backend == "postgres":
        if settings.storage.postgres_dsn is None:
            raise ConfigError(
                "storage.backend is postgres but storage.postgres_dsn"
                " (NETVIGIL_STORAGE__POSTGRES_DSN) is not set"
            )
        return await PostgresStore.open(settings.storage.postgres_dsn, policy=policy, limits=limits)
    if settings.storage.backend == "file":
        return await FileStore.open(settings.metric_file_dir, policy=policy, limits=limits)
    return await SqliteStore.open(settings.sqlite_path, policy=policy, limits=limits)


async def run(settings: NetvigilSettings, bus: Bus, stop: asyncio.Event) -> None:
    """Run the service until `stop` is set, then clean up everything it opened."""
    async with AsyncExitStack() as stack:
        store = await open_store(settings)
        stack.push_async_callback(store.close)
        ingest = await MetricIngest.subscribe(bus=bus, store=store, settings=settings.storage)
        # Closed in reverse: ingest stops, then the RPC endpoints, then the store.
        for sub in await serve_storage(bus, store, lag=ingest.lag):
            stack.push_async_callback(sub.unsubscribe)
        stack.push_async_callback(ingest.close)
        await bus.nc.flush()
        log.info(
            "storage ready: %s, consumer %s", settings.sqlite_path, settings.storage.durable_name
        )
        maintenance = asyncio.ensure_future(
            run_maintenance(store, interval_s=settings.storage.maintenance_interval_s, stop=stop)
        )
        try:
            await ingest.run(stop)
        finally:
            stop.set()  # ends maintenance after its current small transaction
            await asyncio.wait({maintenance})


async def main(settings: NetvigilSettings) -> None:
    """Run the storage service alone, as `python -m services.storage` does."""
    await run_service("storage", settings, run)
