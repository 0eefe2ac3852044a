"""The `netvigil` command.

    up                 the bus, every service and (without inventory) a simulated fleet
    simulate           simulated SSH devices on loopback, with their inventory written out
    generate-key       a new key for encrypting device passwords (NETVIGIL_SECRET_KEY)
    encrypt-password   a password from stdin as a `password_encrypted: nv1:...` value
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.errors import ConfigError, NetvigilError
from shared.logging import setup_logging
from shared.settings import NetvigilSettings, load_settings

log = logging.getLogger("netvigil")


def build_parser() -> argparse.ArgumentParser:
    """Command-line grammar of `netvigil`."""
    parser = argparse.ArgumentParser(
        prog="netvigil", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
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
    commands.add_parser("generate-key", help="print a new key for NETVIGIL_SECRET_KEY")
    commands.add_parser("encrypt-password", help="read a password from stdin and print its "
                                                 "password_encrypted inventory value")
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
        COMMANDS[args.command](args, settings)
    except ConfigError as exc:
        print(f"netvigil: {exc}", file=sys.stderr)
        return 2
    except NetvigilError as exc:
        print(f"netvigil: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def _up(args: argparse.Namespace, settings: NetvigilSettings) -> None:
    from services.up import run_all

    if args.inventory is not None:
        settings.collector.inventory = args.inventory
    asyncio.run(run_all(settings, simulated_devices=args.simulated_devices))


def _simulate(args: argparse.Namespace, settings: NetvigilSettings) -> None:
    from services.simulator.cli import parse_platforms, run_simulator

    asyncio.run(run_simulator(count=args.count, inventory_out=args.inventory_out,
                              platforms=parse_platforms(args.platforms)))


def _generate_key(args: argparse.Namespace, settings: NetvigilSettings) -> None:
    from services.collector.credentials import generate_key

    print(generate_key())


def _encrypt_password(args: argparse.Namespace, settings: NetvigilSettings) -> None:
    from services.collector.credentials import encrypt_for_inventory

    # From a terminal the password is not echoed; from a pipe it is one line of stdin.
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    if not password:
        raise ConfigError("empty password: nothing to encrypt")
    print(encrypt_for_inventory(password, settings))


COMMANDS = {
    "up": _up,
    "simulate": _simulate,
    "generate-key": _generate_key,
    "encrypt-password": _encrypt_password,
}


if __name__ == "__main__":
    sys.exit(main())
