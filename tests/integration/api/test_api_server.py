"""The api service run with uvicorn on a real socket, and /healthz over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.api import app as api_app
from services.api.main import create_app
from services.api.server import ApiServer, ApiStartError
from shared.bus import Bus
from shared.errors import ConfigError
from shared.settings import CollectorSettings, NatsSettings, NetvigilSettings

pytestmark = pytest.mark.integration


async def test_run_serves_healthz_over_http_when_port_zero(
    settings: NetvigilSettings, bus: Bus
) -> None:
    stop = asyncio.Event()
    listening: asyncio.Queue[str] = asyncio.Queue()
    task = asyncio.create_task(api_app.run(settings, bus, stop, on_listening=listening.put_nowait))
    try:
        url = await asyncio.wait_for(listening.get(), 10)
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            response = await client.get("/healthz")
            docs = await client.get("/docs")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "nats": "connected"}
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_api_server_raises_config_error_when_port_taken(
    settings: NetvigilSettings, bus: Bus
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ApiServer(app=create_app(settings, bus), host="127.0.0.1", port=port)
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            await server.start()


async def test_run_raises_start_error_when_inventory_invalid(
    settings: NetvigilSettings, bus: Bus, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("devices: [\n  - name: r1\n")  # not YAML: nothing can be listed
    broken = settings.model_copy(update={"collector": CollectorSettings(inventory=bad)})
    with pytest.raises(ApiStartError, match="api failed to start"):
        await asyncio.wait_for(api_app.run(broken, bus, asyncio.Event()), 10)


async def test_healthz_answers_503_when_bus_closed(
    settings: NetvigilSettings, nats_settings: NatsSettings
) -> None:
    own = await Bus.connect(nats_settings, name="closing")
    app: FastAPI = create_app(settings, own)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            assert (await client.get("/healthz")).status_code == 200
            await own.close()
            response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "nats": "closed"}
