"""Frozen views of a device at one instant: what every renderer prints and tests compare.

`take_snapshot(state, now)` is pure: the same state and time give the same snapshot, so
the noise is derived from a hash of (seed, what, time bucket) instead of a shared RNG.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from services.simulator.vendors.state import (
    DAY_SECONDS,
    BgpPeerState,
    CpuProfile,
    DeviceState,
    InterfaceState,
    SensorState,
)
from shared.inventory import Platform


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceView:
    """One interface's counters and status as the device would print them."""

    name: str
    index: int
    description: str
    admin_up: bool
    oper_up: bool
    speed_mbps: int
    mtu: int
    mac: str
    ipv4: str | None
    in_octets: int
    out_octets: int
    in_packets: int
    out_packets: int
    in_errors: int
    out_errors: int
    in_discards: int
    out_discards: int
    in_rate_bps: int
    out_rate_bps: int
    in_pps: int
    out_pps: int
    counter_bits: int
    flapped_seconds_ago: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CpuView:
    """CPU utilisation in percent, averaged over 5 s, 1 min and 5 min."""

    five_sec: float
    one_min: float
    five_min: float
    interrupt: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryView:
    """One memory pool in bytes."""

    name: str
    total: int
    used: int

    @property
    def free(self) -> int:
        """Bytes not in use."""
        return self.total - self.used


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorView:
    """One temperature reading with its thresholds; status is ok, warning or critical."""

    name: str
    module: str
    celsius: float
    warning: float
    critical: float
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FanView:
    """One fan."""

    name: str
    ok: bool
    speed_percent: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PsuView:
    """One power supply."""

    name: str
    model: str
    capacity_watts: int
    output_watts: float
    ok: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class BgpPeerView:
    """One BGP neighbour; `state` is the RFC 4271 name (Established, Idle, Active...)."""

    peer_ip: str
    remote_as: int
    state: str
    uptime_s: int
    prefixes: int
    msgs_received: int
    msgs_sent: int
    description: str
    flaps: int

    @property
    def established(self) -> bool:
        """Whether the session is up."""
        return self.state == "Established"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceSnapshot:
    """Everything a renderer needs, frozen at `now`."""

    hostname: str
    platform: Platform
    version: str
    model: str
    serial: str
    base_mac: str
    now: float
    boot_time: float
    uptime_s: int
    reload_reason: str
    interfaces: tuple[InterfaceView, ...]
    cpu: CpuView
    memory: tuple[MemoryView, ...]
    sensors: tuple[SensorView, ...]
    fans: tuple[FanView, ...]
    psus: tuple[PsuView, ...]
    router_id: str
    local_as: int
    asdot: bool
    bgp_peers: tuple[BgpPeerView, ...]
    counters_cleared_s_ago: int | None


def noise(seed: int, key: str, bucket: int) -> float:
    """A deterministic pseudo-random number in [-1, 1] for (seed, key, bucket)."""
    return random.Random(f"{seed}:{key}:{bucket}").uniform(-1.0, 1.0)


