"""Simulated devices on loopback for demos and tests; `SimulatedFleet` is the entry point."""

from services.simulator.fleet import LinuxSimulator, SimulatedFleet
from services.simulator.server import SimulatedDevice

__all__ = ["LinuxSimulator", "SimulatedDevice", "SimulatedFleet"]
