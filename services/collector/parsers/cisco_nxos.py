"""Parsers for Cisco NX-OS text output (JSON output: `cisco_nxos_json`).

ntc-templates templates are used for `show processes cpu`, `show version`,
`show environment`, `show environment temperature`, `show ip bgp summary` and
`show ip bgp summary vrf all`. Our own code reads two commands no template fits:

- `show interface`: the template keeps packet, error and discard counters but not the
  byte counters ("N input packets  N bytes"), and it stores the line-protocol state in
  its `admin_state` column for SVIs.
- `show system resources`: ntc-templates has no template for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.cisco_ios import (
    bgp_neighbour,
    cpu_from_records,
    interface_speed,
    uptime_from_records,
)
from services.collector.parsers.common import (
    ParseResult,
    clean_output,
    finish,
    number,
    parse_blocks,
    size_bytes,
    squash,
)
from services.collector.parsers.textfsm_util import (
    Record,
    Records,
    parse_records,
    parse_template,
)
from shared.errors import ParseError

PLATFORM = "cisco_nxos"


def _records(command: str, text: str) -> Records:
    return parse_template(PLATFORM, command, text)


# ---------------------------------------------------------------- cpu, memory, uptime


def parse_show_processes_cpu(text: str) -> list[Reading]:
    """CPU busy fractions for 5 s, 1 min and 5 min from `show processes cpu`."""
    return cpu_from_records(_records("show processes cpu", text), "cpu_")


_LOAD = re.compile(
    r"Load average:\s*1 minute:\s*([\d.]+)\s+5 minutes:\s*([\d.]+)\s+15 minutes:\s*([\d.]+)"
)
_CPU_STATES = re.compile(r"^CPU states\s*:.*?([\d.]+)% idle", re.MULTILINE)
_MEMORY = re.compile(
    r"Memory usage:\s*(\d+[KMG]?)\s+total,\s*(\d+[KMG]?)\s+used,\s*(\d+[KMG]?)\s+free"
)


def parse_show_system_resources(text: str) -> list[Reading]:
    """Memory used/free/total, CPU busy share and the 1/5/15-minute load averages."""
    cleaned = clean_output(text, "show system resources")
    memory, load = _MEMORY.search(cleaned), _LOAD.search(cleaned)
    if not memory:
        raise ParseError("show system resources: no 'Memory usage' line")
    total, used, free = (size_bytes(value) for value in memory.groups())
    readings = rd.memory(used=used, free=free, total=total)
    cpu_states = _CPU_STATES.search(cleaned)
    if cpu_states:  # the only CPU figure when `show processes cpu` is not polled
        readings.extend(rd.cpu(now=(100 - float(cpu_states.group(1))) / 100))
    if load:
        for window, value in zip(("1m", "5m", "15m"), load.groups(), strict=True):
            readings.append(Reading(f"system.cpu.load_average.{window}", float(value)))
    return readings


def parse_show_version(text: str) -> list[Reading]:
    """Uptime in seconds from 'Kernel uptime is ...' in `show version`."""
    return uptime_from_records(_records("show version", text), "Kernel uptime is")


# ---------------------------------------------------------------- interfaces

_HEADER = re.compile(r"^(?P<name>\S+) is (?P<state>[\w-]+)(?: \((?P<reason>[^)]*)\))?")
_ADMIN = re.compile(r"^\s*admin state is (\w+)", re.MULTILINE)
# The IOS default also accepts EOS's lower-case "kbit"; NX-OS keeps its case-sensitive match.
_BW = re.compile(r"\bBW (\d+) Kbit")


def split_interface_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(name, block) per interface; only an unindented 'X is ...' line starts a block."""
    name, lines = "", list[str]()
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header and not line.startswith("admin state"):
            if lines:
                yield name, "\n".join(lines)
            name, lines = header["name"], []
        if lines or line.strip():
            lines.append(line)
    if lines:
        yield name, "\n".join(lines)


def _section(block: str, start: str, stop: str | None) -> str:
    """Lines of the RX or TX part of a block ('RX'/'Rx' up to 'TX'/'Tx')."""
    match = re.search(rf"^\s*{start}\s*$(.*?)(?=^\s*{stop}\s*$|\Z)" if stop
                      else rf"^\s*{start}\s*$(.*)", block, re.MULTILINE | re.DOTALL
                      | re.IGNORECASE)
    return match.group(1) if match else ""


def _direction(section: str, word: str) -> dict[str, float | None]:
    """Packets and bytes of one direction, in the Ethernet, mgmt0 or NVE layout."""
    nve = re.findall(r"(\d+) pkts, (\d+) bytes", section)
    if nve:
        return {"packets": sum(float(p) for p, _ in nve), "octets": sum(float(b) for _, b in nve)}
    packets = re.search(rf"(\d+) {word} packets", section)
    octets = re.search(r"(\d+) bytes", section)
    return {"packets": float(packets.group(1)) if packets else None,
            "octets": float(octets.group(1)) if octets else None}


def _count(block: str, pattern: str) -> float | None:
    match = re.search(pattern, block)
    return float(match.group(1)) if match else None


