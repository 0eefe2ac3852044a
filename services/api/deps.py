"""Named dependencies for the routes; everything comes from `app.state`, set by `create_app`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

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


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def refuse_unknown_params(request: Request) -> None:
    """Refuse query parameters the route does not declare (`?devcie=x` would match everything)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "unknown_parameter",
                    "loc": ("query", name),
                    "input": request.query_params.getlist(name),
                    "msg": f"unknown query parameter {name!r}; this endpoint takes "
                    + (", ".join(sorted(known)) or "none"),
                }
                for name in unknown
            ]
        )


SettingsDep = Annotated[NetvigilSettings, Depends(get_settings)]
BusDep = Annotated[Bus, Depends(get_bus)]
InventoryDep = Annotated[Inventory, Depends(get_inventory)]
StatusBoardDep = Annotated[StatusBoard, Depends(get_status_board)]
StorageDep = Annotated[StorageClient, Depends(get_storage)]
