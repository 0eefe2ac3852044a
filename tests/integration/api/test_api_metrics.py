"""GET /api/v1/metrics over a real NATS round-trip to a responder standing in for storage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from nats.aio.subscription import Subscription
from pydantic import BaseModel

from services.api.main import create_app
from shared.bus import Bus
from shared.errors import QueryError
from shared.events import MetricPoint, MetricQuery, MetricQueryResult
from shared.settings import NatsSettings, NetvigilSettings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Handler = Callable[[MetricQuery], Awaitable[BaseModel]]


def _points() -> list[MetricPoint]:
    """Three receive-rate points of eth0, 30 s apart."""
    return [
        MetricPoint(device="web1", metric="system.network.io", unit="By/s",
                    ts=T0 + timedelta(seconds=30 * i), value=value,
                    attributes={"interface": "eth0", "direction": "receive"})
        for i, value in enumerate((1250.0, 980.5, 0.0))
    ]


class Storage:
    """A responder on the storage query subject that records what it was asked."""

    def __init__(self) -> None:
        self.queries: list[MetricQuery] = []
        self.reply: Handler = self._points

    async def _points(self, query: MetricQuery) -> BaseModel:
        return MetricQueryResult(points=_points()[: query.limit], truncated=query.limit < 3)

    async def handle(self, query: MetricQuery) -> BaseModel:
        self.queries.append(query)
        return await self.reply(query)


@pytest.fixture
async def storage(bus: Bus) -> AsyncIterator[Storage]:
    """A real responder answering `rpc_storage("query")` in the storage queue group."""
    storage = Storage()
    sub: Subscription = await bus.serve(
        bus.subjects.rpc_storage("query"), queue="storage",
        request_model=MetricQuery, handler=storage.handle,
    )
    await bus.nc.flush()
    yield storage
    await sub.unsubscribe()


async def test_metrics_returns_storage_points_when_storage_answers(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/metrics", params={"device": "web1"})
    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "truncated": False,
        "points": [
            {"device": "web1", "metric": "system.network.io", "unit": "By/s",
             "ts": ts, "value": value,
             "attributes": {"interface": "eth0", "direction": "receive"}}
            for ts, value in (("2026-03-01T12:00:00Z", 1250.0),
                              ("2026-03-01T12:00:30Z", 980.5),
                              ("2026-03-01T12:01:00Z", 0.0))
        ],
    }


async def test_metrics_forwards_every_filter_when_all_given(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    params = httpx.QueryParams([
        ("device", "web1"), ("metric", "system.network.io"),
        ("from", "2026-03-01T13:00:00+01:00"), ("to", "2026-03-01T12:30:00Z"),
        ("limit", "2"), ("attr", "interface:eth0"), ("attr", "direction:receive"),
    ])
    body = (await client.get("/api/v1/metrics", params=params)).json()
    assert (body["count"], body["truncated"]) == (2, True)
    assert storage.queries == [MetricQuery(
        device="web1", metric="system.network.io", start=T0,
        end=datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
        attributes={"interface": "eth0", "direction": "receive"}, limit=2,
    )]


async def test_metrics_reads_unescaped_plus_offset_when_sent_raw(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    # A raw '+' in a query string decodes to a space; the API must still read +02:00.
    response = await client.get("/api/v1/metrics?from=2026-03-01T14:00:00+02:00")
    assert response.status_code == 200
    assert storage.queries[0].start == datetime(2026, 3, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    assert storage.queries[0].start == T0


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        # a naive timestamp: refused rather than guessed
        ({"from": "2026-03-01T12:00:00"}, "timezone"),
        ({"to": "yesterday"}, "datetime"),
        ({"limit": "0"}, "greater than or equal to 1"),
        ({"limit": "100001"}, "less than or equal to 100000"),
        # an attribute filter without a key:value form
        ({"attr": "eth0"}, "must look like <key>:<value>"),
        ({"attr": ":eth0"}, "must look like <key>:<value>"),
        # the same key with two values can never match
        ([("attr", "interface:eth0"), ("attr", "interface:eth1")], "filtered twice"),
    ],
)
async def test_metrics_answers_422_when_params_invalid(
    storage: Storage, client: httpx.AsyncClient, params: object, fragment: str
) -> None:
    response = await client.get("/api/v1/metrics", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert fragment in response.text
    assert storage.queries == []


async def test_metrics_answers_400_when_from_after_to(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    params = {"from": "2026-03-01T12:00:01Z", "to": "2026-03-01T12:00:00Z"}
    response = await client.get("/api/v1/metrics", params=params)
    assert response.status_code == 400
    assert response.json() == {"detail": (
        "'from' (2026-03-01T12:00:01+00:00) is after 'to' (2026-03-01T12:00:00+00:00); "
        "swap them or widen the window"
    )}
    assert storage.queries == []


async def test_metrics_answers_400_with_storage_message_when_storage_refuses(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    async def refuse(query: MetricQuery) -> BaseModel:
        raise QueryError(f"unknown metric {query.metric!r}")

    storage.reply = refuse
    response = await client.get("/api/v1/metrics", params={"metric": "no.such"})
    assert response.status_code == 400
    assert response.json() == {"detail": "unknown metric 'no.such'"}


async def test_metrics_answers_502_when_storage_fails(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    async def crash(query: MetricQuery) -> BaseModel:
        raise RuntimeError("disk I/O error")

    storage.reply = crash
    response = await client.get("/api/v1/metrics")
    assert response.status_code == 502
    assert response.json() == {
        "detail": "backend service failed (error 500): RuntimeError: disk I/O error"
    }


async def test_metrics_answers_502_when_storage_reply_malformed(
    storage: Storage, client: httpx.AsyncClient
) -> None:
    async def wrong_shape(query: MetricQuery) -> BaseModel:
        return query  # a MetricQuery is not a MetricQueryResult

    storage.reply = wrong_shape
    response = await client.get("/api/v1/metrics")
    assert response.status_code == 502
    assert "not a MetricQueryResult" in response.json()["detail"]


@pytest.fixture
async def impatient_client(
    settings: NetvigilSettings, nats_settings: NatsSettings, bus: Bus
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on its own bus connection whose requests give up after 0.3 s."""
    short = await Bus.connect(nats_settings.model_copy(update={"request_timeout": 0.3}), name="t")
    app: FastAPI = create_app(settings, short)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
                yield c
    finally:
        await short.close()


async def test_metrics_answers_503_when_no_storage_listens(
    impatient_client: httpx.AsyncClient,
) -> None:
    response = await impatient_client.get("/api/v1/metrics")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("storage did not answer within 0.3 s")


async def test_metrics_answers_503_when_storage_too_slow(
    storage: Storage, impatient_client: httpx.AsyncClient
) -> None:
    release = asyncio.Event()

    async def stall(query: MetricQuery) -> BaseModel:
        await asyncio.wait_for(release.wait(), 5)
        return MetricQueryResult(points=[], truncated=False)

    storage.reply = stall
    response = await impatient_client.get("/api/v1/metrics")
    release.set()
    assert response.status_code == 503
    assert response.json()["detail"].startswith("storage did not answer within 0.3 s")
    assert len(storage.queries) == 1  # the request did reach storage: a timeout, not no-responders
