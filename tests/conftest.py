"""Fixtures that start real infrastructure: a nats-server per test session, buses per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.natsserver import NatsServer
from shared.settings import NatsSettings

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A real nats-server with JetStream on a free loopback port, for the whole session."""
    server = NatsServer(store_dir=tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nats_settings(nats_server: NatsServer) -> NatsSettings:
    """Settings pointing at the session's nats-server."""
    return NatsSettings(url=nats_server.url, request_timeout=2.0)


@pytest.fixture
async def bus(nats_settings: NatsSettings) -> AsyncIterator[Bus]:
    """A connected bus over empty, freshly created streams."""
    bus = await Bus.connect(nats_settings, name="test")
    for name in await bus.js.streams_info():
        await bus.js.delete_stream(name.config.name)
    await bus.ensure_streams()
    yield bus
    await bus.close()


@pytest.fixture
def corpus() -> Path:
    """The shared real-world corpus; tests that need it skip where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (only present in the dev workspace)")
    return CORPUS
