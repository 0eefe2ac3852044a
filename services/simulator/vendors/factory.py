"""Build a plausible device of each platform from a seed: names, versions, sensors, peers.

The per-platform facts (interface names, models, sensor names) are data in `PROFILES`;
the seed picks rates, serials and uptimes so two devices of one platform differ.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.simulator.vendors.state import (
    BgpPeerState,
    CpuProfile,
    DeviceState,
    FanState,
    InterfaceState,
    MemoryPoolState,
    PsuState,
    SensorState,
)
from shared.inventory import Platform

# A 4-byte ASN (asdot 64086.59905) so parsers meet the float-looking notation.
FOUR_BYTE_ASN = 4_200_000_001


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformProfile:
    """The fixed facts of one platform's simulated hardware."""

    version: str
    model: str
    interfaces: tuple[tuple[str, int], ...]  # (name, speed in Mb/s)
    sensors: tuple[tuple[str, str, float, float, float], ...]  # name, module, base, warn, crit
    fans: tuple[str, ...]
    psus: tuple[tuple[str, str, int], ...]  # name, model, capacity W
    memory: tuple[tuple[str, int, float], ...]  # pool, total bytes, used fraction
    serial_prefix: str


def _names(prefix: str, count: int, speed: int, start: int = 1) -> tuple[tuple[str, int], ...]:
    return tuple((f"{prefix}{n}", speed) for n in range(start, start + count))


PROFILES: dict[Platform, PlatformProfile] = {
    Platform.CISCO_IOS: PlatformProfile(
        version="15.2(4)E10", model="WS-C3750X-48P",
        interfaces=_names("GigabitEthernet1/0/", 6, 1000) + _names("TenGigabitEthernet1/1/", 2,
                                                                   10_000),
        sensors=(("Inlet", "1", 29.0, 46.0, 56.0), ("Hotspot", "1", 52.0, 105.0, 125.0)),
        fans=("Fan1", "Fan2", "Fan3"),
        psus=(("PS1", "C3KX-PWR-715WAC", 715), ("PS2", "C3KX-PWR-715WAC", 715)),
        memory=(("Processor", 919_638_648, 0.26), ("lsmpi_io", 6_295_128, 0.31)),
        serial_prefix="FOC",
    ),
    Platform.CISCO_NXOS: PlatformProfile(
        version="9.3(8)", model="C93180YC-EX",
        interfaces=(("mgmt0", 1000),) + _names("Ethernet1/", 8, 10_000),
        sensors=(("FRONT", "1", 31.0, 70.0, 80.0), ("BACK", "1", 27.0, 42.0, 70.0),
                 ("CPU", "1", 44.0, 85.0, 90.0)),
        fans=("Fan1(sys_fan1)", "Fan2(sys_fan2)", "Fan3(sys_fan3)", "Fan_in_PS1", "Fan_in_PS2"),
        psus=(("1", "NXA-PAC-650W-PE", 650), ("2", "NXA-PAC-650W-PE", 650)),
        memory=(("system", 24_570_000 * 1024, 0.34),),
        serial_prefix="FDO",
    ),
    Platform.ARISTA_EOS: PlatformProfile(
        version="4.28.3M", model="DCS-7050SX3-48YC8",
        interfaces=(("Management1", 1000),) + _names("Ethernet", 8, 25_000),
        sensors=(("Cpu temp sensor", "System", 41.0, 95.0, 105.0),
                 ("Front-panel temp sensor", "System", 30.0, 75.0, 85.0),
                 ("Rear temp sensor", "System", 36.0, 90.0, 100.0)),
        fans=("1/1", "2/1", "3/1", "4/1"),
        psus=(("1", "PWR-500AC-R", 500), ("2", "PWR-500AC-R", 500)),
        memory=(("system", 8_099_732 * 1024, 0.45),),
        serial_prefix="JPE",
    ),
    Platform.JUNIPER_JUNOS: PlatformProfile(
        version="21.4R3-S3.4", model="mx204",
        interfaces=_names("et-0/0/", 2, 100_000, start=0) + _names("xe-0/1/", 6, 10_000, start=0),
        sensors=(("Routing Engine 0", "0", 38.0, 70.0, 85.0),
                 ("FPC 0 Intake", "0", 30.0, 65.0, 80.0),
                 ("FPC 0 Exhaust", "0", 41.0, 75.0, 90.0)),
        fans=("Fan Tray 0 Fan 1", "Fan Tray 0 Fan 2", "Fan Tray 1 Fan 1", "Fan Tray 1 Fan 2"),
        psus=(("PEM 0", "JPSU-650W-AC-AFO", 650), ("PEM 1", "JPSU-650W-AC-AFO", 650)),
        memory=(("Routing Engine", 32_768 * 1024 * 1024, 0.18),),
        serial_prefix="DA",
    ),
}


