"""Parsers for Juniper Junos `| display json` output, the preferred form on Junos.

Junos JSON mirrors its XML: every element is a list of objects and every leaf is
`[{"data": "text", "attributes": {...}}]`, where attributes carry exact values such as
`junos:seconds` and `junos:celsius`. Output from several routing engines or cluster
nodes comes wrapped in `multi-routing-engine-results`; each item names its node in
`re-name`, and readings get a `node` attribute (sensor names start with the node).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.common import (
    BLOCK_ERRORS,
    ParseResult,
    finish,
    load_json,
    number,
    parse_duration,
    size_bytes,
)
from services.collector.parsers.juniper_junos import vrf_and_family

Node = dict[str, Any]


def leaf(node: Node, key: str) -> str | None:
    """Text of the first `key` leaf of a Junos JSON element, or None."""
    items = node.get(key)
    if not items:
        return None
    data = items[0].get("data")
    return None if data is None else str(data).strip()


def attribute(node: Node, key: str, name: str) -> str | None:
    """An attribute such as `junos:seconds` of the first `key` leaf, or None."""
    items = node.get(key)
    return items[0].get("attributes", {}).get(name) if items else None


def children(node: Node, key: str) -> list[Node]:
    """All `key` child elements (a list in Junos JSON, possibly absent)."""
    value = node.get(key)
    return value if isinstance(value, list) else []


def per_engine(data: Node, info_key: str) -> Iterator[tuple[str | None, Node]]:
    """(node name or None, information element) for plain or multi-RE wrapped output."""
    wrapped = children(data, "multi-routing-engine-results")
    if not wrapped:
        for info in children(data, info_key):
            yield None, info
        return
    for item in children(wrapped[0], "multi-routing-engine-item"):
        for info in children(item, info_key):
            yield leaf(item, "re-name") or "?", info


def _collect(text: str, what: str, info_key: str, element_key: str,
             parse_one: Callable[[Node, str | None], list[Reading]]) -> ParseResult:
    """Parse every `element_key` element alone; a broken one becomes a problem."""
    result = ParseResult()
    for node, info in per_engine(load_json(text, what), info_key):
        for element in children(info, element_key):
            try:
                result.extend(parse_one(element, node))
            except BLOCK_ERRORS as exc:
                label = leaf(element, "name") or leaf(element, "peer-address") or "?"
                result.problems.append(f"{what}: {label}: {exc!r}")
    return finish(result, what)


# ---------------------------------------------------------------- interfaces


def parse_show_interfaces_json(text: str) -> list[Reading]:
    """Physical-interface counters (raw, 64-bit), status and speed."""
    return _collect(text, "show interfaces extensive | display json",
                    "interface-information", "physical-interface", _interface)


def _interface(element: Node, node: str | None) -> list[Reading]:
    name = leaf(element, "name")
    if not name:
        raise KeyError("physical-interface without a name")
    traffic = (children(element, "traffic-statistics") or [{}])[0]
    inputs = (children(element, "input-error-list") or [{}])[0]
    outputs = (children(element, "output-error-list") or [{}])[0]
    speed = leaf(element, "speed") or ""
    stats = rd.InterfaceStats(
        name=name,
        oper_up=leaf(element, "oper-status") == "up",
        admin_up=leaf(element, "admin-status") == "up",
        speed_bps=_speed(speed),
        in_octets=number(leaf(traffic, "input-bytes")),
        out_octets=number(leaf(traffic, "output-bytes")),
        in_packets=number(leaf(traffic, "input-packets")),
        out_packets=number(leaf(traffic, "output-packets")),
        in_errors=number(leaf(inputs, "input-errors")),
        in_discards=number(leaf(inputs, "input-drops")),
        out_errors=number(leaf(outputs, "output-errors")),
        out_discards=number(leaf(outputs, "output-drops")),
    )
    return rd.interface(stats)


def _speed(text: str) -> float | None:
    scale = {"gbps": 1e9, "mbps": 1e6, "kbps": 1e3, "bps": 1.0}
    lowered = text.lower()
    for suffix, factor in scale.items():
        if lowered.endswith(suffix) and lowered[: -len(suffix)].replace(".", "").isdigit():
            return float(lowered[: -len(suffix)]) * factor
    return None  # "Unlimited", "Auto"


# ---------------------------------------------------------------- routing engine, uptime


def parse_show_chassis_routing_engine_json(text: str) -> list[Reading]:
    """CPU (5 s .. 15 min), memory and uptime of each routing engine."""
    data = load_json(text, "show chassis routing-engine | display json")
    engines = [engine for _, info in per_engine(data, "route-engine-information")
               for engine in children(info, "route-engine")]
    several = len(engines) > 1
    result = ParseResult()
    for engine in engines:
        slot = leaf(engine, "slot") or "0"
        try:
            result.extend(_engine(engine, f"re{slot}" if several else None))
        except BLOCK_ERRORS as exc:
            result.problems.append(f"routing engine {slot}: {exc!r}")
    return finish(result, "show chassis routing-engine | display json")


def _engine(engine: Node, node: str | None) -> list[Reading]:
    windows = {}
    for key, window in (("cpu-idle", "now"), ("cpu-idle1", "one_minute"),
                        ("cpu-idle2", "five_minutes"), ("cpu-idle3", "fifteen_minutes")):
        idle = number(leaf(engine, key))
        if idle is not None:
            windows[window] = (100.0 - idle) / 100
    readings = rd.cpu(
        now=windows.get("now"), one_minute=windows.get("one_minute"),
        five_minutes=windows.get("five_minutes"),
        fifteen_minutes=windows.get("fifteen_minutes"), node=node,
    )
    dram, used_percent = leaf(engine, "memory-dram-size"), number(
        leaf(engine, "memory-buffer-utilization"))
    if dram and used_percent is not None:
        total = size_bytes(dram.split("(")[0].replace(" ", ""))
        used = total * used_percent / 100
        readings += rd.memory(used=used, free=total - used, total=total, node=node)
    seconds = attribute(engine, "up-time", "junos:seconds")
    uptime_text = leaf(engine, "up-time")
    if seconds is not None or uptime_text:
        value = float(seconds) if seconds is not None else parse_duration(uptime_text or "")
        readings += rd.uptime(value, node)
    return readings


def parse_show_system_uptime_json(text: str) -> list[Reading]:
    """Seconds since boot from system-booted-time, per routing engine or node."""
    data = load_json(text, "show system uptime | display json")
    result = ParseResult()
    for node, info in per_engine(data, "system-uptime-information"):
        booted = (children(info, "system-booted-time") or [{}])[0]
        seconds = attribute(booted, "time-length", "junos:seconds")
        length = leaf(booted, "time-length")
        if seconds is not None:
            result.extend(rd.uptime(float(seconds), node))
        elif length:
            result.extend(rd.uptime(parse_duration(length), node))
        else:
            result.problems.append(f"show system uptime | display json: {node}: no boot time")
    return finish(result, "show system uptime | display json")


# ---------------------------------------------------------------- environment, BGP


def parse_show_chassis_environment_json(text: str) -> list[Reading]:
    """Temperatures, fan and power-supply status; fan RPM where the comment gives it."""
    result = ParseResult()
    data = load_json(text, "show chassis environment | display json")
    for node, info in per_engine(data, "environment-information"):
        kind = ""
        for item in children(info, "environment-item"):
            kind = (leaf(item, "class") or kind).lower()  # class only on a group's first item
            result.extend(_environment_item(item, kind, node))
    return result


def _environment_item(item: Node, kind: str, node: str | None) -> list[Reading]:
    name = f"{node} {leaf(item, 'name')}" if node else str(leaf(item, "name"))
    celsius = attribute(item, "temperature", "junos:celsius")
    if kind == "temp":
        return rd.temperature(name, float(celsius)) if celsius is not None else []
    kinds = {"fans": "fan", "power": "power_supply"}
    if kind not in kinds:
        return []
    readings = rd.hw_status(kinds[kind], name, leaf(item, "status") or "")
    comment = leaf(item, "comment") or ""
    if comment.endswith("RPM"):
        readings.append(Reading("hw.fan.speed", float(comment.split()[0]), {"sensor": name}))
    return readings


def parse_show_bgp_summary_json(text: str) -> list[Reading]:
    """Peer state and prefixes received per routing table."""
    return _collect(text, "show bgp summary | display json", "bgp-information", "bgp-peer",
                    _peer)


def _peer(peer: Node, node: str | None) -> list[Reading]:
    address = (leaf(peer, "peer-address") or "").split("+")[0]  # "10.0.0.1+179"
    state, asn = leaf(peer, "peer-state") or "", leaf(peer, "peer-as") or "0"
    ribs = children(peer, "bgp-rib")
    if not ribs:
        return rd.bgp_peer(address, state, asn=asn, node=node)
    readings: list[Reading] = []
    for index, rib in enumerate(ribs):
        vrf, family = vrf_and_family(leaf(rib, "name") or "inet.0")
        peer_readings = rd.bgp_peer(address, state, asn=asn, vrf=vrf, family=family,
                                    prefixes=number(leaf(rib, "received-prefix-count")), node=node)
        readings += peer_readings if index == 0 else peer_readings[1:]
    return readings


JSON_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("cpu", "show chassis routing-engine | display json",
                parse_show_chassis_routing_engine_json),
    CommandSpec("interfaces", "show interfaces extensive | display json",
                parse_show_interfaces_json),
    CommandSpec("environment", "show chassis environment | display json",
                parse_show_chassis_environment_json),
    CommandSpec("system", "show system uptime | display json", parse_show_system_uptime_json),
    CommandSpec("bgp", "show bgp summary | display json", parse_show_bgp_summary_json),
)
