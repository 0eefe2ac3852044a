"""An idle stream is normal: fetch timeouts end the round quietly, whatever type nats-py raises."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from services.storage.ingest import IngestRound, MetricIngest
from services.storage.sqlite import SqliteStore
from shared.bus import Bus
from shared.subjects import STREAM_METRICS

pytestmark = pytest.mark.integration


@pytest.fixture
async def idle_ingest(bus: Bus, store: SqliteStore) -> AsyncIterator[MetricIngest]:
    """Ingest on an empty stream with a fetch timeout so short that nats-py gives up early.

    With so little time, nats-py 2.16 raises a plain asyncio TimeoutError from its first
    wait instead of nats.errors.TimeoutError.
    """
    subscription = await bus.pull_subscription(
        stream=STREAM_METRICS, durable="storage-idle", subject=bus.subjects.metrics("*")
    )
    service = MetricIngest(
        store=store, subscription=subscription, batch_messages=10, fetch_timeout=0.000_001
    )
    yield service
    await service.close()


async def test_ingest_returns_empty_round_without_error_when_stream_idle(
    idle_ingest: MetricIngest, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="services.storage.ingest"):
        rounds = [await idle_ingest.ingest_once() for _ in range(20)]
    assert rounds == [IngestRound()] * 20
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
