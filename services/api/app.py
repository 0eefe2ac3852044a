"""The api service's lifetime: build the app, serve it with uvicorn until `stop` is set."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from services.api.main import create_app
from services.api.server import ApiServer
from shared.bus import Bus
from shared.runner import run_service
from shared.settings import NetvigilSettings

log = logging.getLogger(__name__)


async def run(
    settings: NetvigilSettings,
    bus: Bus,
    stop: asyncio.Event,
    *,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Run the service until `stop` is set, then clean up everything it opened.

    `on_listening` receives the base URL once the server accepts requests; with port 0
    that is the only way to learn the port besides the "api listening on" log line.
    """
    server = ApiServer(app=create_app(settings, bus), host=settings.api.host,
                       port=settings.api.port)
    await server.start()
    log.info("api listening on %s (docs at %s/docs)", server.url, server.url)
    if on_listening is not None:
        on_listening(server.url)
    await server.serve_until(stop)
    log.info("api stopped")


async def main(settings: NetvigilSettings) -> None:
    """Run the api service alone, as `python -m services.api` does."""
    await run_service("api", settings, run)
