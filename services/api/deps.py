"""Named dependencies for the routes; everything comes from `app.state`, set by `create_app`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.api.status import StatusBoard
from services.api.storage import StorageClient
from shared.bus import Bus
from shared.inventory import Inventory
from shared.settings import NetvigilSettings


def get_settings(request: Request) -> NetvigilSettings:
    """The settings the app was built with."""
    settings: NetvigilSettings = request.app.state.settings
    return settings


def get_bus(request: Request) -> Bus:
    """The connected bus the app was built with."""
    bus: Bus = request.app.state.bus
    return bus


def get_inventory(request: Request) -> Inventory:
    """The device inventory loaded at startup (empty when none is configured)."""
    inventory: Inventory = request.app.state.inventory
    return inventory


def get_status_board(request: Request) -> StatusBoard:
    """The live device-status board started by the lifespan."""
    board: StatusBoard = request.app.state.status_board
    return board


def get_storage(request: Request) -> StorageClient:
    """A client for the storage service's query endpoint."""
    storage: StorageClient = request.app.state.storage
    return storage


SettingsDep = Annotated[NetvigilSettings, Depends(get_settings)]
BusDep = Annotated[Bus, Depends(get_bus)]
InventoryDep = Annotated[Inventory, Depends(get_inventory)]
StatusBoardDep = Annotated[StatusBoard, Depends(get_status_board)]
StorageDep = Annotated[StorageClient, Depends(get_storage)]
