"""GET /api/v1/devices and /api/v1/devices/{name}: the inventory merged with live status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from services.api.deps import InventoryDep, StatusBoardDep, refuse_unknown_params
from services.api.schemas import DeviceList, DeviceView, ErrorBody
from services.api.status import StatusBoard
from shared.events import DeviceState
from shared.inventory import Inventory

router = APIRouter(
    prefix="/api/v1/devices", tags=["devices"], dependencies=[Depends(refuse_unknown_params)]
)


def device_views(inventory: Inventory, board: StatusBoard) -> list[DeviceView]:
    """Every inventory device with its status, then devices known only from the bus."""
    statuses = board.all()
    views = [DeviceView.build(d.name, d, statuses.get(d.name)) for d in inventory.devices]
    listed = {d.name for d in inventory.devices}
    extra = sorted(name for name in statuses if name not in listed)
    views.extend(DeviceView.build(name, None, statuses[name]) for name in extra)
    return views


@router.get("", response_model=DeviceList)
async def list_devices(
    inventory: InventoryDep,
    board: StatusBoardDep,
    state: Annotated[
        DeviceState | None, Query(description="only devices in this state")
    ] = None,
) -> DeviceList:
    """List devices (name, host, port, platform, poll interval, tags) with state, reason, since."""
    views = device_views(inventory, board)
    if state is not None:
        views = [v for v in views if v.state == state]
    return DeviceList(devices=views, count=len(views))


@router.get("/{name}", response_model=DeviceView, responses={404: {"model": ErrorBody}})
async def get_device(name: str, inventory: InventoryDep, board: StatusBoardDep) -> DeviceView:
    """One device with its current status."""
    device, status = inventory.by_name(name), board.get(name)
    if device is None and status is None:
        raise HTTPException(
            status_code=404,
            detail=f"device {name!r} is not in the inventory and has reported no status",
        )
    return DeviceView.build(name, device, status)
