"""The real collector service, plus the accounting the benchmark needs from inside it.

    python bench/collector_probe.py --stats /tmp/probe.json      (settings from NETVIGIL_*)

Runs `services.collector.app.run` unchanged, with two additions: every driver's `parse`
is wrapped to add up the CPU time it takes (`time.process_time`, so waiting is never
counted), and once a second the process writes a JSON file with that total, the number
of parses, its resident memory now and its resident memory before any device was
polled (after imports and the bus connection).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.collector import app  # noqa: E402
from services.collector.drivers.registry import DRIVERS  # noqa: E402
from shared.bus import Bus  # noqa: E402
from shared.logging import setup_logging  # noqa: E402
from shared.runner import run_service  # noqa: E402
from shared.settings import NetvigilSettings, load_settings  # noqa: E402


class ParseClock:
    """CPU seconds spent inside driver parse methods, and how many calls."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.calls = 0
        self._depth = 0  # a driver's parse may call another wrapped parse: count once

    def wrap(self, parse: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return parse(*args, **kwargs)
            self._depth += 1
            started = time.process_time()
            try:
                return parse(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - started
                self.calls += 1
                self._depth -= 1
        return timed


def rss_kib() -> int:
    """Resident memory of this process in KiB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def report(stats: Path, clock: ParseClock, baseline: int, stop: asyncio.Event) -> None:
    """Write the stats file every second until `stop`."""
    while True:
        body = {"parse_cpu_s": clock.cpu, "parse_calls": clock.calls, "rss_kib": rss_kib(),
                "baseline_rss_kib": baseline, "process_cpu_s": time.process_time()}
        partial = stats.with_suffix(".partial")
        partial.write_text(json.dumps(body))
        partial.replace(stats)
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def main() -> None:
    """Run the collector with the accounting on."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", type=Path, required=True)
    args = parser.parse_args()
    clock = ParseClock()
    for driver in set(DRIVERS.values()):
        driver.parse = clock.wrap(driver.parse)  # type: ignore[method-assign]

    async def run(settings: NetvigilSettings, bus: Bus, stop: asyncio.Event) -> None:
        done = asyncio.Event()
        reporter = asyncio.create_task(report(args.stats, clock, rss_kib(), done))
        try:
            await app.run(settings, bus, stop)
        finally:
            done.set()
            await reporter

    settings = load_settings()
    setup_logging(settings.log_level)
    asyncio.run(run_service("collector", settings, run))


if __name__ == "__main__":
    main()
