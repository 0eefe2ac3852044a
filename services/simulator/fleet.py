"""A fleet of simulated devices on loopback, and the inventory that polls them.

    async with SimulatedFleet(count=3) as fleet:
        inventory = fleet.inventory()      # passwords included; ports are free ports
        ...
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection
from types import TracebackType

from services.simulator.linux import LinuxHost, LinuxResponder, LinuxSnapshot
from services.simulator.server import SimulatedDevice
from shared.inventory import Inventory, Platform


class LinuxSimulator(SimulatedDevice):
    """A simulated Linux host reachable over SSH; `truth()` is what it currently shows."""

    def __init__(
        self,
        *,
        name: str,
        seed: int,
        username: str = "netvigil",
        password: str | None = None,
        refuse_auth: bool = False,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.linux = LinuxHost(seed=seed, clock=clock)
        super().__init__(
            name=name, platform=Platform.LINUX, responder=LinuxResponder(self.linux),
            username=username, password=password or secrets.token_urlsafe(12),
            refuse_auth=refuse_auth, host=host, port=port,
        )

    def truth(self) -> LinuxSnapshot:
        """The host's state now: what its files show if read at this moment."""
        return self.linux.snapshot()


class SimulatedFleet:
    """`count` Linux simulators named `<prefix>-1` ...; `refuse_auth` names devices that refuse."""

    def __init__(
        self,
        *,
        count: int = 3,
        prefix: str = "sim-linux",
        poll_interval: float = 5.0,
        refuse_auth: Collection[str] = (),
        seed: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.poll_interval = poll_interval
        self.devices: list[LinuxSimulator] = [
            LinuxSimulator(
                name=f"{prefix}-{n}", seed=seed * 1000 + n,
                refuse_auth=f"{prefix}-{n}" in refuse_auth, clock=clock,
            )
            for n in range(1, count + 1)
        ]

    def __getitem__(self, name: str) -> LinuxSimulator:
        """The simulator called `name`."""
        for device in self.devices:
            if device.name == name:
                return device
        raise KeyError(name)

    async def start(self) -> None:
        """Start every device; a failure stops the ones already started."""
        try:
            for device in self.devices:
                await device.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every device and close its connections."""
        for device in self.devices:
            await device.stop()

    def inventory(self) -> Inventory:
        """An inventory polling every device of the fleet, passwords included."""
        return Inventory(
            devices=tuple(d.device(poll_interval=self.poll_interval) for d in self.devices)
        )

    async def __aenter__(self) -> SimulatedFleet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
