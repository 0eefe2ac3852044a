"""Measurements: real-path ingest (JetStream -> decode -> write -> ack), queries, memory."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import timedelta

from bench.storage.workload import METRIC, Fleet
from services.storage.ingest import MetricIngest
from services.storage.store import MetricStore
from shared.bus import Bus
from shared.events import AggregateSpec, Aggregation, MetricQuery, Resolution
from shared.settings import StorageSettings

PUBLISH_WINDOW = 500


def rss_mib() -> float:
    """Resident memory of this process in MiB (from /proc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class IngestResult:
    """Samples stored by the real path and the time spent ingesting (publishing excluded)."""

    samples: int = 0
    seconds: float = 0.0
    rss_before: float = 0.0
    rss_peaks: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.samples / self.seconds if self.seconds else 0.0


async def publish(bus: Bus, fleet: Fleet, first_poll: int, last_poll: int) -> int:
    """Publish the polls' messages with at most PUBLISH_WINDOW acks in flight; return samples."""
    pending: list[asyncio.Future[None]] = []
    samples = 0
    for batch in fleet.batches(first_poll, last_poll):
        pending.append(
            asyncio.ensure_future(bus.publish(bus.subjects.metrics(batch.device), batch))
        )
        samples += len(batch.samples)
        if len(pending) >= PUBLISH_WINDOW:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    return samples


async def real_path_ingest(
    bus: Bus,
    store: MetricStore,
    fleet: Fleet,
    *,
    batch_messages: int,
    phase_polls: int,
    deadline_s: float,
    durable: str,
) -> IngestResult:
    """Publish a phase of polls, then time the ingest of exactly that backlog; repeat."""
    settings = StorageSettings(batch_messages=batch_messages, durable_name=durable)
    ingest = await MetricIngest.subscribe(bus=bus, store=store, settings=settings)
    result = IngestResult(rss_before=rss_mib())
    started = time.perf_counter()
    try:
        for first in range(0, fleet.polls, phase_polls):
            expected = await publish(bus, fleet, first, first + phase_polls)
            result.samples += await _drain(ingest, expected, result)
            if time.perf_counter() - started > deadline_s:
                break
    finally:
        await ingest.close()
    return result


async def _drain(ingest: MetricIngest, expected: int, result: IngestResult) -> int:
    stored, peak, t0 = 0, 0.0, time.perf_counter()
    for _ in range(1_000_000):
        done = await ingest.ingest_once()
        stored += done.samples
        peak = max(peak, rss_mib())
        if stored >= expected or (done.acked == 0 and done.terminated == 0):
            break
    result.seconds += time.perf_counter() - t0
    result.rss_peaks.append(peak)
    return stored


@dataclass(frozen=True)
class Latency:
    """Query latency percentiles in milliseconds, and what answered."""

    p50: float
    p99: float
    runs: int
    resolution: str
    rows: int


async def query_latency(
    store: MetricStore,
    fleet: Fleet,
    *,
    hours: float,
    bucket_s: int | None,
    resolution: Resolution,
    runs: int,
    deadline_s: float,
    seed: int = 5,
) -> Latency:
    """p50/p99 of one-series aggregates over `hours`, at random series and end times."""
    rng = random.Random(seed)
    span = timedelta(hours=hours)
    latest_start = max(0.0, (fleet.end - fleet.start - span).total_seconds())
    times: list[float] = []
    rows, answered = 0, ""
    started = time.perf_counter()
    for _ in range(runs):
        start = fleet.start + timedelta(seconds=rng.uniform(0, latest_start))
        query = MetricQuery(
            device=f"dev{rng.randrange(fleet.devices):03d}",
            metric=METRIC,
            attributes=fleet.attributes(rng.randrange(fleet.per_poll)),
            start=start,
            end=start + span,
            limit=100_000,
            aggregate=AggregateSpec(
                functions=[
                    Aggregation.AVG,
                    Aggregation.MIN,
                    Aggregation.MAX,
                    Aggregation.COUNT,
                    Aggregation.P95,
                ],
                bucket_s=bucket_s,
                resolution=resolution,
            ),
        )
        t0 = time.perf_counter()
        result = await store.query(query)
        times.append((time.perf_counter() - t0) * 1000)
        rows, answered = len(result.rows), result.resolution.value
        if time.perf_counter() - started > deadline_s:
            break
    times.sort()
    return Latency(
        p50=statistics.median(times),
        p99=times[min(len(times) - 1, int(0.99 * len(times)))],
        runs=len(times),
        resolution=answered,
        rows=rows,
    )
