"""Run N simulated Linux devices in their own process and write the inventory that polls them.

    python bench/simfleet.py --devices 2000 --interval 60 --inventory /tmp/inv.yaml

The inventory appears (atomically) once every device listens; the process then serves
until SIGTERM or SIGINT, and on exit writes `{"commands": <served>}` next to the inventory
(`<inventory>.served.json`). It is its own process so that the simulator's CPU is not
charged to the collector being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.simulator import SimulatedFleet  # noqa: E402
from shared.inventory import dump_inventory  # noqa: E402

MAX_DEVICES = 5000


async def serve(devices: int, interval: float, inventory: Path) -> int:
    """Start the fleet, publish its inventory, serve until a signal; return commands served."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with SimulatedFleet(count=devices, poll_interval=interval, prefix="bench") as fleet:
        partial = inventory.with_suffix(".partial")
        partial.write_text(dump_inventory(fleet.inventory()))
        partial.replace(inventory)
        await stop.wait()
        return sum(len(d.commands_received) for d in fleet.devices)


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--inventory", type=Path, required=True)
    args = parser.parse_args()
    if not 1 <= args.devices <= MAX_DEVICES:
        parser.error(f"--devices must be within 1..{MAX_DEVICES}")
    logging.basicConfig(level=logging.WARNING)
    served = asyncio.run(serve(args.devices, args.interval, args.inventory))
    Path(f"{args.inventory}.served.json").write_text(json.dumps({"commands": served}))


if __name__ == "__main__":
    main()