def take_snapshot(state: DeviceState, now: float) -> DeviceSnapshot:
    """Freeze `state` at time `now` (seconds since the epoch)."""
    cleared = state.counters_cleared_at
    return DeviceSnapshot(
        hostname=state.hostname,
        platform=state.platform,
        version=state.version,
        model=state.model,
        serial=state.serial,
        base_mac=state.base_mac,
        now=now,
        boot_time=state.boot_time,
        uptime_s=max(0, int(now - state.boot_time)),
        reload_reason=state.reload_reason,
        interfaces=tuple(_interface(i, now) for i in state.interfaces),
        cpu=_cpu(state.cpu, state.seed, now),
        memory=tuple(
            MemoryView(
                name=p.name,
                total=p.total_bytes,
                used=int(p.total_bytes * _clamp(p.used_fraction + 0.02 * noise(
                    state.seed, p.name, int(now // 60)), 0.01, 0.99)),
            )
            for p in state.memory_pools
        ),
        sensors=tuple(_sensor(s, state.seed, now) for s in state.sensors),
        fans=tuple(FanView(name=f.name, ok=f.ok, speed_percent=f.speed_percent)
                   for f in state.fans),
        psus=tuple(PsuView(name=p.name, model=p.model, capacity_watts=p.capacity_watts,
                           output_watts=p.output_watts, ok=p.ok) for p in state.psus),
        router_id=state.router_id,
        local_as=state.local_as,
        asdot=state.asdot,
        bgp_peers=tuple(_peer(p, now) for p in state.bgp_peers),
        counters_cleared_s_ago=None if cleared is None else max(0, int(now - cleared)),
    )


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _interface(iface: InterfaceState, now: float) -> InterfaceView:
    since = iface.active_since
    weight = iface.traffic_integral(since, now) if since is not None else 0.0
    seconds = iface.base_seconds + (max(0.0, now - since) if since is not None else 0.0)
    in_total = int(iface.base_in_octets + iface.in_bytes_per_s * weight)
    out_total = int(iface.base_out_octets + iface.out_bytes_per_s * weight)
    modulus = 1 << iface.counter_bits
    factor = iface.factor_at(now) if iface.oper_up else 0.0
    in_rate = iface.in_bytes_per_s * factor
    out_rate = iface.out_bytes_per_s * factor
    return InterfaceView(
        name=iface.name,
        index=iface.index,
        description=iface.description,
        admin_up=iface.admin_up,
        oper_up=iface.oper_up,
        speed_mbps=iface.speed_mbps,
        mtu=iface.mtu,
        mac=iface.mac,
        ipv4=iface.ipv4,
        in_octets=in_total % modulus,
        out_octets=out_total % modulus,
        in_packets=(in_total // iface.avg_packet_bytes) % modulus,
        out_packets=(out_total // iface.avg_packet_bytes) % modulus,
        in_errors=int(iface.in_errors_per_hour * seconds / 3600),
        out_errors=int(iface.out_errors_per_hour * seconds / 3600),
        in_discards=int(iface.in_discards_per_hour * seconds / 3600),
        out_discards=int(iface.out_discards_per_hour * seconds / 3600),
        in_rate_bps=int(in_rate * 8),
        out_rate_bps=int(out_rate * 8),
        in_pps=int(in_rate / iface.avg_packet_bytes),
        out_pps=int(out_rate / iface.avg_packet_bytes),
        counter_bits=iface.counter_bits,
        flapped_seconds_ago=max(0.0, now - iface.flapped_at),
    )


def _cpu(profile: CpuProfile, seed: int, now: float) -> CpuView:
    hour = (now % DAY_SECONDS) / 3600.0
    diurnal = profile.base + profile.amplitude * (
        1 + math.cos(2 * math.pi * (hour - profile.peak_hour_utc) / 24)) / 2
    five_sec = diurnal + profile.noise * noise(seed, "cpu5s", int(now // 5))
    one_min = diurnal + profile.noise * 0.5 * noise(seed, "cpu1m", int(now // 60))
    five_min = diurnal + profile.noise * 0.2 * noise(seed, "cpu5m", int(now // 300))
    if profile.spike_since <= now < profile.spike_until:
        level, running = profile.spike_level, now - profile.spike_since
        five_sec = max(five_sec, level)
        one_min += (level - one_min) * min(1.0, running / 60)
        five_min += (level - five_min) * min(1.0, running / 300)
    five_sec = round(_clamp(five_sec, 0.0, 100.0), 1)
    return CpuView(
        five_sec=five_sec,
        one_min=round(_clamp(one_min, 0.0, 100.0), 1),
        five_min=round(_clamp(five_min, 0.0, 100.0), 1),
        interrupt=round(five_sec * 0.1, 1),
    )


def _sensor(sensor: SensorState, seed: int, now: float) -> SensorView:
    phase = (abs(hash_key(seed, sensor.name)) % 360) * math.pi / 180
    value = sensor.base_celsius + sensor.drift_celsius * math.sin(
        2 * math.pi * now / sensor.drift_period_s + phase)
    value += 0.3 * noise(seed, sensor.name, int(now // 30))
    if sensor.rise_per_minute:
        value += sensor.rise_per_minute * max(0.0, now - sensor.rise_since) / 60
    celsius = round(value, 1)
    status = "ok"
    if celsius >= sensor.critical_celsius:
        status = "critical"
    elif celsius >= sensor.warning_celsius:
        status = "warning"
    return SensorView(name=sensor.name, module=sensor.module, celsius=celsius,
                      warning=sensor.warning_celsius, critical=sensor.critical_celsius,
                      status=status)


def hash_key(seed: int, key: str) -> int:
    """A stable (not per-process randomised) integer hash of a key."""
    return int(random.Random(f"{seed}:{key}").getrandbits(31))


def _peer(peer: BgpPeerState, now: float) -> BgpPeerView:
    uptime = max(0, int(now - peer.up_since))
    keepalives = uptime // 60
    return BgpPeerView(
        peer_ip=peer.peer_ip,
        remote_as=peer.remote_as,
        state="Established" if peer.established else peer.down_state,
        uptime_s=uptime,
        prefixes=peer.prefixes if peer.established else 0,
        msgs_received=(keepalives + peer.prefixes // 50 + 4) if peer.established else 0,
        msgs_sent=(keepalives + 6) if peer.established else 0,
        description=peer.description,
        flaps=peer.flaps,
    )
