"""Device views: inventory fields merged with status, credentials never carried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.api.schemas import DeviceView
from shared.events import DeviceState, DeviceStatus
from shared.inventory import Device

pytestmark = pytest.mark.unit


def test_device_view_drops_credentials_when_device_has_them() -> None:
    device = Device.model_validate({
        "name": "r1", "host": "192.0.2.1", "platform": "linux", "username": "mon",
        "password": "hunter2-secret", "key_file": "/keys/id_r1",
    })
    text = DeviceView.build("r1", device, None).model_dump_json()
    assert "hunter2" not in text and "id_r1" not in text and "mon" not in text
    assert "password" not in DeviceView.model_fields and "key_file" not in DeviceView.model_fields


def test_device_view_shows_unknown_when_no_status() -> None:
    device = Device.model_validate(
        {"name": "r1", "host": "h", "platform": "linux", "username": "u", "password": "p"}
    )
    view = DeviceView.build("r1", device, None)
    assert (view.state, view.reason, view.since, view.in_inventory) == (
        DeviceState.UNKNOWN, None, None, True
    )


def test_device_view_has_status_only_when_not_in_inventory() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    status = DeviceStatus(device="x", state=DeviceState.UP, since=at)
    view = DeviceView.build("x", None, status)
    assert (view.host, view.port, view.platform, view.in_inventory) == (None, None, None, False)
    assert (view.state, view.since) == (DeviceState.UP, at)
