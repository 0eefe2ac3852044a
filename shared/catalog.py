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
            ("mountpoint", "device", "state"),
        ),
        MetricSpec(
            "system.filesystem.utilization", "1", _G, "Used fraction of a filesystem, 0..1",
            ("mountpoint", "device"),
        ),
        MetricSpec(
            "netvigil.poll.duration", "s", _G, "Seconds one poll of the device took"
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
