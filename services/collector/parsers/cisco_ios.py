"""Parsers for Cisco IOS and IOS-XE text output.

ntc-templates templates are used for `show processes cpu`, `show version`,
`show ip bgp summary`, `show environment temperature`, `show environment power all` and
`show power status`. Two commands are read by our own code, because no template fits:

- `show interfaces`: the template keeps packets and errors but not the byte counters
  ("N packets input, N bytes"), which are the point of interface monitoring.
- `show processes memory sorted`: the template keeps only the first pool line
  (Processor) and drops the others ("lsmpi_io Pool Total: ...").

IOS prints 64-bit interface counters on current hardware ("41399413469427 bytes" in the
corpus); older boxes wrap at 2^32 (TRICKY_FEATURES #21). Readings say 64 bits, so a 32-bit
wrap looks to the poller like a counter reset: one interval without a rate, never a
negative one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.common import (
    ParseResult,
    clean_output,
    finish,
    number,
    parse_blocks,
    parse_duration,
    required,
    squash,
)
from services.collector.parsers.textfsm_util import (
    Record,
    Records,
    parse_records,
    parse_template,
)
from shared.errors import ParseError

PLATFORM = "cisco_ios"


def _records(command: str, text: str) -> Records:
    return parse_template(PLATFORM, command, text)


# ---------------------------------------------------------------- cpu, memory, uptime


def parse_show_processes_cpu(text: str) -> list[Reading]:
    """CPU busy fractions for 5 s, 1 min and 5 min from `show processes cpu`."""
    return cpu_from_records(_records("show processes cpu", text), "cpu_usage_")


def cpu_from_records(records: Records, key_prefix: str) -> ParseResult:
    """CPU busy fractions from the `<key_prefix>5_sec/1_min/5_min` percentages (IOS, NX-OS)."""
    if not records:
        raise ParseError("show processes cpu: no 'CPU utilization' line")
    first = records[0]
    readings = rd.cpu(
        now=required(first[f"{key_prefix}5_sec"], "5 s CPU") / 100,
        one_minute=required(first[f"{key_prefix}1_min"], "1 min CPU") / 100,
        five_minutes=required(first[f"{key_prefix}5_min"], "5 min CPU") / 100,
    )
    return ParseResult(readings, records.problems)


_POOL = re.compile(
    r"^\s*(?P<pool>\S.*?)\s+Pool\s+Total:\s*(?P<total>\d+)\s+Used:\s*(?P<used>\d+)"
    r"\s+Free:\s*(?P<free>\d+)"
)


def parse_show_processes_memory_sorted(text: str) -> list[Reading]:
    """Used and free bytes per pool; the Processor pool is the device's main memory."""
    cleaned = clean_output(text, "show processes memory sorted")
    result = ParseResult()
    for match in map(_POOL.match, cleaned.splitlines()):
        if match:
            pool = match["pool"]
            result.extend(rd.memory(
                used=float(match["used"]), free=float(match["free"]),
                total=float(match["total"]), pool=None if pool == "Processor" else pool,
            ))
    if not result:
        raise ParseError("show processes memory sorted: no 'Pool Total' line")
    return result


def parse_show_version(text: str) -> list[Reading]:
    """Uptime in seconds from the 'uptime is' line of `show version`."""
    return uptime_from_records(_records("show version", text), "uptime is")


def uptime_from_records(records: Records, uptime_line: str) -> ParseResult:
    """Uptime from the `uptime` column of `show version` records (IOS, NX-OS)."""
    if not records or not records[0]["uptime"]:
        raise ParseError(f"show version: no '{uptime_line}' line")
    return ParseResult(rd.uptime(parse_duration(records[0]["uptime"])), records.problems)


# ---------------------------------------------------------------- interfaces

_HEADER = re.compile(r"^(?P<name>\S+) is (?P<link>.+?), line protocol is (?P<proto>\S+)")
_SPEED = re.compile(r"\b(\d+(?:\.\d+)?)\s*([KMG])b/s\b")
_BW = re.compile(r"\bBW (\d+) kbit", re.IGNORECASE)
_FIELDS = {
    "in_packets": re.compile(r"(\d+) packets input"),
    "in_octets": re.compile(r"packets input, (\d+) bytes"),
    "out_packets": re.compile(r"(\d+) packets output"),
    "out_octets": re.compile(r"packets output, (\d+) bytes"),
    "in_errors": re.compile(r"(\d+) input errors"),
    "out_errors": re.compile(r"(\d+) output errors"),
    "in_discards": re.compile(r"Input queue: \d+/\d+/(\d+)/\d+"),
    "out_discards": re.compile(r"Total output drops: (\d+)"),
}
_SCALE = {"K": 1e3, "M": 1e6, "G": 1e9}


