"""Platform drivers, registered explicitly: a platform without an entry cannot be polled."""

from __future__ import annotations

from services.collector.drivers.base import Driver
from services.collector.drivers.linux import LinuxDriver
from shared.inventory import Platform

DRIVERS: dict[Platform, type[Driver]] = {
    Platform.LINUX: LinuxDriver,
}
