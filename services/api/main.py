"""The app factory: `create_app(settings, bus)` builds the gateway around a connected bus."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.api.errors import install_error_handler
from services.api.routes import devices, health, metrics, storage
from services.api.status import StatusBoard
from services.api.storage import StorageClient
from shared.bus import Bus
from shared.inventory import Inventory, load_inventory
from shared.settings import NetvigilSettings

log = logging.getLogger(__name__)


def load_configured_inventory(settings: NetvigilSettings) -> Inventory:
    """The inventory file named in settings, or an empty inventory when none is configured."""
    path = settings.collector.inventory
    if path is None:
        log.info("no inventory configured: devices are listed as the collector reports them")
        return Inventory(devices=())
    # Lenient like the collector: a bad entry is logged (the collector publishes it as a
    # device in state error) and the valid devices are still listed.
    inventory = load_inventory(path, strict=False)
    for rejected in inventory.rejected:
        log.error("inventory entry rejected: %s", rejected.reason)
    return inventory


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the inventory and follow device status for as long as the app runs."""
    app.state.inventory = load_configured_inventory(app.state.settings)
    board = StatusBoard(bus=app.state.bus)
    await board.start()
    app.state.status_board = board
    try:
        yield
    finally:
        await board.stop()


def create_app(settings: NetvigilSettings, bus: Bus) -> FastAPI:
    """Build the gateway; the lifespan starts its bus subscriptions, the caller owns the bus."""
    app = FastAPI(
        title="netvigil",
        summary="Devices polled over SSH, their status and their metrics.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.bus = bus
    app.state.storage = StorageClient(bus=bus)
    install_error_handler(app)
    for router in (health.router, devices.router, metrics.router, storage.router):
        app.include_router(router)
    return app