def split_interface_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(name, block) per interface: every unindented line starts a block, as IOS prints them.

    A mangled header still starts its own block, so it is reported as broken instead of
    lending its counters to the interface above it.
    """
    name, lines = "", list[str]()
    for line in text.splitlines():
        if line[:1].strip():
            if lines:
                yield name, "\n".join(lines)
            name, lines = line.split()[0], []
        if lines or line.strip():
            lines.append(line)
    if lines:
        yield name, "\n".join(lines)


def parse_interface_block(
    block: str, fields: dict[str, re.Pattern[str]] = _FIELDS
) -> list[Reading]:
    """Counters, status and speed of one `show interfaces` block (IOS, or EOS's twin)."""
    header = _HEADER.match(block)
    if not header:
        raise ValueError(f"no 'line protocol' header in {block.splitlines()[0]!r}")
    counters: dict[str, Any] = {}  # InterfaceStats counter fields by name
    for field, pattern in fields.items():
        match = pattern.search(block)
        counters[field] = number(match.group(1)) if match else None
    stats = rd.InterfaceStats(
        name=header["name"],
        oper_up=header["proto"].lower() == "up",
        admin_up=not header["link"].lower().startswith("administratively"),
        speed_bps=interface_speed(block),
        **counters,
    )
    return rd.interface(stats)


def interface_speed(block: str, bandwidth_line: re.Pattern[str] = _BW) -> float | None:
    """Speed in bit/s from '1000Mb/s' (IOS, EOS, NX-OS), else from the 'BW N Kbit' line."""
    speed = _SPEED.search(block)
    if speed:
        return float(speed.group(1)) * _SCALE[speed.group(2)]
    bandwidth = bandwidth_line.search(block)
    return float(bandwidth.group(1)) * 1e3 if bandwidth else None


def parse_show_interfaces(text: str) -> list[Reading]:
    """Interface counters (raw, 64-bit), status and speed; a broken block is skipped."""
    return parse_interfaces_in_ios_layout(text, _FIELDS)


def parse_interfaces_in_ios_layout(
    text: str, fields: dict[str, re.Pattern[str]]
) -> ParseResult:
    """`show interfaces` as IOS and EOS print it, counters found with `fields`."""
    cleaned = clean_output(text, "show interfaces")
    blocks = list(split_interface_blocks(cleaned))
    if not blocks:
        raise ParseError("show interfaces: no interface blocks")
    return parse_blocks(
        blocks, lambda block: parse_interface_block(block, fields), "show interfaces"
    )


# ---------------------------------------------------------------- environment


def parse_show_environment_temperature(text: str) -> list[Reading]:
    """Inlet and hotspot temperatures with yellow/red thresholds, per stack member."""
    records = _records("show environment temperature", text)
    result = ParseResult(problems=records.problems)
    for record in records:
        switch = record["switch"]
        for place in ("inlet", "hotspot"):
            try:
                result.extend(_temperature(record, place, switch))
            except ValueError as exc:
                result.problems.append(f"switch {switch} {place}: {exc}")
    return finish(result, "show environment temperature")


def _temperature(record: Record, place: str, switch: str) -> list[Reading]:
    value = number(record[f"{place}_temperature_value"])
    if value is None:
        return []
    sensor = squash(f"Switch {switch} {place.capitalize()}") if switch else place.capitalize()
    return rd.temperature(
        sensor, value,
        degraded=number(record[f"{place}_yellow_threshold"]),
        critical=number(record[f"{place}_red_threshold"]),
    )


def parse_show_environment_power_all(text: str) -> list[Reading]:
    """Power-supply status per stack slot ('1A', '2B'); 'Not Present' slots are absent."""
    records = _records("show environment power all", text)
    result = ParseResult(problems=records.problems)
    for record in records:
        status = record["status"] or record["pid"]  # "Not Present" lands in the PID column
        result.extend(rd.hw_status("power_supply", f"PS {record['ps_module']}", status))
    return result


def parse_show_power_status(text: str) -> list[Reading]:
    """Power-supply and PSU-fan status from `show power status` (Catalyst 4500)."""
    records = _records("show power status", text)
    result = ParseResult(problems=records.problems)
    for record in records:
        if record["status"]:  # input rows ("PS1-1") repeat the supply's columns
            result.extend(rd.hw_status("power_supply", record["ps"], record["status"]))
        if record["fan_sensor"] and not record["input_type"]:
            result.extend(rd.hw_status("fan", f"{record['ps']} fan", record["fan_sensor"]))
    return result


# ---------------------------------------------------------------- BGP


def parse_show_ip_bgp_summary(text: str) -> list[Reading]:
    """State of every IPv4 BGP neighbour, and prefixes received from established ones."""
    records = _records("show ip bgp summary", text)
    result = parse_records(records, _neighbour, lambda r: f"neighbour {r['bgp_neighbor']}")
    return finish(result, "show ip bgp summary")


def _neighbour(record: Record) -> list[Reading]:
    return bgp_neighbour(record["bgp_neighbor"], record["neighbor_as"],
                         record["state_or_prefixes_received"])


def bgp_neighbour(
    peer: str, asn: str, state_or_prefixes: str, *, vrf: str = "default",
    family: str = "ipv4 unicast",
) -> list[Reading]:
    """Readings for a State/PfxRcd cell: a number means established with that many prefixes."""
    cell = state_or_prefixes.strip()
    if cell.isdigit():
        return rd.bgp_peer(peer, "established", asn=asn, vrf=vrf, family=family,
                           prefixes=float(cell))
    return rd.bgp_peer(peer, cell, asn=asn, vrf=vrf, family=family)


PARSERS = {
    "show processes cpu": parse_show_processes_cpu,
    "show processes memory sorted": parse_show_processes_memory_sorted,
    "show version": parse_show_version,
    "show interfaces": parse_show_interfaces,
    "show environment temperature": parse_show_environment_temperature,
    "show environment power all": parse_show_environment_power_all,
    "show power status": parse_show_power_status,
    "show ip bgp summary": parse_show_ip_bgp_summary,
}

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("cpu", "show processes cpu", parse_show_processes_cpu),
    CommandSpec("memory", "show processes memory sorted", parse_show_processes_memory_sorted),
    CommandSpec("interfaces", "show interfaces", parse_show_interfaces),
    CommandSpec("environment", "show environment temperature",
                parse_show_environment_temperature),
    CommandSpec("environment", "show environment power all", parse_show_environment_power_all),
    CommandSpec("system", "show version", parse_show_version),
    CommandSpec("bgp", "show ip bgp summary", parse_show_ip_bgp_summary),
)
