"""GET /api/v1/devices on a real bus: inventory, live status, status restored from JetStream."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from services.api.main import create_app
from services.api.status import StatusBoard
from shared.bus import Bus
from shared.events import DeviceState, DeviceStatus
from shared.settings import NetvigilSettings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


def _status(
    device: str, state: DeviceState, at: datetime, reason: str | None = None
) -> DeviceStatus:
    return DeviceStatus(device=device, state=state, reason=reason, since=at, occurred_at=at)


async def _publish_and_wait(bus: Bus, app: FastAPI, status: DeviceStatus) -> None:
    board: StatusBoard = app.state.status_board
    await bus.publish(bus.subjects.device_status(status.device), status)
    await board.wait_until(lambda b: b.get(status.device) == status, timeout=5)


async def test_devices_lists_inventory_as_unknown_when_no_status_yet(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/devices")
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "devices": [
            {"name": "r1", "host": "192.0.2.1", "port": 22, "platform": "cisco_ios",
             "poll_interval": 15.0, "tags": {"site": "lab", "role": "core"},
             "in_inventory": True, "state": "unknown", "reason": None, "since": None},
            {"name": "web1", "host": "198.51.100.7", "port": 2222, "platform": "linux",
             "poll_interval": 60.0, "tags": {}, "in_inventory": True,
             "state": "unknown", "reason": None, "since": None},
        ],
    }


async def test_devices_show_status_when_published_live(
    bus: Bus, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _publish_and_wait(bus, app, _status("r1", DeviceState.AUTH_FAILED, T0, "login refused"))
    body = (await client.get("/api/v1/devices/r1")).json()
    assert (body["state"], body["reason"], body["since"]) == (
        "auth_failed", "login refused", "2026-03-01T12:00:00Z"
    )
    await _publish_and_wait(bus, app, _status("r1", DeviceState.UP, T1))
    body = (await client.get("/api/v1/devices/r1")).json()
    assert (body["state"], body["reason"], body["since"]) == ("up", None, "2026-03-01T12:05:00Z")


async def _devices(app: FastAPI) -> dict[str, tuple[str, str | None, str | None]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        body = (await client.get("/api/v1/devices")).json()
    return {d["name"]: (d["state"], d["reason"], d["since"]) for d in body["devices"]}


async def test_devices_restore_last_status_from_stream_when_app_restarts(
    settings: NetvigilSettings, bus: Bus
) -> None:
    # Before the first start: only the stream can tell the app about it.
    await bus.publish(bus.subjects.device_status("r1"), _status("r1", DeviceState.UNREACHABLE, T0))
    first = create_app(settings, bus)
    async with first.router.lifespan_context(first):
        assert (await _devices(first))["r1"] == ("unreachable", None, "2026-03-01T12:00:00Z")
        # While running: seen live, and stored for the next start.
        await _publish_and_wait(bus, first, _status("r1", DeviceState.UP, T1))
        await _publish_and_wait(
            bus, first, _status("web1", DeviceState.TIMEOUT, T0, "no banner")
        )
    second = create_app(settings, bus)
    async with second.router.lifespan_context(second):
        assert await _devices(second) == {
            "r1": ("up", None, "2026-03-01T12:05:00Z"),
            "web1": ("timeout", "no banner", "2026-03-01T12:00:00Z"),
        }


async def test_devices_filter_by_state_when_state_given(
    bus: Bus, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _publish_and_wait(bus, app, _status("web1", DeviceState.UP, T0))
    up = (await client.get("/api/v1/devices", params={"state": "up"})).json()
    unknown = (await client.get("/api/v1/devices", params={"state": "unknown"})).json()
    assert [d["name"] for d in up["devices"]] == ["web1"] and up["count"] == 1
    assert [d["name"] for d in unknown["devices"]] == ["r1"]
    bad = await client.get("/api/v1/devices", params={"state": "sleepy"})
    assert bad.status_code == 422


async def test_device_get_answers_404_when_device_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/nosuch")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "device 'nosuch' is not in the inventory and has reported no status"
    }


async def test_devices_include_bus_only_device_when_not_in_inventory(
    bus: Bus, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _publish_and_wait(bus, app, _status("sw9", DeviceState.DEGRADED, T0, "fan tray"))
    body = (await client.get("/api/v1/devices/sw9")).json()
    assert body == {
        "name": "sw9", "host": None, "port": None, "platform": None, "poll_interval": None,
        "tags": {}, "in_inventory": False, "state": "degraded", "reason": "fan tray",
        "since": "2026-03-01T12:00:00Z",
    }
    names = [d["name"] for d in (await client.get("/api/v1/devices")).json()["devices"]]
    assert names == ["r1", "web1", "sw9"]


async def test_status_board_keeps_newer_status_when_older_arrives_late(
    bus: Bus, app: FastAPI
) -> None:
    board: StatusBoard = app.state.status_board
    newer = _status("r1", DeviceState.UP, T1)
    await _publish_and_wait(bus, app, newer)
    assert await board.apply(_status("r1", DeviceState.UNREACHABLE, T0)) is False
    assert board.get("r1") == newer


async def test_status_board_ignores_invalid_payload_and_keeps_listening(
    bus: Bus, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await bus.nc.publish(bus.subjects.device_status("r1"), b'{"device": "r1", "state": "on fire"}')
    await _publish_and_wait(bus, app, _status("r1", DeviceState.UP, T0))
    assert (await client.get("/api/v1/devices/r1")).json()["state"] == "up"


async def test_api_never_returns_credentials_in_any_body(
    bus: Bus, app: FastAPI, client: httpx.AsyncClient, inventory_secrets: tuple[str, ...]
) -> None:
    await _publish_and_wait(bus, app, _status("r1", DeviceState.UP, T0))
    paths = ["/api/v1/devices", "/api/v1/devices/r1", "/api/v1/devices/web1",
             "/api/v1/devices?state=up", "/healthz", "/openapi.json"]
    for path in paths:
        text = (await client.get(path)).text
        for secret in (*inventory_secrets, "password", "key_file"):
            assert secret not in text, f"{secret!r} leaked in {path}"