def build_device(platform: Platform, *, hostname: str, now: float, seed: int = 0) -> DeviceState:
    """A device of `platform` booted some days before `now`, varied by `seed`."""
    rng = random.Random(f"{platform.value}:{hostname}:{seed}")
    profile = PROFILES[platform]
    booted = now - rng.uniform(3, 40) * 86_400
    mac_base = rng.randrange(0x0001, 0xFFF0)
    return DeviceState(
        hostname=hostname,
        platform=platform,
        version=profile.version,
        model=profile.model,
        serial=f"{profile.serial_prefix}{rng.randrange(10**7, 10**8)}",
        boot_time=booted,
        seed=seed,
        base_mac=_mac(0x5000, mac_base, 0),
        interfaces=[_interface(rng, name, speed, n, mac_base, booted)
                    for n, (name, speed) in enumerate(profile.interfaces, start=1)],
        cpu=CpuProfile(base=rng.uniform(5, 15), amplitude=rng.uniform(10, 30)),
        memory_pools=[MemoryPoolState(name=n, total_bytes=t, used_fraction=f)
                      for n, t, f in profile.memory],
        sensors=[SensorState(name=n, module=m, base_celsius=b + rng.uniform(-2, 2),
                             warning_celsius=w, critical_celsius=c)
                 for n, m, b, w, c in profile.sensors],
        fans=[FanState(name=f, speed_percent=rng.randrange(30, 45)) for f in profile.fans],
        psus=[PsuState(name=n, model=m, capacity_watts=c, output_watts=round(rng.uniform(
            0.15, 0.4) * c, 1)) for n, m, c in profile.psus],
        router_id=f"10.255.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}",
        local_as=65000 + rng.randrange(0, 500),
        asdot=platform is Platform.CISCO_IOS,
        bgp_peers=_peers(rng, booted, now),
    )


def _mac(high: int, mid: int, low: int) -> str:
    return f"{high:04x}.{mid:04x}.{low:04x}"


def _interface(rng: random.Random, name: str, speed: int, index: int, mac_base: int,
               booted: float) -> InterfaceState:
    is_mgmt = name.startswith(("mgmt", "Management"))
    link_up = is_mgmt or rng.random() > 0.15
    capacity = speed * 125_000.0  # bytes/s at line rate
    load = rng.uniform(0.0005, 0.01) if is_mgmt else rng.uniform(0.02, 0.3)
    return InterfaceState(
        name=name,
        index=index,
        description="oob management" if is_mgmt else f"uplink to peer-{index} #{index}",
        link_up=link_up,
        speed_mbps=speed,
        mtu=1500 if is_mgmt else 9216,
        mac=_mac(0x5000, mac_base, index),
        ipv4=f"10.{index}.{rng.randrange(0, 255)}.1/30" if index % 2 else None,
        in_bytes_per_s=capacity * load,
        out_bytes_per_s=capacity * load * rng.uniform(0.5, 1.5),
        avg_packet_bytes=rng.randrange(400, 1200),
        in_errors_per_hour=rng.choice((0.0, 0.0, 2.0)),
        in_discards_per_hour=rng.choice((0.0, 1.0, 5.0)),
        out_discards_per_hour=rng.choice((0.0, 3.0)),
        active_since=booted if link_up else None,
        flapped_at=booted,
    )


def _peers(rng: random.Random, booted: float, now: float) -> list[BgpPeerState]:
    def up_since() -> float:
        return max(booted, now - rng.uniform(1.5, 30) * 86_400)

    return [
        BgpPeerState(peer_ip="192.0.2.1", remote_as=64512, prefixes=rng.randrange(100, 900),
                     up_since=up_since(), description="transit-a"),
        BgpPeerState(peer_ip="192.0.2.5", remote_as=FOUR_BYTE_ASN,
                     prefixes=rng.randrange(10, 90), up_since=up_since(),
                     description="customer-b"),
        BgpPeerState(peer_ip="198.51.100.9", remote_as=65010, prefixes=rng.randrange(1, 20),
                     up_since=up_since(), description="ix-peer"),
        BgpPeerState(peer_ip="203.0.113.7", remote_as=65020, established=False,
                     down_state="Active", up_since=now - rng.uniform(600, 7200),
                     description="backup", flaps=3),
    ]
