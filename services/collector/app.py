"""The collector service: polls its share of the inventory, one DevicePoller per device.

Any number of collector processes may run against the same bus: they split the devices
through per-device leases in a KV bucket (see `assignment_loop.py`); a single collector
simply holds every lease.
"""

from __future__ import annotations

import asyncio
import logging

from services.collector.assignment_loop import SharedPolling
from services.collector.drivers.registry import DRIVERS
from services.collector.fastpoll import PollFastService
from services.collector.hostkeys import HostKeyStore
from services.collector.leases import LeaseTable, open_bucket
from services.collector.membership import BUCKET_TTL_S, Membership, new_collector_id
from services.collector.poller import DevicePoller
from services.collector.runtime import build_runtime
from shared.bus import Bus
from shared.errors import ConfigError, InventoryError
from shared.events import DeviceState, DeviceStatus, utcnow
from shared.inventory import Device, Inventory, load_inventory
from shared.runner import run_service
from shared.settings import NetvigilSettings

log = logging.getLogger(__name__)


def load_collector_inventory(settings: NetvigilSettings) -> Inventory:
    """The inventory named by settings; a file that cannot be read at all raises.

    Bad entries do not stop the others from being polled: they come back in
    `rejected`, and `report_rejected` logs them and gives each named one an error status.
    """
    path = settings.collector.inventory
    if path is None:
        raise ConfigError(
            "no inventory: set collector.inventory in the config file "
            "or NETVIGIL_COLLECTOR__INVENTORY"
        )
    try:
        return load_inventory(path, strict=False)
    except InventoryError as exc:
        log.error("cannot load inventory: %s", exc)
        raise


async def report_rejected(inventory: Inventory, bus: Bus) -> None:
    """Log every rejected inventory entry and publish a device status for each named one."""
    for rejected in inventory.rejected:
        log.error("inventory entry rejected, not polled: %s", rejected.reason)
        if rejected.name is None:
            continue
        status = DeviceStatus(device=rejected.name, state=DeviceState.ERROR,
                              reason=f"invalid inventory entry: {rejected.reason}",
                              since=utcnow())
        await bus.publish(bus.subjects.device_status(rejected.name), status)


def host_key_store(settings: NetvigilSettings) -> HostKeyStore:
    """A fixed known_hosts file when configured, else trust-on-first-use under data_dir."""
    known_hosts = settings.collector.known_hosts
    if known_hosts is not None:
        return HostKeyStore(path=known_hosts, strict=True)
    return HostKeyStore(path=settings.data_dir / "known_hosts", strict=False)


async def run_inventory(
    inventory: Inventory,
    settings: NetvigilSettings,
    bus: Bus,
    stop: asyncio.Event,
    *,
    collector_id: str | None = None,
) -> None:
    """Poll this collector's share of `inventory` until `stop` is set, then release it."""
    collector_id = collector_id or new_collector_id()
    host_keys = host_key_store(settings)
    login_slots = asyncio.Semaphore(settings.collector.max_concurrent_logins)
    runtime = build_runtime(settings, login_slots=login_slots)  # pacer, breakers, audit
    fast_polls = PollFastService(bus=bus, max_duration=settings.collector.poll_fast_max_s)

    def make_poller(device: Device) -> DevicePoller:
        driver_class = DRIVERS.get(device.platform)
        poller = DevicePoller(
            device=device, driver=driver_class() if driver_class else None, bus=bus,
            host_keys=host_keys, settings=settings.collector, login_slots=login_slots,
            runtime=runtime,
        )
        fast_polls.track(device.name, poller)
        return poller

    subjects = bus.subjects
    leases = LeaseTable(
        kv=await open_bucket(bus.js, subjects.collector_leases_bucket()), owner=collector_id
    )
    members = Membership(
        kv=await open_bucket(bus.js, subjects.collector_members_bucket(), ttl=BUCKET_TTL_S),
        collector_id=collector_id,
    )
    sharing = SharedPolling(
        devices=inventory.devices, leases=leases, members=members, make_poller=make_poller
    )
    log.info("collector %s sharing %d devices", collector_id, len(inventory.devices))
    await members.start()
    await fast_polls.start()
    try:
        await leases.start()
        try:
            await sharing.run(stop)
        finally:
            await leases.stop()
    finally:
        await fast_polls.stop()
        await members.stop()
        runtime.close()


async def run(settings: NetvigilSettings, bus: Bus, stop: asyncio.Event) -> None:
    """Run the service until `stop` is set, then clean up everything it opened."""
    inventory = load_collector_inventory(settings)
    await report_rejected(inventory, bus)
    await run_inventory(inventory, settings, bus, stop)


async def main(settings: NetvigilSettings) -> None:
    """Entry point of `python -m services.collector`."""
    await run_service("collector", settings, run)
