"""The collector service: one DevicePoller task per inventory device."""

from __future__ import annotations

import asyncio
import logging

from services.collector.drivers.registry import DRIVERS
from services.collector.hostkeys import HostKeyStore
from services.collector.poller import DevicePoller
from shared.bus import Bus
from shared.errors import ConfigError, InventoryError
from shared.inventory import Inventory, load_inventory
from shared.runner import run_service
from shared.settings import NetvigilSettings

log = logging.getLogger(__name__)


def load_collector_inventory(settings: NetvigilSettings) -> Inventory:
    """The inventory named by settings; errors are logged precisely, then raised."""
    path = settings.collector.inventory
    if path is None:
        raise ConfigError(
            "no inventory: set collector.inventory in the config file "
            "or NETVIGIL_COLLECTOR__INVENTORY"
        )
    try:
        return load_inventory(path)
    except InventoryError as exc:
        log.error("cannot load inventory: %s", exc)
        raise


def host_key_store(settings: NetvigilSettings) -> HostKeyStore:
    """A fixed known_hosts file when configured, else trust-on-first-use under data_dir."""
    known_hosts = settings.collector.known_hosts
    if known_hosts is not None:
        return HostKeyStore(path=known_hosts, strict=True)
    return HostKeyStore(path=settings.data_dir / "known_hosts", strict=False)


async def run_inventory(
    inventory: Inventory, settings: NetvigilSettings, bus: Bus, stop: asyncio.Event
) -> None:
    """Poll every device of `inventory` until `stop` is set; each poller closes its connection."""
    host_keys = host_key_store(settings)
    login_slots = asyncio.Semaphore(settings.collector.max_concurrent_logins)
    pollers = []
    for device in inventory.devices:
        driver_class = DRIVERS.get(device.platform)
        pollers.append(DevicePoller(
            device=device, driver=driver_class() if driver_class else None, bus=bus,
            host_keys=host_keys, settings=settings.collector, login_slots=login_slots,
        ))
    log.info("polling %d devices", len(pollers))
    async with asyncio.TaskGroup() as group:
        for poller in pollers:
            group.create_task(poller.run(stop), name=f"poll-{poller.device.name}")


async def run(settings: NetvigilSettings, bus: Bus, stop: asyncio.Event) -> None:
    """Run the service until `stop` is set, then clean up everything it opened."""
    await run_inventory(load_collector_inventory(settings), settings, bus, stop)


async def main(settings: NetvigilSettings) -> None:
    """Entry point of `python -m services.collector`."""
    await run_service("collector", settings, run)
