"""Simulated network devices (Cisco IOS, NX-OS, Arista EOS, Juniper Junos) served over SSH.

`build_device` makes a state, `take_snapshot` freezes it at an instant, the `render_*`
modules print it exactly as each platform does, and `start_vendor_device` serves it.
"""

from services.simulator.vendors.factory import build_device
from services.simulator.vendors.scenarios import SessionScenarios
from services.simulator.vendors.server import VendorDeviceHandle, start_vendor_device
from services.simulator.vendors.snapshot import DeviceSnapshot, take_snapshot
from services.simulator.vendors.state import DeviceState

__all__ = [
    "DeviceSnapshot",
    "DeviceState",
    "SessionScenarios",
    "VendorDeviceHandle",
    "build_device",
    "start_vendor_device",
    "take_snapshot",
]
