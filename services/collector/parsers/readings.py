"""Builders that turn parsed values into catalog-named `Reading`s, the same on every platform.

Every platform parser ends here, so metric names, attribute names, units and the
state codes below are decided once. Metric names are in `shared/catalog.py`.

BGP peer state codes (`bgp.peer.state`) follow the BGP4-MIB `bgpPeerState` numbering,
with 0 added for a peer an operator shut down:

    0 admin down ("Idle (Admin)", "Shut (Admin)", "Idle(Admin)")
    1 idle   2 connect   3 active   4 opensent   5 openconfirm   6 established

Hardware status (`hw.status`) follows the OpenTelemetry convention: one reading per
component and state, 1 for the state it is in and 0 for the others, so that
`hw.status{state="failed"} == 1` finds every failed fan or power supply.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.collector.drivers.base import Reading
from services.collector.parsers.common import asplain

COUNTER_BITS = 64
HW_STATES = ("ok", "degraded", "failed", "absent")

BGP_STATES = {
    "idle": 1, "connect": 2, "active": 3, "opensent": 4, "openconfirm": 5,
    "established": 6, "establ": 6, "estab": 6,
}

_OK = {"ok", "good", "green", "normal", "powered-up", "on", "up", "present", "online"}
_ABSENT = {"not present", "not inserted", "absent", "empty", "not installed", "notsupported"}
_DEGRADED = {"yellow", "warning", "minor", "check", "degraded", "alarm", "high"}
_FAILED = {
    "failed", "fail", "failure", "bad", "red", "err-disable", "no input power", "off",
    "shutdown", "critical", "fault", "faulty", "down", "major", "powered-down", "power loss",
    "input lost",
}


def bgp_state_code(text: str) -> int:
    """Numeric code of a BGP state as any of the four platforms prints it."""
    cleaned = text.strip().lower()
    if "admin" in cleaned or cleaned.startswith("shut"):
        return 0
    word = cleaned.split("(")[0].strip()
    if word in BGP_STATES:
        return BGP_STATES[word]
    raise ValueError(f"unknown BGP state {text!r}")


def hw_state(text: str) -> str:
    """Map a device's component status word to ok, degraded, failed, absent or unknown."""
    cleaned = " ".join(text.lower().split())
    for state, words in (("ok", _OK), ("absent", _ABSENT), ("degraded", _DEGRADED),
                         ("failed", _FAILED)):
        if cleaned in words:
            return state
    return "unknown"


def hw_status(kind: str, sensor: str, status: str) -> list[Reading]:
    """One `hw.status` reading per state for a fan or power supply ('fan', 'power_supply')."""
    current = hw_state(status)
    attributes = {"type": kind, "sensor": sensor}
    return [
        Reading("hw.status", 1.0 if state == current else 0.0, {**attributes, "state": state})
        for state in HW_STATES
    ]


def temperature(
    sensor: str,
    celsius: float | None,
    *,
    degraded: float | None = None,
    critical: float | None = None,
) -> list[Reading]:
    """A temperature and its limits; a limit the device does not print is left out."""
    attributes = {"sensor": sensor}
    readings = []
    if celsius is not None:
        readings.append(Reading("hw.temperature", celsius, attributes))
    for limit_type, limit in (("high.degraded", degraded), ("high.critical", critical)):
        if limit is not None:
            readings.append(
                Reading("hw.temperature.limit", limit, {**attributes, "limit_type": limit_type})
            )
    return readings


def bgp_peer(
    peer: str, state: str, *, asn: str, vrf: str = "default", family: str = "ipv4",
    prefixes: float | None = None, node: str | None = None,
) -> list[Reading]:
    """State code of one BGP peer, and prefixes received when the device prints them."""
    attributes = {"peer": peer, "peer.as": str(asplain(asn)), "vrf": vrf or "default"}
    attributes.update(_node(node))
    readings = [Reading("bgp.peer.state", float(bgp_state_code(state)), attributes)]
    if prefixes is not None:
        prefix_attributes = {**attributes, "family": family}
        readings.append(Reading("bgp.peer.prefixes.received", prefixes, prefix_attributes))
    return readings


def cpu(
    *, now: float | None = None, one_minute: float | None = None,
    five_minutes: float | None = None, fifteen_minutes: float | None = None,
    node: str | None = None,
) -> list[Reading]:
    """CPU busy fractions (0..1): the latest sample and the device's own 1/5/15-minute means."""
    pairs = (
        ("system.cpu.utilization", now),
        ("system.cpu.utilization.1m", one_minute),
        ("system.cpu.utilization.5m", five_minutes),
        ("system.cpu.utilization.15m", fifteen_minutes),
    )
    return [Reading(name, value, _node(node)) for name, value in pairs if value is not None]


def memory(
    *, used: float, free: float, total: float | None = None, pool: str | None = None,
    extra_states: dict[str, float] | None = None, node: str | None = None,
) -> list[Reading]:
    """Memory bytes by state: the main memory, or a secondary pool when `pool` is named."""
    states = {"used": used, "free": free, **(extra_states or {})}
    usage, limit = ("system.memory.usage", "system.memory.limit")
    attributes = _node(node)
    if pool is not None:
        usage, limit = ("memory.pool.usage", "memory.pool.limit")
        attributes["pool"] = pool
    readings = [
        Reading(usage, value, {**attributes, "state": state}) for state, value in states.items()
    ]
    if total is not None:
        readings.append(Reading(limit, total, attributes))
    return readings


def uptime(seconds: float, node: str | None = None) -> list[Reading]:
    """Seconds since the device (or one node of it) booted."""
    return [Reading("system.uptime", seconds, _node(node))]


def _node(node: str | None) -> dict[str, str]:
    """The `node` attribute, present only when output came from several nodes or engines."""
    return {"node": node} if node else {}


@dataclass(frozen=True, slots=True)
class InterfaceStats:
    """What one interface block says; None where the platform does not print it."""

    name: str
    oper_up: bool | None = None
    admin_up: bool | None = None
    speed_bps: float | None = None
    in_octets: float | None = None
    out_octets: float | None = None
    in_packets: float | None = None
    out_packets: float | None = None
    in_errors: float | None = None
    out_errors: float | None = None
    in_discards: float | None = None
    out_discards: float | None = None


_COUNTERS = (
    ("system.network.io", "octets"),
    ("system.network.packets", "packets"),
    ("system.network.errors", "errors"),
    ("system.network.dropped", "discards"),
)


def interface(stats: InterfaceStats, counter_bits: int = COUNTER_BITS) -> list[Reading]:
    """Raw counters (to be rated by the poller), status gauges and speed of one interface."""
    readings: list[Reading] = []
    name = stats.name
    for metric, field_suffix in _COUNTERS:
        for prefix, direction in (("in", "receive"), ("out", "transmit")):
            value = getattr(stats, f"{prefix}_{field_suffix}")
            if value is not None:
                attributes = {"interface": name, "direction": direction}
                readings.append(Reading(metric, value, attributes, counter_bits))
    for metric, flag in (("network.interface.oper_status", stats.oper_up),
                         ("network.interface.admin_status", stats.admin_up)):
        if flag is not None:
            readings.append(Reading(metric, 1.0 if flag else 0.0, {"interface": name}))
    if stats.speed_bps is not None:
        readings.append(Reading("network.interface.speed", stats.speed_bps, {"interface": name}))
    return readings
