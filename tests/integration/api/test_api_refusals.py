"""Bad requests get a 422 (or 400) that names what the caller typed, never a 500.

The storage service behind the bus is the real one over SQLite; a request that is
refused before it reaches storage is told apart by its 422.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.storage.rpc import serve_storage
from services.storage.sqlite import SqliteStore
from shared.bus import Bus

pytestmark = pytest.mark.integration

METRICS, AGGREGATE, QUERY = "/api/v1/metrics", "/api/v1/metrics/aggregate", "/api/v1/metrics/query"


@pytest.fixture
async def storage(bus: Bus, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """The real storage query endpoint over an empty SQLite store."""
    store = await SqliteStore.open(tmp_path / "refusals.db")
    subs = await serve_storage(bus, store)
    await bus.nc.flush()
    yield store
    for sub in subs:
        await sub.unsubscribe()
    await store.close()


def strict_json(response: httpx.Response) -> Any:
    """The body as JSON, refusing NaN and Infinity, which no JSON parser elsewhere accepts."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"body carries {constant}: {response.text}")

    return json.loads(response.text, parse_constant=refuse)


def locations(response: httpx.Response) -> list[list[Any]]:
    """The `loc` of every error of a 422 answer."""
    assert response.status_code == 422, response.text
    return [error["loc"] for error in strict_json(response)["detail"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ('{"limit": 1e400}', ["body", "limit"]),
        ('{"limit": NaN}', ["body", "limit"]),
        ('{"limit": Infinity}', ["body", "limit"]),
        ('{"limit": -Infinity}', ["body", "limit"]),
        ('{"start": 1e400}', ["body", "start"]),
        ('{"aggregate": {"functions": ["avg"], "bucket_s": 1e400}}',
         ["body", "aggregate", "bucket_s"]),
    ],
)
async def test_query_answers_422_when_number_not_finite(
    client: httpx.AsyncClient, body: str, loc: list[str]
) -> None:
    response = await client.post(QUERY, content=body, headers={"content-type": "application/json"})
    assert loc in locations(response)


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"fn": "avg", "bucket": "100000000d"}, ["query", "bucket"]),
        ({"fn": "avg", "device": [f"d{i}" for i in range(1001)]}, ["query", "device"]),
    ],
)
async def test_aggregate_answers_422_naming_param_when_query_model_refuses(
    client: httpx.AsyncClient, params: dict[str, Any], loc: list[str]
) -> None:
    assert loc in locations(await client.get(AGGREGATE, params=params))


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        (METRICS, {"devcie": "x"}, "devcie"),
        (AGGREGATE, {"fn": "avg", "devcie": "x"}, "devcie"),
        ("/api/v1/devices", {"stat": "up"}, "stat"),
        ("/api/v1/storage/stats", {"verbose": "1"}, "verbose"),
    ],
)
async def test_routes_answer_422_naming_param_when_param_unknown(
    client: httpx.AsyncClient, path: str, params: dict[str, str], unknown: str
) -> None:
    response = await client.get(path, params=params)
    assert ["query", unknown] in locations(response)
    assert unknown in response.text


async def test_devices_answers_200_when_every_param_known(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices", params={"state": "up"})
    assert response.status_code == 200, response.text


async def test_aggregate_answers_422_when_group_by_empty(client: httpx.AsyncClient) -> None:
    response = await client.get(AGGREGATE, params={"fn": "avg", "group_by": ""})
    assert ["query", "group_by", 0] in locations(response)


@pytest.mark.parametrize("value", ["1700000000", "1700000000.5", "-5"])
async def test_metrics_answers_422_when_from_is_epoch_number(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get(METRICS, params={"from": value})
    assert ["query", "from"] in locations(response)
    assert "ISO 8601" in response.text


async def test_metrics_answers_400_naming_from_to_when_window_empty(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    at = "2026-01-01T00:00:00Z"
    response = await client.get(METRICS, params={"from": at, "to": at})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "'from'" in detail and "'to'" in detail and "start" not in detail


async def test_aggregate_answers_400_naming_from_to_when_range_too_long(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    params = {"fn": "avg", "from": "2000-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    response = await client.get(AGGREGATE, params=params)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "'from'/'to'" in detail and "start" not in detail


async def test_aggregate_answers_400_naming_bucket_when_not_multiple_of_rollup(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    params = {"fn": "avg", "bucket": "90s", "resolution": "1m"}
    response = await client.get(AGGREGATE, params=params)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "bucket" in detail and "bucket_s" not in detail


async def test_openapi_declares_bucket_as_duration_string(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    params = spec["paths"][AGGREGATE]["get"]["parameters"]
    (bucket,) = [p for p in params if p["name"] == "bucket"]
    schema = bucket["schema"]
    variants = schema.get("anyOf", [schema])
    (duration,) = [v for v in variants if v.get("type") != "null"]
    assert duration["type"] == "string"
    assert duration["pattern"] == "^[0-9]{1,9}[smhd]?$"
