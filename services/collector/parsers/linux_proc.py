"""Pure parsers for the Linux commands the linux driver sends.

Each parser takes the complete output of one command and returns `Reading`s named from
`shared.catalog`, or raises `ParseError` saying which line is wrong and why. /proc/stat is
the exception: a single read of CPU jiffies means nothing, so `parse_proc_stat` returns
`CpuTimes` and `cpu_utilization` turns two of them into a busy fraction.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields

from services.collector.drivers.base import Reading
from shared.errors import ParseError

KIB = 1024
COUNTER_BITS = 64  # /proc/net/dev prints unsigned long counters, 64 bits on 64-bit kernels


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """Jiffies of the aggregate `cpu` line of /proc/stat."""

    user: int
    nice: int
    system: int
    idle: int
    iowait: int = 0
    irq: int = 0
    softirq: int = 0
    steal: int = 0

    @property
    def total(self) -> int:
        """All jiffies; guest time is left out because the kernel already counts it in user."""
        return sum(getattr(self, f.name) for f in fields(self))

    @property
    def busy(self) -> int:
        """Jiffies spent neither idle nor waiting for I/O."""
        return self.total - self.idle - self.iowait


def parse_proc_stat(text: str) -> CpuTimes:
    """Read the aggregate `cpu` line of `cat /proc/stat`."""
    found: tuple[int, list[str]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0] != "cpu":
            continue
        if found is not None:
            # Two summary lines means two files glued together: no way to know which is current.
            raise ParseError(
                f"/proc/stat: the 'cpu' summary line appears twice (lines {found[0]} and {number})"
            )
        found = (number, parts[1:])
    if found is None:
        raise ParseError("/proc/stat: no 'cpu' summary line")
    number, values = found
    if len(values) < 4:
        raise ParseError(f"/proc/stat line {number}: expected at least 4 jiffy counts")
    jiffies = [_int(v, f"/proc/stat line {number}") for v in values[:8]]
    return CpuTimes(*jiffies)


def cpu_utilization(previous: CpuTimes, current: CpuTimes) -> float | None:
    """Busy fraction (0..1) between two reads; None when the counters went backwards."""
    elapsed = current.total - previous.total
    went_back = any(
        getattr(current, f.name) < getattr(previous, f.name) for f in fields(CpuTimes)
    )
    if elapsed <= 0 or went_back:
        return None  # same sample twice, or the host rebooted between the reads
    return min(1.0, max(0.0, (current.busy - previous.busy) / elapsed))


def parse_loadavg(text: str) -> list[Reading]:
    """Read `cat /proc/loadavg`: '0.21 0.37 0.39 1/719 19737'."""
    parts = text.split()
    if len(parts) != 5 or "/" not in parts[3]:
        raise ParseError(
            f"/proc/loadavg: expected 5 fields like '0.21 0.37 0.39 1/719 19737', got {text!r}"
        )
    names = ("1m", "5m", "15m")
    return [
        Reading(f"system.cpu.load_average.{name}", _float(value, "/proc/loadavg"))
        for name, value in zip(names, parts[:3], strict=True)
    ]


def parse_meminfo_bytes(text: str) -> dict[str, int]:
    """Every `Key: value [kB]` line of /proc/meminfo; kB means KiB, so values become bytes."""
    values: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, rest = line.partition(":")
        parts = rest.split()
        if not colon or not key or len(parts) not in (1, 2):
            raise ParseError(f"/proc/meminfo line {number}: expected 'Key: value [kB]': {line!r}")
        amount = _int(parts[0], f"/proc/meminfo line {number}")
        if len(parts) == 2 and parts[1] != "kB":
            raise ParseError(f"/proc/meminfo line {number}: unknown unit {parts[1]!r}")
        values[key.strip()] = amount * KIB if len(parts) == 2 else amount
    return values


def parse_meminfo(text: str) -> list[Reading]:
    """Read `cat /proc/meminfo` into memory usage by state, limit and utilisation."""
    mem = parse_meminfo_bytes(text)
    for required in ("MemTotal", "MemFree"):
        if required not in mem:
            raise ParseError(f"/proc/meminfo: no {required} line")
    total, free = mem["MemTotal"], mem["MemFree"]
    buffers, cached = mem.get("Buffers", 0), mem.get("Cached", 0)
    # "used" is what applications could not get back: MemTotal - MemAvailable, the kernel's
    # own estimate (Linux >= 3.14). Older kernels lack it; free + buffers + cached is the
    # classic approximation of what is available there.
    available = mem.get("MemAvailable", free + buffers + cached)
    used = max(0, total - available)
    state = "state"
    readings = [
        Reading("system.memory.usage", used, {state: "used"}),
        Reading("system.memory.usage", free, {state: "free"}),
        Reading("system.memory.usage", cached, {state: "cached"}),
        Reading("system.memory.usage", buffers, {state: "buffers"}),
        Reading("system.memory.limit", total),
    ]
    if total > 0:
        readings.append(Reading("system.memory.utilization", used / total))
    return readings


_NET_COLUMNS = {"bytes": "io", "packets": "packets", "errs": "errors", "drop": "dropped"}


def parse_net_dev(text: str) -> list[Reading]:
    """Read `cat /proc/net/dev` into 64-bit receive/transmit counters per interface."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or lines[0].count("|") < 2 or lines[1].count("|") < 2:
        raise ParseError("/proc/net/dev: missing the two-line '|' header")
    columns = _net_dev_columns(lines[1])
    width = len(columns)
    readings: list[Reading] = []
    for number, line in enumerate(lines[2:], start=3):
        name, colon, rest = line.partition(":")
        values = rest.split()
        if not colon or not name.strip():
            raise ParseError(f"/proc/net/dev line {number}: no 'name:' prefix: {line!r}")
        if len(values) != width:
            raise ParseError(
                f"/proc/net/dev line {number}: expected {width} counters, got {len(values)}"
            )
        counters = [_int(v, f"/proc/net/dev line {number}") for v in values]
        readings.extend(_interface_readings(name.strip(), columns, counters))
    return readings


