"""Parsers for Juniper Junos text output (JSON output, preferred: `juniper_junos_json`).

ntc-templates templates are used for `show system uptime` and `show bgp summary`.
Our own code reads the rest, because no template fits:

- `show interfaces extensive` (and plain `show interfaces`): the template keeps neither
  the byte/packet counters nor the error and drop counts.
- `show system processes summary`: the template keeps memory only, not the CPU line.
- `show chassis routing-engine` and `show chassis environment`: no template exists.

Output repeated per routing engine or cluster node ("node0:" over a dashed rule) is split
first (`common.split_sections`); device-wide metrics then carry a `node` attribute and
sensor names start with the node, so the two nodes never collide.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.common import (
    check_not_error,
    clean_output,
    finish,
    normalise_output,
    number,
    parse_blocks,
    parse_duration,
    per_section,
    size_bytes,
)
from services.collector.parsers.textfsm_util import Record, parse_records, parse_template
from shared.errors import ParseError

PLATFORM = "juniper_junos"


# ---------------------------------------------------------------- uptime

_BOOTED_AGO = re.compile(r"System booted:.*\((.+?) ago\)")


def parse_show_system_uptime(text: str) -> list[Reading]:
    """Uptime from 'Current time' minus 'System booted', per routing engine or node."""
    return per_section("show system uptime", text, _uptime_section)


def _uptime_section(body: str, node: str | None) -> list[Reading]:
    records = parse_template(PLATFORM, "show system uptime", body)
    if not records or not records[0]["boot_year"]:
        raise ValueError("no 'System booted' line")
    record = records[0]
    if record["timezone"] == record["boot_timezone"]:
        seconds = (_stamp(record, "") - _stamp(record, "boot_")).total_seconds()
    else:  # a DST change between boot and now: trust the device's own "(... ago)"
        ago = _BOOTED_AGO.search(body)
        if not ago:
            raise ValueError("boot and current time zones differ and no '(... ago)'")
        seconds = parse_duration(ago.group(1))
    return rd.uptime(seconds, node)


def _stamp(record: Record, prefix: str) -> datetime:
    return datetime.strptime(
        f"{record[prefix + 'year']}-{record[prefix + 'month']}-{record[prefix + 'day']} "
        f"{record[prefix + 'time']}", "%Y-%m-%d %H:%M:%S"
    )


# ---------------------------------------------------------------- cpu and memory (top header)

_CPU_IDLE = re.compile(r"^CPU:.*?([\d.]+)% idle", re.MULTILINE)
_MEM = re.compile(r"^Mem:(.*)$", re.MULTILINE)
_MEM_PART = re.compile(r"(\d+(?:\.\d+)?[KMGT]?B?)\s+(Active|Inact|Laundry|Wired|Cache|Buf|Free)")


def parse_show_system_processes_summary(text: str) -> list[Reading]:
    """CPU busy fraction and memory by FreeBSD state from the `top` header Junos prints."""
    return per_section("show system processes summary", text, _top_section)


def _top_section(body: str, node: str | None) -> list[Reading]:
    idle, mem = _CPU_IDLE.search(body), _MEM.search(body)
    if not idle and not mem:
        raise ValueError("neither a 'CPU:' nor a 'Mem:' line")
    readings = rd.cpu(now=(100.0 - float(idle.group(1))) / 100, node=node) if idle else []
    if mem:
        parts = {state: size_bytes(size) for size, state in _MEM_PART.findall(mem.group(1))}
        # FreeBSD: active and wired pages are in use; inactive and buffers can be reclaimed.
        readings += rd.memory(
            used=parts.get("Active", 0.0) + parts.get("Wired", 0.0), free=parts["Free"],
            extra_states={"inactive": parts.get("Inact", 0.0), "buffers": parts.get("Buf", 0.0)},
            node=node,
        )
    return readings


# ---------------------------------------------------------------- routing engine

_SLOT = re.compile(r"^\s*Slot (\d+):", re.MULTILINE)
_IDLE_WINDOW = re.compile(
    r"(5 sec|1 min|5 min|15 min) CPU utilization:.*?Idle\s+(\d+) percent", re.DOTALL
)
_PLAIN_IDLE = re.compile(r"CPU utilization:.*?Idle\s+(\d+) percent", re.DOTALL)
_MEM_UTIL = re.compile(r"Memory utilization\s+(\d+) percent")
_DRAM = re.compile(r"DRAM\s+(\d+) ?([KMGT]B)")
_RE_UPTIME = re.compile(r"^\s*Uptime\s+(.+?)\s*$", re.MULTILINE)
_WINDOWS = {"5 sec": "now", "1 min": "one_minute", "5 min": "five_minutes",
            "15 min": "fifteen_minutes"}


def parse_show_chassis_routing_engine(text: str) -> list[Reading]:
    """CPU (5 s .. 15 min), memory and uptime of each routing engine."""
    cleaned = clean_output(text, "show chassis routing-engine")
    slots = re.split(r"^(?=\s*Slot \d+:)", cleaned, flags=re.MULTILINE)
    slots = [slot for slot in slots if _SLOT.match(slot)] or [cleaned]
    labelled = [(f"re{_slot_number(slot)}", slot) for slot in slots]
    several = len(slots) > 1
    return parse_blocks(labelled, lambda s: _engine(s, several), "show chassis routing-engine")


def _slot_number(slot: str) -> str:
    match = _SLOT.match(slot)
    return match.group(1) if match else "0"


def _engine(slot: str, several: bool) -> list[Reading]:
    node = f"re{_slot_number(slot)}" if several else None
    windows = {_WINDOWS[w]: (100.0 - float(idle)) / 100 for w, idle in _IDLE_WINDOW.findall(slot)}
    if not windows and (plain := _PLAIN_IDLE.search(slot)):
        windows["now"] = (100.0 - float(plain.group(1))) / 100
    readings = rd.cpu(
        now=windows.get("now"), one_minute=windows.get("one_minute"),
        five_minutes=windows.get("five_minutes"),
        fifteen_minutes=windows.get("fifteen_minutes"), node=node,
    )
    utilisation, dram = _MEM_UTIL.search(slot), _DRAM.search(slot)
    if utilisation and dram:
        total = size_bytes(dram.group(1) + dram.group(2))
        used = total * float(utilisation.group(1)) / 100
        readings += rd.memory(used=used, free=total - used, total=total, node=node)
    uptime = _RE_UPTIME.search(slot)
    if uptime:
        readings += rd.uptime(parse_duration(uptime.group(1)), node)
    if not readings:
        raise ValueError("no CPU, memory or uptime lines")
    return readings


# ---------------------------------------------------------------- BGP

_FAMILIES = {"inet.0": "ipv4 unicast", "inet6.0": "ipv6 unicast", "inet.2": "ipv4 multicast",
             "inet6.2": "ipv6 multicast"}


def vrf_and_family(table: str) -> tuple[str, str]:
    """'wanTrusted.inet.0' -> ('wanTrusted', 'ipv4 unicast'); 'inet.0' -> ('default', ...)."""
    for suffix, family in _FAMILIES.items():
        if table == suffix or table.endswith("." + suffix):
            instance = table[: -len(suffix)].rstrip(".")
            return instance or "default", family
    return "default", table


def parse_show_bgp_summary(text: str) -> list[Reading]:
    """Peer state (one per peer) and prefixes received per routing table ('Establ' = 6)."""
    records = parse_template(PLATFORM, "show bgp summary", text)
    seen: set[tuple[str, str]] = set()
    result = parse_records(
        records, lambda record: _bgp_record(record, seen), lambda r: f"peer {r['peer_ip']}"
    )
    return finish(result, "show bgp summary")


def _bgp_record(record: Record, seen: set[tuple[str, str]]) -> list[Reading]:
    peer, table = record["peer_ip"], record["interface"]
    vrf, family = vrf_and_family(table) if table else ("default", "ipv4 unicast")
    readings = rd.bgp_peer(peer, record["state"], asn=record["peer_as"], vrf=vrf,
                           family=family, prefixes=number(record["received"]))
    if (peer, vrf) in seen:  # the second table of a peer: its state is already out
        readings = [r for r in readings if r.metric != "bgp.peer.state"]
    seen.add((peer, vrf))
    return readings


# ---------------------------------------------------------------- interfaces

_PHYSICAL = re.compile(
    r"^Physical interface: (?P<name>[^,\s]+), (?P<admin>[^,]+), Physical link is (?P<link>\w+)"
)
_SPEED = re.compile(r"\bSpeed: (\d+(?:\.\d+)?)\s*([kmg]?)bps", re.IGNORECASE)
_SPEED_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9}
_TRAFFIC = {
    "in_octets": re.compile(r"Input\s+bytes\s*:\s*(\d+)"),
    "out_octets": re.compile(r"Output\s+bytes\s*:\s*(\d+)"),
    "in_packets": re.compile(r"Input\s+packets\s*:\s*(\d+)"),
    "out_packets": re.compile(r"Output\s+packets\s*:\s*(\d+)"),
    # The first "Errors:"/"Drops:" after each heading belongs to that heading.
    "in_errors": re.compile(r"Input errors:.*?\bErrors: (\d+)", re.DOTALL),
    "in_discards": re.compile(r"Input errors:.*?\bDrops: (\d+)", re.DOTALL),
    "out_errors": re.compile(r"Output errors:.*?\bErrors: (\d+)", re.DOTALL),
    "out_discards": re.compile(r"Output errors:.*?\bDrops: (\d+)", re.DOTALL),
}


def split_physical_interfaces(text: str) -> list[tuple[str, str]]:
    """(name, block) per 'Physical interface:' block, logical interfaces cut off."""
    blocks = re.split(r"^(?=\s*Physical interface:)", text, flags=re.MULTILINE)
    result = []
    for block in blocks:
        if not block.strip().startswith("Physical interface:"):
            continue
        physical = re.split(r"^\s*Logical interface", block, maxsplit=1, flags=re.MULTILINE)[0]
        name = physical.split(":", 1)[1].split(",")[0].strip()
        result.append((name, physical.strip()))
    return result


def parse_interface_block(block: str) -> list[Reading]:
    """Counters (when the command printed them), status and speed of one interface."""
    header = _PHYSICAL.match(block)
    if not header:
        raise ValueError(f"malformed header {block.splitlines()[0]!r}")
    counters: dict[str, Any] = {}  # InterfaceStats counter fields by name
    for field, pattern in _TRAFFIC.items():
        match = pattern.search(block)
        counters[field] = float(match.group(1)) if match else None
    speed = _SPEED.search(block)
    stats = rd.InterfaceStats(
        name=header["name"],
        oper_up=header["link"].lower() == "up",
        admin_up=header["admin"].strip().lower() == "enabled",
        speed_bps=float(speed.group(1)) * _SPEED_SCALE[speed.group(2).lower()] if speed else None,
        **counters,
    )
    return rd.interface(stats)


def parse_show_interfaces(text: str) -> list[Reading]:
    """`show interfaces extensive` (or plain `show interfaces`), physical interfaces only."""
    cleaned = normalise_output(text)
    check_not_error(cleaned, "show interfaces")
    blocks = split_physical_interfaces(cleaned)
    if not blocks:
        raise ParseError("show interfaces: no 'Physical interface' blocks")
    return parse_blocks(blocks, parse_interface_block, "show interfaces")


# ---------------------------------------------------------------- environment

_RPM = re.compile(r"(\d+) RPM")
_CELSIUS = re.compile(r"(-?\d+) degrees C")
_KINDS = {"fans": "fan", "power": "power_supply"}


def parse_show_chassis_environment(text: str) -> list[Reading]:
    """Temperatures, fan status and speed, power-supply status, per cluster node."""
    return per_section("show chassis environment", text, _environment_section)


def _environment_section(body: str, node: str | None) -> list[Reading]:
    lines = body.splitlines()
    header = next((line for line in lines if re.match(r"^\s*Class\s+Item\s+Status", line)), None)
    if header is None:
        raise ValueError("no 'Class Item Status Measurement' header")
    # Fixed-width table: the Class cell is printed only on the first row of its class.
    columns = [header.index(word) for word in ("Item", "Status", "Measurement")]
    readings: list[Reading] = []
    kind = ""
    for line in lines[lines.index(header) + 1 :]:
        if not line.strip():
            continue
        kind = line[: columns[0]].strip().lower() or kind
        item = line[columns[0] : columns[1]].strip()
        prefix = f"{node} " if node else ""
        readings += _environment_row(kind, prefix + item, line[columns[1] : columns[2]].strip(),
                                     line[columns[2] :].strip())
    return readings


def _environment_row(kind: str, item: str, status: str, measurement: str) -> list[Reading]:
    if kind == "temp":
        celsius = _CELSIUS.search(measurement)
        return rd.temperature(item, float(celsius.group(1))) if celsius else []
    if kind not in _KINDS:
        return []
    readings = rd.hw_status(_KINDS[kind], item, status)
    rpm = _RPM.search(measurement)
    if rpm:
        readings.append(Reading("hw.fan.speed", float(rpm.group(1)), {"sensor": item}))
    return readings


PARSERS = {
    "show system uptime": parse_show_system_uptime,
    "show system processes summary": parse_show_system_processes_summary,
    "show chassis routing-engine": parse_show_chassis_routing_engine,
    "show interfaces extensive": parse_show_interfaces,
    "show interfaces": parse_show_interfaces,
    "show chassis environment": parse_show_chassis_environment,
    "show bgp summary": parse_show_bgp_summary,
}

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("cpu", "show chassis routing-engine", parse_show_chassis_routing_engine),
    CommandSpec("interfaces", "show interfaces extensive", parse_show_interfaces),
    CommandSpec("environment", "show chassis environment", parse_show_chassis_environment),
    CommandSpec("system", "show system uptime", parse_show_system_uptime),
    CommandSpec("bgp", "show bgp summary", parse_show_bgp_summary),
)
