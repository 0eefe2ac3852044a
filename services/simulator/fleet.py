"""A fleet of simulated devices on loopback, and the inventory that polls them.

    async with SimulatedFleet(count=3) as fleet:            # three Linux hosts
        inventory = fleet.inventory()      # passwords included; ports are free ports
    async with SimulatedFleet(count=10, platforms=ALL_PLATFORMS) as fleet:   # mixed
        fleet.vendor("sim-eos-1").scenarios.pager_forced = True
        ...

A mixed fleet deals platforms out in turn (IOS, NX-OS, EOS, Junos, Linux, IOS, ...), so
any count of at least five holds every platform. Names are `sim-<platform>-<n>`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from types import TracebackType

from pydantic import SecretStr

from services.simulator.linux import LinuxHost, LinuxResponder, LinuxSnapshot
from services.simulator.server import SimulatedDevice
from services.simulator.vendors import (
    DeviceSnapshot,
    DeviceState,
    SessionScenarios,
    VendorDeviceHandle,
    build_device,
    start_vendor_device,
    take_snapshot,
)
from shared.inventory import Device, Inventory, Platform

ALL_PLATFORMS: tuple[Platform, ...] = (
    Platform.CISCO_IOS, Platform.CISCO_NXOS, Platform.ARISTA_EOS, Platform.JUNIPER_JUNOS,
    Platform.LINUX,
)
SHORT_NAMES = {
    Platform.CISCO_IOS: "ios", Platform.CISCO_NXOS: "nxos", Platform.ARISTA_EOS: "eos",
    Platform.JUNIPER_JUNOS: "junos", Platform.LINUX: "linux",
}


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


class VendorSimulator:
    """A simulated IOS, NX-OS, EOS or Junos device; `state` and `scenarios` are live."""

    def __init__(
        self,
        *,
        name: str,
        platform: Platform,
        seed: int,
        username: str = "netvigil",
        password: str | None = None,
        scenarios: SessionScenarios | None = None,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
    ) -> None:
        self.name = name
        self.platform = platform
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.state: DeviceState = build_device(platform, hostname=name, now=clock(), seed=seed)
        self.scenarios = scenarios or SessionScenarios()
        self._clock = clock
        self._host = host
        self._handle: VendorDeviceHandle | None = None

    @property
    def port(self) -> int:
        """The port it listens on (after `start`)."""
        if self._handle is None:
            raise RuntimeError(f"{self.name} is not started")
        return int(self._handle.port)

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._handle = await start_vendor_device(
            self.state, host=self._host, username=self.username, password=self.password,
            scenarios=self.scenarios, clock=self._clock,
        )

    async def stop(self) -> None:
        """Stop listening and close every session."""
        handle, self._handle = self._handle, None
        if handle is not None:
            await handle.close()

    def device(self, *, poll_interval: float = 5.0) -> Device:
        """The inventory entry that polls this device."""
        return Device(
            name=self.name, host=self._host, port=self.port, platform=self.platform,
            username=self.username, password=SecretStr(self.password),
            poll_interval=poll_interval, tags={"simulated": "true"},
        )

    def truth(self) -> DeviceSnapshot:
        """What the device shows at this instant."""
        return take_snapshot(self.state, self._clock())


class SimulatedFleet:
    """`count` simulated devices: Linux hosts `<prefix>-<n>`, or a mix of `platforms`.

    `refuse_auth` names devices that refuse every password; `scenarios` gives network
    devices their session behaviour by name (state scenarios act on `vendor(name).state`).
    """

    def __init__(
        self,
        *,
        count: int = 3,
        prefix: str = "sim-linux",
        poll_interval: float = 5.0,
        refuse_auth: Collection[str] = (),
        seed: int = 1,
        clock: Callable[[], float] = time.time,
        platforms: Sequence[Platform] | None = None,
        scenarios: Mapping[str, SessionScenarios] | None = None,
    ) -> None:
        self.poll_interval = poll_interval
        self.devices: list[LinuxSimulator] = []
        self.vendors: list[VendorSimulator] = []
        numbers: dict[Platform, int] = {}
        for index in range(count):
            platform = platforms[index % len(platforms)] if platforms else Platform.LINUX
            numbers[platform] = number = numbers.get(platform, 0) + 1
            name = f"sim-{SHORT_NAMES[platform]}-{number}" if platforms else f"{prefix}-{number}"
            device_seed = seed * 1000 + index + 1
            if platform is Platform.LINUX:
                self.devices.append(LinuxSimulator(
                    name=name, seed=device_seed, refuse_auth=name in refuse_auth, clock=clock,
                ))
                continue
            session = (scenarios or {}).get(name) or SessionScenarios()
            session.refuse_auth = session.refuse_auth or name in refuse_auth
            self.vendors.append(VendorSimulator(
                name=name, platform=platform, seed=device_seed, scenarios=session, clock=clock,
            ))

    def __getitem__(self, name: str) -> LinuxSimulator:
        """The Linux simulator called `name`."""
        for device in self.devices:
            if device.name == name:
                return device
        raise KeyError(name)

    def vendor(self, name: str) -> VendorSimulator:
        """The network-device simulator called `name`."""
        for device in self.vendors:
            if device.name == name:
                return device
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Every device name, network devices first."""
        return [d.name for d in self.vendors] + [d.name for d in self.devices]

    async def start(self) -> None:
        """Start every device; a failure stops the ones already started."""
        try:
            for vendor in self.vendors:
                await vendor.start()
            for device in self.devices:
                await device.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every device and close its connections."""
        for vendor in self.vendors:
            await vendor.stop()
        for device in self.devices:
            await device.stop()

    def inventory(self) -> Inventory:
        """An inventory polling every device of the fleet, passwords included."""
        entries = [d.device(poll_interval=self.poll_interval) for d in self.vendors]
        entries += [d.device(poll_interval=self.poll_interval) for d in self.devices]
        return Inventory(devices=tuple(entries))

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
