"""The mutable state of one simulated network device, and the rules by which it moves.

Everything that changes with time (counters, CPU, temperatures, uptimes) is a pure
function of this state and the current time, computed by `snapshot.take_snapshot`.
Mutations (scenarios) happen at a given instant and "checkpoint" the time-dependent
values first, so the history before the change is preserved exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from shared.inventory import Platform

DAY_SECONDS = 86_400.0


@dataclass(kw_only=True)
class InterfaceState:
    """One physical interface: static facts plus the rates its counters grow at."""

    name: str
    index: int
    description: str = ""
    admin_up: bool = True
    link_up: bool = True
    speed_mbps: int = 1000
    mtu: int = 1500
    mac: str = "0000.0000.0000"
    ipv4: str | None = None
    in_bytes_per_s: float = 0.0
    out_bytes_per_s: float = 0.0
    diurnal_amplitude: float = 0.3
    avg_packet_bytes: int = 700
    in_errors_per_hour: float = 0.0
    out_errors_per_hour: float = 0.0
    in_discards_per_hour: float = 0.0
    out_discards_per_hour: float = 0.0
    counter_bits: int = 64
    # Unwrapped counter values accumulated up to `active_since` (see `checkpoint`).
    base_in_octets: float = 0.0
    base_out_octets: float = 0.0
    base_seconds: float = 0.0
    active_since: float | None = None
    flapped_at: float = 0.0

    @property
    def oper_up(self) -> bool:
        """Whether the line protocol is up (admin up and link up)."""
        return self.admin_up and self.link_up

    def traffic_integral(self, start: float, end: float) -> float:
        """Seconds-weighted diurnal factor between two instants (multiply by a byte rate)."""
        if end <= start:
            return 0.0
        omega = 2 * math.pi / DAY_SECONDS
        swing = (math.cos(omega * start) - math.cos(omega * end)) / omega
        return (end - start) + self.diurnal_amplitude * swing

    def factor_at(self, now: float) -> float:
        """The diurnal traffic multiplier at one instant."""
        return 1.0 + self.diurnal_amplitude * math.sin(2 * math.pi * now / DAY_SECONDS)

    def checkpoint(self, now: float) -> None:
        """Fold the traffic since `active_since` into the base values."""
        if self.active_since is not None:
            weight = self.traffic_integral(self.active_since, now)
            self.base_in_octets += self.in_bytes_per_s * weight
            self.base_out_octets += self.out_bytes_per_s * weight
            self.base_seconds += max(0.0, now - self.active_since)
            self.active_since = now

    def reset_counters(self, now: float) -> None:
        """Zero every counter, as `clear counters` or a reload does."""
        self.base_in_octets = self.base_out_octets = self.base_seconds = 0.0
        self.active_since = now if self.oper_up else None


@dataclass(kw_only=True)
class SensorState:
    """A temperature sensor that drifts slowly around its base value."""

    name: str
    module: str = "1"
    base_celsius: float
    warning_celsius: float
    critical_celsius: float
    drift_celsius: float = 2.0
    drift_period_s: float = 6 * 3600.0
    # Rising-temperature scenario: degrees per minute from `rise_since`.
    rise_per_minute: float = 0.0
    rise_since: float = 0.0


@dataclass(kw_only=True)
class FanState:
    """One fan with its status and speed."""

    name: str
    ok: bool = True
    speed_percent: int = 40


@dataclass(kw_only=True)
class PsuState:
    """One power supply."""

    name: str
    model: str
    capacity_watts: int
    output_watts: float
    ok: bool = True


@dataclass(kw_only=True)
class MemoryPoolState:
    """A memory pool whose use wanders a little around `used_fraction`."""

    name: str
    total_bytes: int
    used_fraction: float


@dataclass(kw_only=True)
class BgpPeerState:
    """A BGP neighbour; `remote_as` is the full 32-bit number (asdot is a rendering choice)."""

    peer_ip: str
    remote_as: int
    established: bool = True
    down_state: str = "Active"
    prefixes: int = 0
    up_since: float = 0.0
    description: str = ""
    flaps: int = 0


@dataclass(kw_only=True)
class CpuProfile:
    """Diurnal CPU load: `base` at night, `base + amplitude` at the daily peak."""

    base: float = 10.0
    amplitude: float = 20.0
    noise: float = 3.0
    peak_hour_utc: float = 14.0
    spike_level: float = 0.0
    spike_since: float = 0.0
    spike_until: float = 0.0


@dataclass(kw_only=True)
class DeviceState:
    """Everything one simulated router or switch knows about itself."""

    hostname: str
    platform: Platform
    version: str
    model: str
    serial: str
    boot_time: float
    seed: int = 0
    base_mac: str = "0000.0000.0000"
    interfaces: list[InterfaceState] = field(default_factory=list)
    cpu: CpuProfile = field(default_factory=CpuProfile)
    memory_pools: list[MemoryPoolState] = field(default_factory=list)
    sensors: list[SensorState] = field(default_factory=list)
    fans: list[FanState] = field(default_factory=list)
    psus: list[PsuState] = field(default_factory=list)
    router_id: str = "0.0.0.0"
    local_as: int = 65000
    asdot: bool = False
    bgp_peers: list[BgpPeerState] = field(default_factory=list)
    counters_cleared_at: float | None = None
    reload_reason: str = "Reload Command"

    def interface(self, name: str) -> InterfaceState:
        """The interface called `name`; KeyError names it when absent."""
        for iface in self.interfaces:
            if iface.name == name:
                return iface
        raise KeyError(f"{self.hostname} has no interface {name!r}")
