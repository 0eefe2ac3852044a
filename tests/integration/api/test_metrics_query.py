"""Every query feature through HTTP, with the real storage service (SQLite) behind the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from services.storage.ingest import MetricIngest
from services.storage.rpc import serve_storage
from services.storage.sqlite import SqliteStore
from shared.bus import Bus
from shared.settings import StorageSettings
from tests.integration.storage.generated import CPU, IO, Fleet

pytestmark = pytest.mark.integration

FLEET = Fleet(duration_s=1200)


@pytest.fixture
async def storage(bus: Bus, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """The storage RPC endpoints over a SQLite store holding twenty minutes of the fleet."""
    store = await SqliteStore.open(tmp_path / "api.db")
    await store.write_batches(FLEET.batches)
    await bus.ensure_streams()
    ingest = await MetricIngest.subscribe(
        bus=bus, store=store, settings=StorageSettings(durable_name="api-test")
    )
    subs = await serve_storage(bus, store, lag=ingest.lag)
    await bus.nc.flush()
    yield store
    for sub in subs:
        await sub.unsubscribe()
    await ingest.close()
    await store.close()


async def test_metrics_aggregate_returns_top_interfaces_when_sorted(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        "/api/v1/metrics/aggregate",
        params={
            "metric": IO,
            "fn": ["avg", "p99"],
            "group_by": ["device", "interface"],
            "sort_by": "avg",
            "limit": 2,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    means = {}
    for r in FLEET.select(metric=IO):
        means.setdefault((r.device, r.interface), []).append(r.value)
    top = sorted(means, key=lambda k: -float(np.mean(means[k])))[:2]
    assert [(row["group"]["device"], row["group"]["interface"]) for row in body["rows"]] == top
    assert body["rows"][0]["values"]["p99"] == pytest.approx(np.percentile(means[top[0]], 99))
    assert (body["count"], body["truncated"], body["resolution"]) == (2, True, "raw")


async def test_metrics_aggregate_buckets_when_bucket_given(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        "/api/v1/metrics/aggregate",
        params={
            "metric": CPU,
            "device": "r1",
            "fn": "count",
            "bucket": "5m",
            "resolution": "raw",
        },
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [row["values"]["count"] for row in rows] == [30.0] * 4
    assert rows[1]["bucket"] == "2026-03-01T00:05:00Z"


async def test_metrics_pages_with_cursor_when_limit_cuts(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    params: dict[str, object] = {
        "device": ["r1", "sw1"],
        "attr_glob": "interface:Gi*",
        "limit": 100,
    }
    seen: list[tuple[str, str, str]] = []
    for _ in range(50):
        body = (await client.get("/api/v1/metrics", params=params)).json()
        seen += [(p["device"], p["attributes"]["interface"], p["ts"]) for p in body["points"]]
        if "next_cursor" not in body:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 2 * 2 * 120  # two devices, two Gi ports, 120 polls


async def test_metrics_latest_returns_one_point_per_series(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    body = (
        await client.get(
            "/api/v1/metrics",
            params={"latest": "true", "metric": CPU, "attr_regex": "interface:.*"},
        )
    ).json()
    assert body["points"] == []  # cpu series have no interface attribute
    body = (await client.get("/api/v1/metrics", params={"latest": "true", "metric": CPU})).json()
    assert sorted(p["device"] for p in body["points"]) == ["r1", "r2", "sw1"]
    assert {p["ts"] for p in body["points"]} == {"2026-03-01T00:19:50Z"}


@pytest.mark.parametrize(
    ("path", "params", "status", "detail"),
    [
        (
            "/api/v1/metrics",
            {"attr_regex": "interface:eth(["},
            400,
            "attribute_filters[0] (interface): invalid regular expression",
        ),
        ("/api/v1/metrics", {"cursor": "garbage"}, 400, "cursor is malformed"),
        ("/api/v1/metrics", {"attr_glob": "nocolon"}, 422, "must look like <key>:<value>"),
        ("/api/v1/metrics/aggregate", {"fn": "median"}, 422, "Input should be"),
        (
            "/api/v1/metrics/aggregate",
            {"fn": "avg", "bucket": "7 parsecs"},
            422,
            "must be a positive duration",
        ),
        (
            "/api/v1/metrics/aggregate",
            {"fn": "avg", "bucket": "90s", "resolution": "1m"},
            400,
            "not a multiple of the 1m rollup step",
        ),
        ("/api/v1/metrics/aggregate", {"fn": "min", "sort_by": "max"}, 400, "must be one of"),
        ("/api/v1/metrics", {"limit": "1000001"}, 422, "less than or equal to 100000"),
    ],
)
async def test_metrics_answers_precise_4xx_when_query_is_bad(
    storage: SqliteStore,
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
    status: int,
    detail: str,
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == status, response.text
    assert detail in response.text


async def test_post_query_runs_full_model_when_valid_json(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/api/v1/metrics/query",
        json={
            "devices": ["r2"],
            "metric": CPU,
            "aggregate": {"functions": ["max", "min"], "group_by": ["device"], "resolution": "raw"},
        },
    )
    assert response.status_code == 200, response.text
    values = [r.value for r in FLEET.select(device="r2", metric=CPU)]
    assert response.json()["rows"][0]["values"] == {"max": max(values), "min": min(values)}


async def test_storage_stats_reports_counts_and_lag(
    storage: SqliteStore, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/storage/stats")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["series"], body["samples"]) == (15, len(FLEET.samples))
    assert body["oldest"] == "2026-03-01T00:00:00Z"
    assert body["disk_bytes"] > 0
    assert body["ingest"]["pending"] == 0 and body["ingest"]["ack_pending"] == 0
