"""The bus wrapper against a real nats-server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from shared.bus import Bus
from shared.errors import RpcError, RpcTimeout
from shared.events import MetricBatch, MetricQuery, MetricQueryResult, MetricSample
from shared.subjects import STREAM_METRICS

pytestmark = pytest.mark.integration


def _batch() -> MetricBatch:
    return MetricBatch(
        device="r1",
        collected_at=datetime(2026, 1, 1, tzinfo=UTC),
        samples=[MetricSample(metric="system.uptime", value=5.0)],
    )


async def test_publish_drops_duplicate_event_ids(bus: Bus) -> None:
    batch = _batch()
    await bus.publish(bus.subjects.metrics("r1"), batch)
    await bus.publish(bus.subjects.metrics("r1"), batch)
    info = await bus.js.stream_info(STREAM_METRICS)
    assert info.state.messages == 1


async def test_request_without_responder_raises_rpc_timeout(bus: Bus) -> None:
    with pytest.raises(RpcTimeout, match="no answer on"):
        await bus.request(bus.subjects.rpc_storage("query"), MetricQuery(), MetricQueryResult)


async def test_serve_answers_bad_request_with_error_code(bus: Bus) -> None:
    async def handler(query: MetricQuery) -> MetricQueryResult:
        return MetricQueryResult(points=[], truncated=False)

    subject = bus.subjects.rpc_storage("query")
    await bus.serve(subject, queue="q", request_model=MetricQuery, handler=handler)
    ok = await bus.request(subject, MetricQuery(limit=5), MetricQueryResult)
    assert ok.points == []
    bad = MetricQuery.model_construct(limit=0)  # bypass validation to send a bad body
    with pytest.raises(RpcError) as info:
        await asyncio.wait_for(bus.request(subject, bad, MetricQueryResult), 5)
    assert info.value.code == 400
    assert "limit" in info.value.message
