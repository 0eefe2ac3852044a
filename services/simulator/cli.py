"""`netvigil simulate`: run simulated SSH devices on loopback until interrupted.

    netvigil simulate --count 5                       # one device per platform
    netvigil simulate --count 500 --inventory-out fleet.yaml
    netvigil simulate --count 3 --platforms linux     # Linux hosts only
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from services.simulator.fleet import ALL_PLATFORMS, SimulatedFleet
from shared.inventory import Platform, dump_inventory
from shared.runner import stop_on_signals

log = logging.getLogger("netvigil.simulate")


def parse_platforms(text: str) -> tuple[Platform, ...]:
    """Platforms from a comma-separated list ('all' or 'mixed' means all five)."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    if not words or words in (["all"], ["mixed"]):
        return ALL_PLATFORMS
    return tuple(Platform(word) for word in words)


async def run_simulator(
    *,
    count: int,
    inventory_out: Path,
    platforms: Sequence[Platform] = ALL_PLATFORMS,
    poll_interval: float = 30.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve `count` devices dealt over `platforms`, write their inventory, run until stopped."""
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    async with SimulatedFleet(count=count, platforms=list(platforms),
                              poll_interval=poll_interval) as fleet:
        inventory_out.write_text(dump_inventory(fleet.inventory()))
        inventory_out.chmod(0o600)  # it holds the simulated devices' passwords
        log.info("%d simulated devices on 127.0.0.1 (%s); inventory in %s; Ctrl-C stops",
                 count, ", ".join(p.value for p in platforms), inventory_out)
        await stop.wait()
    log.info("simulated devices stopped")
