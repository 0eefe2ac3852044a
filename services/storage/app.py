"""The storage service: open the metric store, answer queries, ingest until stopped."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack

from services.storage.ingest import MetricIngest
from services.storage.rpc import serve_storage
from services.storage.sqlite import SqliteStore
from services.storage.store import MetricStore
from shared.bus import Bus
from shared.runner import run_service
from shared.settings import NetvigilSettings

log = logging.getLogger(__name__)


async def open_store(settings: NetvigilSettings) -> MetricStore:
    """The configured metric store backend (SQLite is the only one so far)."""
    return await SqliteStore.open(settings.sqlite_path)


async def run(settings: NetvigilSettings, bus: Bus, stop: asyncio.Event) -> None:
    """Run the service until `stop` is set, then clean up everything it opened."""
    async with AsyncExitStack() as stack:
        store = await open_store(settings)
        stack.push_async_callback(store.close)
        # Closed in reverse: ingest stops, then the RPC endpoints, then the store.
        for sub in await serve_storage(bus, store):
            stack.push_async_callback(sub.unsubscribe)
        ingest = await MetricIngest.subscribe(bus=bus, store=store, settings=settings.storage)
        stack.push_async_callback(ingest.close)
        await bus.nc.flush()
        log.info(
            "storage ready: %s, consumer %s", settings.sqlite_path, settings.storage.durable_name
        )
        await ingest.run(stop)


async def main(settings: NetvigilSettings) -> None:
    """Run the storage service alone, as `python -m services.storage` does."""
    await run_service("storage", settings, run)
