"""Issue 2 acceptance: storage SIGKILLed while metrics flow loses and duplicates nothing.

The storage service runs as a real subprocess (`python -m services.storage`) against the
test's nats-server; the test publishes 300 batches of 20 samples, kills the service with
SIGKILL once it has stored some of them, restarts it, and reads the SQLite file itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.events import MetricBatch, MetricSample, StorageStats, StorageStatsQuery
from shared.settings import NatsSettings

pytestmark = pytest.mark.integration

BATCHES, SAMPLES = 300, 20
KILL_AFTER_EVENTS = 30
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch milliseconds
METRIC = "system.network.io"

Spawn = Callable[[dict[str, str], str], subprocess.Popen[bytes]]


def make_batch(i: int) -> MetricBatch:
    """Batch i: device dev{i%3} at T0+i s, sample k of interface eth{k} is worth 100*i+k."""
    return MetricBatch(
        device=f"dev{i % 3}",
        collected_at=T0 + timedelta(seconds=i),
        samples=[
            MetricSample(metric=METRIC, value=100.0 * i + k, attributes={"interface": f"eth{k}"})
            for k in range(SAMPLES)
        ],
    )


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start storage subprocesses; every one still running is killed at teardown."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        with open(tmp_path / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "services.storage"], env=env, cwd=tmp_path,
                stdout=log, stderr=subprocess.STDOUT,
            )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def service_env(nats_settings: NatsSettings, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(
        NETVIGIL_NATS__URL=nats_settings.url,
        NETVIGIL_NATS__EMBEDDED="false",
        NETVIGIL_DATA_DIR=str(tmp_path / "data"),
        NETVIGIL_STORAGE__SQLITE_PATH=str(tmp_path / "data" / "metrics.db"),
        NETVIGIL_STORAGE__DURABLE_NAME="storage-crash-test",
        NETVIGIL_STORAGE__BATCH_MESSAGES="10",
        # Messages the killed process held come back after 1 s instead of 30.
        NETVIGIL_STORAGE__ACK_WAIT_S="1",
        # The batches are dated 2026-01-01: keep raw samples so retention leaves them alone.
        NETVIGIL_STORAGE__RAW_RETENTION_H="1000000",
    )
    return env


def stored_events(db_path: Path) -> int:
    """Distinct event ids in the store, read with plain sqlite3 (0 before it exists)."""
    if not db_path.exists():
        return 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(DISTINCT event_id) FROM ingested_events").fetchone()[0])
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        db.close()


async def wait_until(check: Callable[[], bool], what: str, logs: Path, timeout: float) -> None:
    """Poll `check` every 20 ms for at most `timeout` seconds."""
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    tails = {p.name: p.read_text()[-2000:] for p in sorted(logs.glob("*.log"))}
    raise AssertionError(f"timed out waiting until {what}; service logs: {tails}")


async def wait_ready(bus: Bus) -> None:
    """Wait until the service answers stats requests (bounded)."""
    for _ in range(100):
        try:
            await bus.request(bus.subjects.rpc_storage("stats"), StorageStatsQuery(), StorageStats)
            return
        except Exception:  # noqa: BLE001 - not up yet
            await asyncio.sleep(0.05)
    raise AssertionError("storage subprocess never answered a stats request")


async def publish_all(bus: Bus, batches: list[MetricBatch], killed: asyncio.Event) -> None:
    """Publish every batch; the second half only once the kill happened, so flow spans it."""
    for i, batch in enumerate(batches):
        if i == len(batches) // 2:
            await asyncio.wait_for(killed.wait(), 20)
        await bus.publish(bus.subjects.metrics(batch.device), batch)


StoredValue = tuple[str, str, int, float]


def read_store(db_path: Path) -> tuple[list[str], dict[tuple[str, int], int], set[StoredValue]]:
    """Event ids, sample rows per (device, ts), and every (device, interface, ts, value)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        events = [r[0] for r in db.execute("SELECT event_id FROM ingested_events")]
        rows = db.execute(
            "SELECT se.device, se.attributes, sa.ts, sa.value"
            " FROM samples sa JOIN series se ON se.id = sa.series_id"
        ).fetchall()
    finally:
        db.close()
    per_event: dict[tuple[str, int], int] = {}
    for device, _, ts, _ in rows:
        per_event[(device, ts)] = per_event.get((device, ts), 0) + 1
    values = {(d, json.loads(a)["interface"], ts, v) for d, a, ts, v in rows}
    assert len(rows) == sum(per_event.values())
    return events, per_event, values


async def test_storage_stores_every_sample_once_when_killed_mid_ingest(
    bus: Bus, nats_settings: NatsSettings, tmp_path: Path, spawn: Spawn
) -> None:
    db_path = tmp_path / "data" / "metrics.db"
    env = service_env(nats_settings, tmp_path)
    batches = [make_batch(i) for i in range(BATCHES)]

    first = spawn(env, "storage-1")
    await wait_ready(bus)
    killed = asyncio.Event()
    publisher = asyncio.create_task(publish_all(bus, batches, killed))
    try:
        await wait_until(
            lambda: stored_events(db_path) >= KILL_AFTER_EVENTS, "some batches are stored",
            tmp_path, timeout=15,
        )
        first.send_signal(signal.SIGKILL)
        assert first.wait(5) == -signal.SIGKILL
        assert stored_events(db_path) < BATCHES
        killed.set()
        second = spawn(env, "storage-2")
        await asyncio.wait_for(publisher, 20)
    finally:
        publisher.cancel()
    await wait_until(
        lambda: stored_events(db_path) == BATCHES, "every batch is stored", tmp_path, timeout=20
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(10) == 0  # a clean stop after the crash recovery

    events, per_event, values = read_store(db_path)
    assert sorted(events) == sorted(str(b.event_id) for b in batches)
    assert per_event == {(f"dev{i % 3}", T0_MS + 1000 * i): SAMPLES for i in range(BATCHES)}
    assert values == {
        (f"dev{i % 3}", f"eth{k}", T0_MS + 1000 * i, 100.0 * i + k)
        for i in range(BATCHES)
        for k in range(SAMPLES)
    }
