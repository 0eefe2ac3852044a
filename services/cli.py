"""The `netvigil` command: `up` runs everything in one process; `simulate` runs devices."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.errors import ConfigError
from shared.logging import setup_logging
from shared.settings import load_settings

log = logging.getLogger("netvigil")


def build_parser() -> argparse.ArgumentParser:
    """Command-line grammar of `netvigil`."""
    parser = argparse.ArgumentParser(prog="netvigil", description=__doc__)
    parser.add_argument("--config", type=Path, help="YAML settings file (or $NETVIGIL_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the bus, every service and (without inventory) "
                                        "a simulated fleet in this process")
    up.add_argument("--inventory", type=Path, help="devices to poll (YAML); default: simulate")
    up.add_argument("--simulated-devices", type=int, default=5,
                    help="size of the mixed simulated fleet (IOS, NX-OS, EOS, Junos, Linux "
                         "in turn) when no inventory is given (default 5)")
    sim = commands.add_parser("simulate", help="run simulated SSH devices on loopback and "
                                               "write their inventory")
    sim.add_argument("--count", type=int, default=5, help="how many devices (default 5)")
    sim.add_argument("--inventory-out", type=Path, default=Path("simulated-inventory.yaml"),
                     help="where to write the inventory of the simulated devices")
    sim.add_argument("--platforms", default="all",
                     help="comma-separated platforms dealt out in turn, e.g. "
                          "'cisco_ios,arista_eos' (default all: a mixed fleet)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except (ConfigError, ValueError) as exc:
        print(f"netvigil: bad settings: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        if args.command == "up":
            from services.up import run_all

            if args.inventory is not None:
                settings.collector.inventory = args.inventory
            asyncio.run(run_all(settings, simulated_devices=args.simulated_devices))
        else:
            from services.simulator.cli import parse_platforms, run_simulator

            asyncio.run(run_simulator(count=args.count, inventory_out=args.inventory_out,
                                      platforms=parse_platforms(args.platforms)))
    except ConfigError as exc:
        print(f"netvigil: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
