"""MetricIngest against a real nats-server and a real SQLite file."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.storage.ingest import IngestRound, MetricIngest
from services.storage.sqlite import SqliteStore
from shared.bus import Bus
from shared.events import MetricBatch, MetricQuery, MetricSample
from shared.subjects import STREAM_METRICS

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DURABLE = "storage-test"


def uptime_batch(device: str, seconds: int) -> MetricBatch:
    """A one-sample batch whose value equals its offset from T0, easy to check."""
    return MetricBatch(
        device=device,
        collected_at=T0 + timedelta(seconds=seconds),
        samples=[MetricSample(metric="system.uptime", value=float(seconds))],
    )


@pytest.fixture
async def ingest(bus: Bus, store: SqliteStore) -> AsyncIterator[MetricIngest]:
    subscription = await bus.pull_subscription(
        stream=STREAM_METRICS, durable=DURABLE, subject=bus.subjects.metrics("*")
    )
    service = MetricIngest(
        store=store, subscription=subscription, batch_messages=50, fetch_timeout=0.3
    )
    yield service
    await service.close()


async def stored_uptimes(store: SqliteStore) -> list[tuple[str, float]]:
    result = await store.query(MetricQuery(metric="system.uptime"))
    return [(p.device, p.value) for p in result.points]


async def pending(bus: Bus) -> tuple[int, int]:
    """(messages not yet delivered, messages delivered but not acked) of the consumer."""
    info = await bus.js.consumer_info(STREAM_METRICS, DURABLE)
    return info.num_pending, info.num_ack_pending


async def test_ingest_stores_and_acks_batches_when_published(
    bus: Bus, store: SqliteStore, ingest: MetricIngest
) -> None:
    for seconds in (1, 2, 3):
        await bus.publish(bus.subjects.metrics("r1"), uptime_batch("r1", seconds))
    assert await ingest.ingest_once() == IngestRound(acked=3, terminated=0, samples=3)
    assert await stored_uptimes(store) == [("r1", 1.0), ("r1", 2.0), ("r1", 3.0)]
    await bus.nc.flush()
    assert await pending(bus) == (0, 0)


async def test_ingest_terminates_poison_and_stores_later_batches_when_invalid_message(
    bus: Bus, store: SqliteStore, ingest: MetricIngest, caplog: pytest.LogCaptureFixture
) -> None:
    subject = bus.subjects.metrics("r9")
    await bus.publish(subject, uptime_batch("r9", 1))
    await bus.js.publish(subject, b"not json at all")
    await bus.js.publish(subject, b'{"device": "r9", "samples": []}')
    await bus.publish(subject, uptime_batch("r9", 2))
    with caplog.at_level(logging.ERROR, logger="services.storage.ingest"):
        assert await ingest.ingest_once() == IngestRound(acked=2, terminated=2, samples=2)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all(subject in message for message in errors)
    assert "collected_at: Field required" in errors[1]
    # Terminated messages are never redelivered: nothing is left to fetch.
    await bus.nc.flush()
    assert await pending(bus) == (0, 0)
    assert await ingest.ingest_once() == IngestRound()
    await bus.publish(subject, uptime_batch("r9", 3))
    assert await ingest.ingest_once() == IngestRound(acked=1, terminated=0, samples=1)
    assert await stored_uptimes(store) == [("r9", 1.0), ("r9", 2.0), ("r9", 3.0)]


async def test_ingest_stores_once_when_batch_committed_before_crash(
    bus: Bus, store: SqliteStore, ingest: MetricIngest
) -> None:
    # A crash after commit but before the ack: the batch is in the store and comes again.
    committed = uptime_batch("r1", 7)
    assert await store.write_batches([committed]) == 1
    await bus.publish(bus.subjects.metrics("r1"), committed)
    assert await ingest.ingest_once() == IngestRound(acked=1, terminated=0, samples=0)
    assert await stored_uptimes(store) == [("r1", 7.0)]


async def test_ingest_stores_once_when_publisher_bypasses_stream_dedup(
    bus: Bus, store: SqliteStore, ingest: MetricIngest
) -> None:
    # Without Nats-Msg-Id the stream keeps both copies; the event id still dedups.
    data = uptime_batch("r2", 5).model_dump_json().encode()
    await bus.js.publish(bus.subjects.metrics("r2"), data)
    await bus.js.publish(bus.subjects.metrics("r2"), data)
    assert await ingest.ingest_once() == IngestRound(acked=2, terminated=0, samples=1)
    assert await stored_uptimes(store) == [("r2", 5.0)]
