"""The lifetime of one service process: connect, run until SIGTERM/SIGINT, drain."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from shared.bus import Bus
from shared.settings import NetvigilSettings

log = logging.getLogger(__name__)

ServiceRun = Callable[[NetvigilSettings, Bus, asyncio.Event], Awaitable[None]]


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGTERM or SIGINT so the service can shut down cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def run_service(name: str, settings: NetvigilSettings, run: ServiceRun) -> None:
    """Connect a bus for `name`, run the service until a signal, then drain the bus."""
    stop = asyncio.Event()
    stop_on_signals(stop)
    bus = await Bus.connect(settings.nats, name=f"netvigil-{name}")
    try:
        await bus.ensure_streams(metrics_max_age_s=settings.nats.metrics_max_age_hours * 3600)
        log.info("%s started, bus %s", name, settings.nats.url)
        await run(settings, bus, stop)
    finally:
        await bus.close()
        log.info("%s stopped", name)