def parse_interface_block(block: str) -> list[Reading]:
    """Counters, status and speed of one `show interface` block."""
    header = _HEADER.match(block)
    if not header:
        raise ValueError(f"no 'is up/down' header in {block.splitlines()[0]!r}")
    rx = _direction(_section(block, "RX", "TX"), "input")
    tx = _direction(_section(block, "TX", None), "output")
    stats = rd.InterfaceStats(
        name=header["name"],
        oper_up=header["state"].lower() == "up",
        admin_up=_admin_up(block, header["reason"]),
        speed_bps=interface_speed(block, _BW),
        in_octets=rx["octets"], out_octets=tx["octets"],
        in_packets=rx["packets"], out_packets=tx["packets"],
        in_errors=_count(block, r"(\d+) input error"),
        out_errors=_count(block, r"(\d+) output error"),
        in_discards=_count(block, r"(\d+) input discard"),
        out_discards=_count(block, r"(\d+) output discard"),
    )
    return rd.interface(stats)


def _admin_up(block: str, reason: str | None) -> bool:
    admin = _ADMIN.search(block)
    if admin:
        return admin.group(1).lower() == "up"
    return not (reason or "").lower().startswith("administratively down")


def parse_show_interface(text: str) -> list[Reading]:
    """Interface counters (raw, 64-bit), status and speed; a broken block is skipped."""
    cleaned = clean_output(text, "show interface")
    blocks = list(split_interface_blocks(cleaned))
    if not blocks:
        raise ParseError("show interface: no interface blocks")
    return parse_blocks(blocks, parse_interface_block, "show interface")


# ---------------------------------------------------------------- environment


def parse_show_environment(text: str) -> list[Reading]:
    """Power supplies, fans and temperatures (with major/minor thresholds)."""
    records = _records("show environment", text)
    result = parse_records(records, _environment_row, lambda r: f"show environment row {r}")
    return finish(result, "show environment")


def _environment_row(record: Record) -> list[Reading]:
    if record["power_supply"]:
        sensor = f"PS {record['power_supply']}"
        readings = rd.hw_status("power_supply", sensor, record["power_supply_status"])
        output = number(record["power_supply_output"])
        if output is not None:
            readings.append(Reading("hw.power", output, {"sensor": sensor}))
        return readings
    if record["fan"]:
        return rd.hw_status("fan", record["fan"], record["fan_status"])
    if record["temperature_sensor"]:
        return temperature_row(record["temperature_module"], record["temperature_sensor"],
                            record["temperature_current"], record["temperature_minor_thresh"],
                            record["temperature_major_thresh"])
    return []


def temperature_row(module: str, sensor: str, current: str, minor: str, major: str
                 ) -> list[Reading]:
    name = squash(f"Module {module} {sensor}")
    return rd.temperature(name, number(current), degraded=number(minor), critical=number(major))


def parse_show_environment_temperature(text: str) -> list[Reading]:
    """Temperatures with major/minor thresholds from `show environment temperature`."""
    records = _records("show environment temperature", text)
    result = parse_records(records, _temperature_record, lambda r: f"sensor {r['sensor']!r}")
    return finish(result, "show environment temperature")


def _temperature_record(record: Record) -> list[Reading]:
    return temperature_row(record["module"], record["sensor"], record["current_value"],
                           record["minor_threshold"], record["major_threshold"])


# ---------------------------------------------------------------- BGP

_FAMILY = re.compile(r"address family (\S+ \S+)", re.IGNORECASE)


def parse_show_ip_bgp_summary(text: str) -> list[Reading]:
    """State and prefixes received of every neighbour of one VRF (default unless named)."""
    family_match = _FAMILY.search(text)
    family = family_match.group(1).lower() if family_match else "ipv4 unicast"
    return _bgp(_records("show ip bgp summary", text), family, "show ip bgp summary")


def parse_show_ip_bgp_summary_vrf_all(text: str) -> list[Reading]:
    """State and prefixes received of every neighbour in every VRF."""
    records = _records("show ip bgp summary vrf all", text)
    return _bgp(records, None, "show ip bgp summary vrf all")


def _bgp(records: Records, family: str | None, what: str) -> ParseResult:
    def neighbour(record: Record) -> list[Reading]:
        return bgp_neighbour(
            record["bgp_neigh"], record["neigh_as"], record["state_pfxrcd"], vrf=record["vrf"],
            family=family or record.get("address_family", "ipv4 unicast").lower(),
        )

    result = parse_records(records, neighbour, lambda r: f"neighbour {r['bgp_neigh']}")
    return finish(result, what)


PARSERS = {
    "show processes cpu": parse_show_processes_cpu,
    "show system resources": parse_show_system_resources,
    "show version": parse_show_version,
    "show interface": parse_show_interface,
    "show environment": parse_show_environment,
    "show environment temperature": parse_show_environment_temperature,
    "show ip bgp summary": parse_show_ip_bgp_summary,
    "show ip bgp summary vrf all": parse_show_ip_bgp_summary_vrf_all,
}

# CPU comes from the "CPU states" line of `show system resources`; `show processes cpu`
# (5 s / 1 min / 5 min, but a long process table) stays in PARSERS for those who want it.
# Polling both would give system.cpu.utilization two values per poll.
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("memory", "show system resources", parse_show_system_resources),
    CommandSpec("interfaces", "show interface", parse_show_interface),
    CommandSpec("environment", "show environment", parse_show_environment),
    CommandSpec("system", "show version", parse_show_version),
    CommandSpec("bgp", "show ip bgp summary vrf all", parse_show_ip_bgp_summary_vrf_all),
)
