"""What only the file backend promises: its layout, crash recovery, the directory lock."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from services.storage.filestore import FileStore
from services.storage.store import RetentionPolicy
from shared.errors import StorageError
from shared.events import MetricQuery
from tests.contract.storage.fleet import CPU, IO, T0, at, batch

pytestmark = pytest.mark.integration

RX = {"interface": "eth0", "direction": "receive"}


async def test_file_store_writes_one_line_per_batch_when_stored(tmp_path: Path) -> None:
    store = await FileStore.open(tmp_path)
    first = batch("r1", at(0), (CPU, 0.25, {}), (IO, 100.0, RX))
    try:
        await store.write_batches([first, batch("r1", at(86_400), (CPU, 0.5, {}))])
    finally:
        await store.close()
    lines = (tmp_path / "2026-01-01" / "segment-000001.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"event": str(first.event_id), "device": "r1", "ts": 1_767_297_600_000,
         "samples": [[1, 0.25], [2, 100.0]]}
    ]  # fmt: skip
    catalog = (tmp_path / "series.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in catalog] == [
        [1, "r1", CPU, "{}"],
        [2, "r1", IO, '{"direction":"receive","interface":"eth0"}'],
    ]
    assert (tmp_path / "2026-01-02" / "segment-000001.jsonl").is_file()


async def test_file_store_truncates_torn_last_line_when_reopened(tmp_path: Path) -> None:
    store = await FileStore.open(tmp_path)
    await store.write_batches([batch("r1", at(0), (CPU, 0.25, {}))])
    await store.close()
    segment = tmp_path / "2026-01-01" / "segment-000001.jsonl"
    whole = segment.read_bytes()
    segment.write_bytes(whole + b'{"event":"6f1c","device":"r1","ts":17672256')  # a crash mid-write
    store = await FileStore.open(tmp_path)
    try:
        assert segment.read_bytes() == whole
        assert [p.value for p in (await store.query(MetricQuery())).points] == [0.25]
        assert await store.write_batches([batch("r1", at(1), (CPU, 0.5, {}))]) == 1
    finally:
        await store.close()
    assert len(segment.read_bytes().splitlines()) == 2


async def test_file_store_skips_damaged_line_when_whole_lines_follow(tmp_path: Path) -> None:
    store = await FileStore.open(tmp_path)
    await store.write_batches([batch("r1", at(0), (CPU, 0.25, {}))])
    await store.close()
    segment = tmp_path / "2026-01-01" / "segment-000001.jsonl"
    good = segment.read_bytes()
    segment.write_bytes(b"\x00\x00garbage\n" + good)
    store = await FileStore.open(tmp_path)
    try:
        assert [p.value for p in (await store.query(MetricQuery())).points] == [0.25]
    finally:
        await store.close()


async def test_file_store_refuses_second_opener_when_directory_locked(tmp_path: Path) -> None:
    store = await FileStore.open(tmp_path)
    try:
        with pytest.raises(StorageError, match="already open"):
            await FileStore.open(tmp_path)
    finally:
        await store.close()
    reopened = await FileStore.open(tmp_path)
    await reopened.close()


async def test_file_store_starts_new_segment_when_segment_full(tmp_path: Path) -> None:
    store = await FileStore.open(tmp_path, segment_bytes=200)
    try:
        for second in range(6):
            await store.write_batches([batch("r1", at(second), (CPU, second / 10, {}))])
        values = [p.value for p in (await store.query(MetricQuery())).points]
    finally:
        await store.close()
    assert values == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    segments = sorted(p.name for p in (tmp_path / "2026-01-01").iterdir())
    assert segments[:2] == ["segment-000001.jsonl", "segment-000002.jsonl"]


async def test_file_store_deletes_whole_day_directories_when_retention_passes(
    tmp_path: Path,
) -> None:
    store = await FileStore.open(tmp_path, policy=RetentionPolicy(raw=timedelta(days=1)))
    try:
        for day in range(3):
            await store.write_batches([batch("r1", at(day * 86_400), (CPU, day, {}))])
        await store.maintain(now=T0 + timedelta(days=3, hours=1))
        days = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("2026"))
        rollups = sorted(p.name for p in (tmp_path / "rollups" / "1m").iterdir())
    finally:
        await store.close()
    assert days == ["2026-01-03"]  # the days ending by now - 1 day are gone, whole
    assert rollups == ["2026-01-01.jsonl", "2026-01-02.jsonl", "2026-01-03.jsonl"]


WRITER = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID
from services.storage.filestore import FileStore
from shared.events import MetricBatch, MetricSample

async def main() -> None:
    store = await FileStore.open(Path(sys.argv[1]))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(100_000):
        samples = [MetricSample(metric="m", value=n, attributes={"i": str(i)}) for i in range(20)]
        when = t0 + timedelta(seconds=n)
        b = MetricBatch(event_id=UUID(int=n + 1), device="d", collected_at=when, samples=samples)
        await store.write_batches([b])
        print(n, flush=True)

asyncio.run(main())
"""


async def test_file_store_keeps_every_committed_batch_whole_when_killed_mid_write(
    tmp_path: Path,
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "store")],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert child.stdout is not None
        committed = -1
        while committed < 150:  # bounded by the child's 100,000 writes
            line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 10)
            assert line, "writer exited early"
            committed = int(line)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    store = await FileStore.open(tmp_path / "store")
    try:
        points = (await store.query(MetricQuery(limit=100_000))).points
        stats = await store.stats()
    finally:
        await store.close()
    batches = sorted({int(p.value) for p in points})
    # Every batch reported committed is there; at most the one in flight more; each whole.
    assert batches == list(range(len(batches))) and len(batches) >= committed + 1
    assert len(points) == 20 * len(batches) == stats.samples
    assert stats.events == len(batches)
