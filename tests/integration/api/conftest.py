"""Fixtures for the api: an inventory with secrets in it, and the app on a real bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.api.main import create_app
from shared.bus import Bus
from shared.settings import ApiSettings, CollectorSettings, NatsSettings, NetvigilSettings

# Secrets that must never show up in an HTTP answer.
PASSWORD = "pw-Zebra-8841"
KEY_FILE = "/home/monitor/.ssh/id_sekrit_ed25519"

INVENTORY_YAML = f"""\
defaults:
  username: monitor
  poll_interval: 15
devices:
  - name: r1
    host: 192.0.2.1
    platform: cisco_ios
    password: {PASSWORD}
    tags: {{site: lab, role: core}}
  - name: web1
    host: 198.51.100.7
    port: 2222
    platform: linux
    key_file: {KEY_FILE}
    poll_interval: 60
"""


@pytest.fixture
def inventory_file(tmp_path: Path) -> Path:
    """An inventory of two devices, one with a password, one with a key file."""
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY_YAML)
    return path


@pytest.fixture
def inventory_secrets() -> tuple[str, ...]:
    """Credential text from the inventory that no response may contain."""
    return (PASSWORD, KEY_FILE, "id_sekrit")


@pytest.fixture
def settings(nats_settings: NatsSettings, inventory_file: Path) -> NetvigilSettings:
    """Settings for the test bus and inventory, the API on a kernel-chosen port."""
    return NetvigilSettings(
        nats=nats_settings,
        api=ApiSettings(host="127.0.0.1", port=0),
        collector=CollectorSettings(inventory=inventory_file),
    )


@pytest.fixture
async def app(settings: NetvigilSettings, bus: Bus) -> AsyncIterator[FastAPI]:
    """The gateway with its lifespan running."""
    app = create_app(settings, bus)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client
