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
from collections.abc import Callable
from datetime import datetime

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.common import (
    ParseResult,
    check_not_error,
    finish,
    normalise_output,
    number,
    parse_blocks,
    parse_duration,
    size_bytes,
    split_sections,
)
from services.collector.parsers.textfsm_util import Record, parse_template
from shared.errors import ParseError

PLATFORM = "juniper_junos"
SectionParser = Callable[[str, dict[str, str]], list[Reading]]


def per_section(command: str, text: str, parse_one: SectionParser) -> ParseResult:
    """Run `parse_one(section_text, node_attributes)` on each node's part of the output."""
    cleaned = normalise_output(text, command)
    check_not_error(cleaned, command)
    sections = split_sections(cleaned)
    labelled = [(node or "device", (body, {"node": node} if node else {}))
                for node, body in sections]
    return parse_blocks(labelled, lambda pair: parse_one(*pair), command)


# ---------------------------------------------------------------- uptime

_BOOTED_AGO = re.compile(r"System booted:.*\((.+?) ago\)")


def parse_show_system_uptime(text: str) -> list[Reading]:
    """Uptime from 'Current time' minus 'System booted', per routing engine or node."""
    return per_section("show system uptime", text, _uptime_section)


def _uptime_section(body: str, node: dict[str, str]) -> list[Reading]:
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
    return rd.uptime(seconds, **node)


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


def _top_section(body: str, node: dict[str, str]) -> list[Reading]:
    idle, mem = _CPU_IDLE.search(body), _MEM.search(body)
    if not idle and not mem:
        raise ValueError("neither a 'CPU:' nor a 'Mem:' line")
    readings = rd.cpu(now=(100.0 - float(idle.group(1))) / 100, **node) if idle else []
    if mem:
        parts = {state: size_bytes(size) for size, state in _MEM_PART.findall(mem.group(1))}
        # FreeBSD: active and wired pages are in use; inactive and buffers can be reclaimed.
        readings += rd.memory(
            used=parts.get("Active", 0.0) + parts.get("Wired", 0.0), free=parts["Free"],
            extra_states={"inactive": parts.get("Inact", 0.0), "buffers": parts.get("Buf", 0.0)},
            **node,
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
    cleaned = normalise_output(text, "show chassis routing-engine")
    check_not_error(cleaned, "show chassis routing-engine")
    slots = re.split(r"^(?=\s*Slot \d+:)", cleaned, flags=re.MULTILINE)
    slots = [slot for slot in slots if _SLOT.match(slot)] or [cleaned]
    labelled = [(f"re{_slot_number(slot)}", slot) for slot in slots]
    several = len(slots) > 1
    return parse_blocks(labelled, lambda s: _engine(s, several), "show chassis routing-engine")


def _slot_number(slot: str) -> str:
    match = _SLOT.match(slot)
    return match.group(1) if match else "0"


def _engine(slot: str, several: bool) -> list[Reading]:
    node = {"node": f"re{_slot_number(slot)}"} if several else {}
    windows = {_WINDOWS[w]: (100.0 - float(idle)) / 100 for w, idle in _IDLE_WINDOW.findall(slot)}
    if not windows and (plain := _PLAIN_IDLE.search(slot)):
        windows["now"] = (100.0 - float(plain.group(1))) / 100
    readings = rd.cpu(**windows, **node)
    utilisation, dram = _MEM_UTIL.search(slot), _DRAM.search(slot)
    if utilisation and dram:
        total = size_bytes(dram.group(1) + dram.group(2))
        used = total * float(utilisation.group(1)) / 100
        readings += rd.memory(used=used, free=total - used, total=total, **node)
    uptime = _RE_UPTIME.search(slot)
    if uptime:
        readings += rd.uptime(parse_duration(uptime.group(1)), **node)
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
    result = ParseResult()
    seen: set[tuple[str, str]] = set()
    for record in parse_template(PLATFORM, "show bgp summary", text):
        try:
            result.extend(_bgp_record(record, seen))
        except ValueError as exc:
            result.problems.append(f"peer {record['peer_ip']}: {exc}")
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