def _net_dev_columns(header: str) -> list[tuple[str, str]]:
    """(direction, column) for every counter, from ' face |bytes packets ...|bytes ...'."""
    sections = header.split("|")
    receive, transmit = sections[1].split(), sections[2].split()
    for direction, names in (("receive", receive), ("transmit", transmit)):
        missing = [c for c in _NET_COLUMNS if c not in names]
        if missing:
            raise ParseError(f"/proc/net/dev: {direction} header lacks {', '.join(missing)}")
    return [("receive", c) for c in receive] + [("transmit", c) for c in transmit]


def _interface_readings(
    interface: str, columns: list[tuple[str, str]], counters: list[int]
) -> list[Reading]:
    readings = []
    for (direction, column), value in zip(columns, counters, strict=True):
        suffix = _NET_COLUMNS.get(column)
        if suffix is None:
            continue
        attributes = {"interface": interface, "direction": direction}
        readings.append(
            Reading(f"system.network.{suffix}", value, attributes, counter_bits=COUNTER_BITS)
        )
    return readings


def parse_uptime(text: str) -> list[Reading]:
    """Read `cat /proc/uptime`: seconds since boot, then idle seconds."""
    parts = text.split()
    if len(parts) != 2:
        raise ParseError(f"/proc/uptime: expected 2 numbers, got {text!r}")
    return [Reading("system.uptime", _float(parts[0], "/proc/uptime"))]


# A POSIX df row. The filesystem name may be wide enough to shift every column and the
# mountpoint may hold spaces, so the four numeric columns and the capacity anchor the match.
_DF_ROW = r"(?P<device>\S.*?)\s+{type}(?P<blocks>\d+)\s+(?P<used>\d+)\s+(?P<avail>\d+)\s+" \
    r"(?P<capacity>\d+%|-)\s+(?P<mount>\S.*?)\s*$"
_DF_PLAIN = re.compile(_DF_ROW.format(type=""))
_DF_TYPED = re.compile(_DF_ROW.format(type=r"(?P<type>\S+)\s+"))


def parse_df(text: str) -> list[Reading]:
    """Read `df -P -k`: used and free bytes and utilisation per mounted filesystem."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("Filesystem"):
        raise ParseError("df: missing the 'Filesystem ...' header line")
    header = lines[0].split()
    typed = header[1:2] == ["Type"]  # `df -T` adds a Type column before the sizes
    block_size = _df_block_size(header[2 if typed else 1] if len(header) > 2 else "")
    pattern = _DF_TYPED if typed else _DF_PLAIN
    readings: list[Reading] = []
    for number, line in _df_rows(lines[1:]):
        match = pattern.match(line)
        if match is None:
            raise ParseError(f"df line {number}: not a filesystem row: {line!r}")
        readings.extend(_filesystem_readings(match, block_size))
    return readings


def _df_block_size(column: str) -> int:
    """Bytes per block from the header ('1024-blocks' with -P, '1K-blocks' without)."""
    if column in ("1024-blocks", "1K-blocks"):
        return KIB
    raise ParseError(f"df: unexpected block column {column!r} (the driver sends 'df -P -k')")


def _df_rows(lines: list[str]) -> list[tuple[int, str]]:
    """Rows with line numbers; non-POSIX df wraps a long name alone onto its own line."""
    rows: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=2):
        if pending is not None:
            rows.append((pending[0], f"{pending[1]} {line.strip()}"))
            pending = None
        elif len(line.split()) == 1:
            pending = (number, line.strip())
        else:
            rows.append((number, line))
    if pending is not None:
        raise ParseError(f"df line {pending[0]}: filesystem {pending[1]!r} has no numbers")
    return rows


def _filesystem_readings(match: re.Match[str], block_size: int) -> list[Reading]:
    used, avail = int(match["used"]), int(match["avail"])
    if int(match["blocks"]) == 0:
        return []  # proc, sysfs and friends: no storage to report
    attributes = {"mountpoint": match["mount"], "system.device": match["device"]}
    readings = [
        Reading("system.filesystem.usage", used * block_size, {**attributes, "state": "used"}),
        Reading("system.filesystem.usage", avail * block_size, {**attributes, "state": "free"}),
    ]
    if used + avail > 0:
        # df's Capacity is used / (used + available): root's reserve does not count as free.
        readings.append(Reading("system.filesystem.utilization", used / (used + avail), attributes))
    return readings


def _int(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ParseError(f"{where}: {value!r} is not an integer") from None


def _float(value: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ParseError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ParseError(f"{where}: {value!r} is not a finite number")
    return number
