"""The services of `netvigil up` in this event loop, with an HTTP client of the API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from services.api.main import create_app
from services.collector import app as collector_app
from services.storage import app as storage_app
from shared.bus import Bus
from shared.settings import NetvigilSettings


@contextlib.asynccontextmanager
async def running_stack(settings: NetvigilSettings, bus: Bus) -> AsyncIterator[httpx.AsyncClient]:
    """Storage and collector as tasks (own bus each), and a client of the API on `bus`."""
    stop = asyncio.Event()
    buses = [await Bus.connect(settings.nats, name=name) for name in ("storage", "collector")]
    tasks = [
        asyncio.create_task(storage_app.run(settings, buses[0], stop)),
        asyncio.create_task(collector_app.run(settings, buses[1], stop)),
    ]
    try:
        app = create_app(settings, bus)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://nv") as client:
                yield client
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)
        for each in buses:
            await each.close()
