"""A generated fleet of metric batches and an independent model of what a store must answer.

The model is plain Python over the generated batches (filter, then sort by time and by
the order series were first written); it shares no code with any backend.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from shared.events import MetricBatch, MetricQueryResult, MetricSample

# 20:00 UTC, so ten hours of polls cross midnight into a second day.
T0 = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
CPU, IO, TEMP, UPTIME = (
    "system.cpu.utilization",
    "system.network.io",
    "hw.temperature",
    "system.uptime",
)
DEVICES = ("r1", "r2", "sw-3")
POLL = timedelta(minutes=15)
POLLS = 40

Row = tuple[str, str, datetime, float, dict[str, str]]


def at(seconds: float) -> datetime:
    """T0 plus `seconds`."""
    return T0 + timedelta(seconds=seconds)


def batch(device: str, when: datetime, *samples: tuple[str, float, dict[str, str]]) -> MetricBatch:
    """A batch of (metric, value, attributes) samples."""
    return MetricBatch(
        device=device,
        collected_at=when,
        samples=[MetricSample(metric=m, value=v, attributes=a) for m, v, a in samples],
    )


def generate_fleet(seed: int = 5) -> list[MetricBatch]:
    """Polls of three devices every 15 minutes for 10 hours, devices in shuffled order."""
    rng = random.Random(seed)
    batches = []
    for poll in range(POLLS):
        order = list(DEVICES)
        rng.shuffle(order)
        for device in order:
            samples: list[tuple[str, float, dict[str, str]]] = [(CPU, rng.random(), {})]
            for interface in ("eth0", "eth1"):
                for direction in ("receive", "transmit"):
                    value = round(rng.uniform(0, 1e6), 3)
                    samples.append((IO, value, {"interface": interface, "direction": direction}))
            if device != "r2":
                samples.append((TEMP, rng.uniform(20, 80), {"sensor": "cpu"}))
            if rng.random() < 0.2:
                samples.append((UPTIME, rng.choice([math.nan, math.inf, -math.inf]), {}))
            batches.append(batch(device, T0 + poll * POLL, *samples))
    return batches


def model_rows(
    batches: Sequence[MetricBatch],
    *,
    device: str | None = None,
    metric: str | None = None,
    attributes: Mapping[str, str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Row]:
    """What a query must return: finite samples that match, by time then first-written series."""
    first_seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], int] = {}
    kept: dict[tuple[object, ...], tuple[int, Row]] = {}
    for b in batches:
        for s in b.samples:
            series = (b.device, s.metric, tuple(sorted(s.attributes.items())))
            if not math.isfinite(s.value):
                continue
            rank = first_seen.setdefault(series, len(first_seen))
            row: Row = (b.device, s.metric, b.collected_at, s.value, dict(s.attributes))
            kept.setdefault((*series, b.collected_at), (rank, row))  # the first value wins
    wanted = [
        (row[2], rank, row)
        for rank, row in kept.values()
        if (device is None or row[0] == device)
        and (metric is None or row[1] == metric)
        and all(row[4].get(k) == v for k, v in (attributes or {}).items())
        and (start is None or row[2] >= start)
        and (end is None or row[2] < end)
    ]
    return [row for _, _, row in sorted(wanted, key=lambda item: (item[0], item[1]))]


def result_rows(result: MetricQueryResult) -> list[Row]:
    """The points of a result as rows comparable with `model_rows`."""
    return [(p.device, p.metric, p.ts, p.value, p.attributes) for p in result.points]
