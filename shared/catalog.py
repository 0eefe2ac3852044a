"""The catalog of every metric netvigil publishes, with its unit and kind.

Names follow the OpenTelemetry semantic conventions where one exists; units are UCUM
as OpenTelemetry writes them. Counters read from devices are published as per-second
rates (kind RATE): the collector does the delta, wrap and reset handling.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class MetricKind(enum.StrEnum):
    """GAUGE is a level; RATE is a device counter turned into a per-second rate."""

    GAUGE = "gauge"
    RATE = "rate"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """What one metric name means."""

    name: str
    unit: str
    kind: MetricKind
    description: str
    attributes: tuple[str, ...] = ()


_G, _R = MetricKind.GAUGE, MetricKind.RATE

CATALOG: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("system.cpu.utilization", "1", _G, "Busy fraction of all CPUs, 0..1"),
        MetricSpec("system.cpu.load_average.1m", "{thread}", _G, "1-minute load average"),
        MetricSpec("system.cpu.load_average.5m", "{thread}", _G, "5-minute load average"),
        MetricSpec("system.cpu.load_average.15m", "{thread}", _G, "15-minute load average"),
        MetricSpec(
            "system.memory.usage", "By", _G, "Memory in bytes by state", ("state",)
        ),
        MetricSpec("system.memory.limit", "By", _G, "Total usable memory in bytes"),
        MetricSpec("system.memory.utilization", "1", _G, "Used fraction of memory, 0..1"),
        MetricSpec(
            "system.network.io", "By/s", _R, "Interface bytes per second",
            ("interface", "direction"),
        ),
        MetricSpec(
            "system.network.packets", "{packet}/s", _R, "Interface packets per second",
            ("interface", "direction"),
        ),
        MetricSpec(
            "system.network.errors", "{error}/s", _R, "Interface errors per second",
            ("interface", "direction"),
        ),
        MetricSpec(
            "system.network.dropped", "{packet}/s", _R, "Interface drops per second",
            ("interface", "direction"),
        ),
        MetricSpec("system.uptime", "s", _G, "Seconds since the device booted"),
        MetricSpec(
            "system.filesystem.usage", "By", _G, "Filesystem bytes by state",
            ("mountpoint", "system.device", "state"),
        ),
        MetricSpec(
            "system.filesystem.utilization", "1", _G, "Used fraction of a filesystem, 0..1",
            ("mountpoint", "system.device"),
        ),
        MetricSpec(
            "netvigil.poll.duration", "s", _G, "Seconds one poll of the device took"
        ),
        # Network devices (services/collector/parsers, docs/parsers.md).
        MetricSpec(
            "system.cpu.utilization.1m", "1", _G, "Busy fraction averaged by the device over 1 min"
        ),
        MetricSpec(
            "system.cpu.utilization.5m", "1", _G, "Busy fraction averaged by the device over 5 min"
        ),
        MetricSpec(
            "system.cpu.utilization.15m", "1", _G,
            "Busy fraction averaged by the device over 15 min",
        ),
        MetricSpec(
            "memory.pool.usage", "By", _G, "Bytes of a secondary memory pool by state",
            ("pool", "state"),
        ),
        MetricSpec("memory.pool.limit", "By", _G, "Size of a secondary memory pool", ("pool",)),
        MetricSpec(
            "network.interface.oper_status", "1", _G, "1 when the interface is up, else 0",
            ("interface",),
        ),
        MetricSpec(
            "network.interface.admin_status", "1", _G,
            "1 when the interface is administratively enabled, else 0", ("interface",),
        ),
        MetricSpec(
            "network.interface.speed", "bit/s", _G, "Interface speed or bandwidth",
            ("interface",),
        ),
        MetricSpec("hw.temperature", "Cel", _G, "Temperature of a sensor", ("sensor",)),
        MetricSpec(
            "hw.temperature.limit", "Cel", _G, "Temperature threshold of a sensor",
            ("sensor", "limit_type"),
        ),
        MetricSpec(
            "hw.status", "1", _G, "1 if the component is in this state, else 0",
            ("type", "sensor", "state"),
        ),
        MetricSpec("hw.fan.speed", "{rpm}", _G, "Fan speed", ("sensor",)),
        MetricSpec("hw.fan.speed_ratio", "1", _G, "Fan speed as a fraction of its maximum",
                   ("sensor",)),
        MetricSpec("hw.power", "W", _G, "Power a power supply delivers", ("sensor",)),
        MetricSpec(
            "bgp.peer.state", "1", _G,
            "BGP session state code: 0 admin down, 1 idle .. 6 established",
            ("peer", "peer.as", "vrf"),
        ),
        MetricSpec(
            "bgp.peer.prefixes.received", "{prefix}", _G, "Prefixes received from a BGP peer",
            ("peer", "peer.as", "vrf", "family"),
        ),
    )
}


def spec_for(name: str) -> MetricSpec:
    """Return the catalog entry for `name`; KeyError names the unknown metric."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"metric {name!r} is not in the catalog (shared/catalog.py)") from None


def unit_of(name: str) -> str:
    """Unit of a metric, or '' for a name outside the catalog."""
    spec = CATALOG.get(name)
    return spec.unit if spec else ""


def markdown_table() -> str:
    """The catalog as the Markdown table in docs/metrics.md (`python -m shared.catalog`)."""
    rows = ["| metric | unit | kind | attributes | meaning |", "|---|---|---|---|---|"]
    for spec in CATALOG.values():
        attrs = ", ".join(f"`{a}`" for a in spec.attributes)
        rows.append(
            f"| `{spec.name}` | `{spec.unit}` | {spec.kind.value} | {attrs} | {spec.description} |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(markdown_table())
