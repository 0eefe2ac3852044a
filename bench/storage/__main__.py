"""Storage benchmark: `python -m bench.storage [--quick] [--samples N] [--postgres DSN]`.

Prints, per backend: real-path ingest (JetStream consumer, decode, write, ack) in samples/s,
the naive SQLite reference measured in the same run and the ratio, query p50/p99 for a
one-hour aggregate and a 24-hour 1-minute bucketed query, and resident memory during ingest.
Every loop is bounded in count and time. See docs/performance.md, "## Storage".
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.storage.measure import query_latency, real_path_ingest, rss_mib
from bench.storage.workload import Fleet, naive_reference, now_floor
from services.storage.postgres import PostgresStore
from services.storage.sqlite import SqliteStore
from services.storage.store import MetricStore
from shared.bus import Bus
from shared.events import Resolution
from shared.natsserver import NatsServer
from shared.settings import NatsSettings


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    p.add_argument("--quick", action="store_true", help="about 200k samples: a smoke run")
    p.add_argument("--samples", type=int, default=10_000_000)
    p.add_argument("--naive-rows", type=int, default=None, help="default: --samples")
    p.add_argument("--devices", type=int, default=25)
    p.add_argument("--interfaces", type=int, default=20, help="x2 directions = samples per poll")
    p.add_argument("--batch-messages", type=int, default=100, help="storage.batch_messages")
    p.add_argument(
        "--postgres", default=None, help="DSN, e.g. postgresql://postgres@127.0.0.1/test"
    )
    p.add_argument("--skip-sqlite", action="store_true", help="only PostgreSQL and the reference")
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--deadline-s", type=float, default=900.0, help="per ingest run")
    p.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir)")
    return p.parse_args()


async def bench_backend(
    name: str, store: MetricStore, bus: Bus, fleet: Fleet, args: argparse.Namespace
) -> float:
    phase = max(1, 1_000_000 // fleet.series)  # publish ~1M samples, then ingest them
    ingest = await real_path_ingest(
        bus,
        store,
        fleet,
        batch_messages=args.batch_messages,
        phase_polls=phase,
        deadline_s=args.deadline_s,
        durable=f"bench-{name}",
    )
    print(
        f"[{name}] real path: {ingest.samples:,} samples in {ingest.seconds:.1f} s = "
        f"{ingest.rate:,.0f} samples/s (batch_messages={args.batch_messages}, "
        f"{fleet.per_poll} samples/message)"
    )
    print(
        f"[{name}] RSS before ingest {ingest.rss_before:.0f} MiB; peak per 1M-sample phase: "
        f"first {ingest.rss_peaks[0]:.0f}, max {max(ingest.rss_peaks):.0f}, "
        f"last {ingest.rss_peaks[-1]:.0f} MiB"
    )
    await report_queries(name, store, fleet, args)
    t0 = time.perf_counter()
    from shared.events import utcnow

    report = await store.maintain(now=utcnow())
    print(
        f"[{name}] rollups of the whole store: {time.perf_counter() - t0:.1f} s "
        f"({report.rolled_1m:,} 1m rows, {report.rolled_1h:,} 1h rows)"
    )
    one = await query_latency(
        store,
        fleet,
        hours=24,
        bucket_s=60,
        resolution=Resolution.MINUTE,
        runs=args.runs,
        deadline_s=60,
    )
    print(
        f"[{name}] 24 h 1-minute buckets from 1m rollups: p50 {one.p50:.1f} ms, "
        f"p99 {one.p99:.1f} ms ({one.runs} runs, {one.rows} buckets)"
    )
    stats = await store.stats()
    print(
        f"[{name}] store: {stats.series:,} series, {stats.samples:,} samples, "
        f"{(stats.disk_bytes or 0) / 2**20:,.0f} MiB on disk"
    )
    return ingest.rate


async def report_queries(
    name: str, store: MetricStore, fleet: Fleet, args: argparse.Namespace
) -> None:
    hour = await query_latency(
        store,
        fleet,
        hours=1,
        bucket_s=None,
        resolution=Resolution.AUTO,
        runs=args.runs,
        deadline_s=60,
    )
    print(
        f"[{name}] 1 h aggregate (avg,min,max,count,p95) of one series: p50 {hour.p50:.1f} ms, "
        f"p99 {hour.p99:.1f} ms ({hour.runs} runs, answered from {hour.resolution})"
    )
    day = await query_latency(
        store,
        fleet,
        hours=24,
        bucket_s=60,
        resolution=Resolution.AUTO,
        runs=args.runs,
        deadline_s=60,
    )
    print(
        f"[{name}] 24 h 1-minute buckets of one series: p50 {day.p50:.1f} ms, "
        f"p99 {day.p99:.1f} ms ({day.runs} runs, {day.rows} buckets, from {day.resolution})"
    )


async def main(args: argparse.Namespace, work: Path) -> None:
    samples = 200_000 if args.quick else args.samples
    fleet = Fleet(
        devices=args.devices, interfaces=args.interfaces, samples=samples, end=now_floor()
    )
    print(
        f"fleet: {fleet.devices} devices x {fleet.per_poll} series, {fleet.polls:,} polls "
        f"every 10 s = {fleet.polls * fleet.series:,} samples over {fleet.end - fleet.start}"
    )
    server = NatsServer(store_dir=work / "nats")
    url = await server.astart()
    bus = await Bus.connect(NatsSettings(url=url, embedded=False), name="bench-storage")
    try:
        await bus.ensure_streams(metrics_max_age_s=86_400)
        rates: dict[str, float] = {}
        if not args.skip_sqlite:
            store: MetricStore = await SqliteStore.open(work / "metrics.db")
            try:
                rates["sqlite"] = await bench_backend("sqlite", store, bus, fleet, args)
            finally:
                await store.close()
        if args.postgres:
            # A fresh schema per run: the fleet's timestamps end now.
            schema = f"bench_storage_{int(time.time())}"
            pg = await PostgresStore.open(args.postgres, schema=schema)
            try:
                rates["postgres"] = await bench_backend("postgres", pg, bus, fleet, args)
            finally:
                await pg.close()
                await drop_schema(args.postgres, schema)  # up to 10M rows: never leave them
        naive_rows = args.naive_rows or fleet.polls * fleet.series
        naive = await naive_reference(
            fleet, work / "naive.db", rows=naive_rows, deadline_s=args.deadline_s
        )
        print(
            f"[reference] naive executemany(1000)/transaction into (device, metric, ts) index: "
            f"{naive.rows:,} rows in {naive.seconds:.1f} s = {naive.rate:,.0f} rows/s "
            f"(last 1M rows: {naive.last_million_rate:,.0f} rows/s)"
        )
        for name, rate in rates.items():
            print(f"[{name}] ratio real path / naive SQLite: {rate / naive.rate:.2f}x")
    finally:
        await bus.close()
        await server.astop()
    print(f"final RSS {rss_mib():.0f} MiB; load average {os.getloadavg()}")


async def drop_schema(dsn: str, schema: str) -> None:
    """Remove the benchmark's schema from the user's database."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
    print(f"[postgres] dropped schema {schema}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    arguments = parse()
    if arguments.dir is not None:
        arguments.dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(main(arguments, arguments.dir))
    else:
        with tempfile.TemporaryDirectory(prefix="nv-bench-") as tmp:
            asyncio.run(main(arguments, Path(tmp)))
