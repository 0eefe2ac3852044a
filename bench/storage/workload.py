"""The benchmark fleet (devices polled every 10 s, a message per poll) and the naive reference."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from shared.events import MetricBatch, MetricSample

METRIC = "system.network.io"
STEP_S = 10


@dataclass(frozen=True, kw_only=True)
class Fleet:
    """`devices` x `interfaces` x 2 directions, polled every 10 s, ending at `end`."""

    devices: int
    interfaces: int
    samples: int
    end: datetime

    @property
    def per_poll(self) -> int:
        return self.interfaces * 2

    @property
    def series(self) -> int:
        return self.devices * self.per_poll

    @property
    def polls(self) -> int:
        """Poll rounds (one message per device each) needed for `samples`."""
        return max(1, self.samples // self.series)

    @property
    def start(self) -> datetime:
        return self.end - timedelta(seconds=STEP_S * self.polls)

    def attributes(self, i: int) -> dict[str, str]:
        return {"interface": f"eth{i // 2}", "direction": ("receive", "transmit")[i % 2]}

    def value(self, poll: int, device: int, i: int) -> float:
        # Deterministic, varied, cheap: a sawtooth per series.
        return float((poll * 7 + device * 13 + i * 31) % 1000) * 1.5

    def batches(self, first_poll: int, last_poll: int) -> Iterator[MetricBatch]:
        """The messages of polls [first_poll, last_poll), in time order."""
        attrs = [self.attributes(i) for i in range(self.per_poll)]
        for poll in range(first_poll, min(last_poll, self.polls)):
            at = self.start + timedelta(seconds=STEP_S * poll)
            for d in range(self.devices):
                yield MetricBatch(
                    device=f"dev{d:03d}",
                    collected_at=at,
                    samples=[
                        MetricSample(
                            metric=METRIC, value=self.value(poll, d, i), attributes=attrs[i]
                        )
                        for i in range(self.per_poll)
                    ],
                )


@dataclass(frozen=True, kw_only=True)
class NaiveResult:
    """Rows/s of the naive reference overall and over its last million rows."""

    rows: int
    seconds: float
    last_million_rate: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


async def naive_reference(fleet: Fleet, path: Path, *, rows: int, deadline_s: float) -> NaiveResult:
    """executemany of (ts, device, metric, value) into a table indexed on (device, metric, ts)."""
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("CREATE TABLE naive (ts REAL, device TEXT, metric TEXT, value REAL)")
        await db.execute("CREATE INDEX naive_idx ON naive (device, metric, ts)")
        names = [
            f"{METRIC}:{a['interface']}:{a['direction']}"
            for a in (fleet.attributes(i) for i in range(fleet.per_poll))
        ]
        started = time.perf_counter()
        done, mark, mark_at, buffer = 0, 0, started, []
        for poll in range(fleet.polls):
            ts = (fleet.start + timedelta(seconds=STEP_S * poll)).timestamp()
            for d in range(fleet.devices):
                buffer += [
                    (ts, f"dev{d:03d}", names[i], fleet.value(poll, d, i))
                    for i in range(fleet.per_poll)
                ]
            while len(buffer) >= 1000:
                await db.execute("BEGIN")
                await db.executemany("INSERT INTO naive VALUES (?, ?, ?, ?)", buffer[:1000])
                await db.commit()
                del buffer[:1000]
                done += 1000
            if done - mark >= 1_000_000 and done < rows:
                mark, mark_at = done, time.perf_counter()
            if done >= rows or time.perf_counter() - started > deadline_s:
                break
        elapsed = time.perf_counter() - started
        tail_rows, tail_s = done - mark, time.perf_counter() - mark_at
        return NaiveResult(rows=done, seconds=elapsed, last_million_rate=tail_rows / tail_s)
    finally:
        await db.close()


def now_floor() -> datetime:
    """Now, floored to the poll step, so every run's fleet ends on a step boundary."""
    now = datetime.now(UTC)
    return now - timedelta(seconds=now.timestamp() % STEP_S)
