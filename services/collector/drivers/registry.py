"""Platform drivers, registered explicitly: a platform without an entry cannot be polled."""

from __future__ import annotations

from services.collector.drivers.base import Driver
from services.collector.drivers.eos import EosDriver
from services.collector.drivers.ios import IosDriver
from services.collector.drivers.junos import JunosDriver
from services.collector.drivers.linux import LinuxDriver
from services.collector.drivers.nxos import NxosDriver
from shared.inventory import Platform

DRIVERS: dict[Platform, type[Driver]] = {
    Platform.LINUX: LinuxDriver,
    Platform.CISCO_IOS: IosDriver,
    Platform.CISCO_NXOS: NxosDriver,
    Platform.ARISTA_EOS: EosDriver,
    Platform.JUNIPER_JUNOS: JunosDriver,
}
