"""GET /healthz: is the gateway up and connected to the bus?"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.api.deps import BusDep
from services.api.schemas import Health
from shared.bus import Bus

router = APIRouter(tags=["health"])


def nats_state(bus: Bus) -> str:
    """One word for the bus connection: connected, reconnecting, closed or disconnected."""
    nc = bus.nc
    if nc.is_connected:
        return "connected"
    if nc.is_reconnecting:
        return "reconnecting"
    if nc.is_closed:
        return "closed"
    return "disconnected"


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "the bus is not connected"}},
)
async def healthz(bus: BusDep, response: Response) -> Health:
    """200 when the bus is connected, 503 otherwise (for health checks and load balancers)."""
    state = nats_state(bus)
    if state != "connected":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="unavailable", nats=state)
    return Health(status="ok", nats=state)
