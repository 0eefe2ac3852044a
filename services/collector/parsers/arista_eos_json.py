"""Parsers for Arista EOS `| json` output, the preferred form on EOS.

The key names follow EOS's eAPI/CLI JSON models (`interfaces.<name>.interfaceCounters`,
`vrfs.<vrf>.peers.<ip>.peerState`, `cardSlots[].tempSensors[]`, ...). Sensor and supply
names are built the same way as from text output, so a device that switches between
JSON and text keeps its series. `show processes top once` has no JSON form on EOS, so
CPU stays a text command (`arista_eos.parse_show_processes_top_once`).
"""

from __future__ import annotations

import re
from typing import Any

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.arista_eos import sensor_name
from services.collector.parsers.common import ParseResult, finish, load_json, number

KIB = 1024


def parse_show_version_json(text: str) -> list[Reading]:
    """Uptime (seconds, as EOS gives it) and memory (EOS reports kB meaning KiB)."""
    data = load_json(text, "show version | json")
    readings = rd.uptime(float(data["uptime"])) if "uptime" in data else []
    if "memTotal" in data and "memFree" in data:
        total, free = float(data["memTotal"]) * KIB, float(data["memFree"]) * KIB
        readings += rd.memory(used=total - free, free=free, total=total)
    return readings


def parse_show_interfaces_json(text: str) -> list[Reading]:
    """Counters (raw, 64-bit), status and speed of every interface."""
    data = load_json(text, "show interfaces | json")
    result = ParseResult()
    for name, entry in data.get("interfaces", {}).items():
        try:
            result.extend(rd.interface(_interface(name, entry)))
        except (KeyError, TypeError, ValueError) as exc:
            result.problems.append(f"show interfaces | json: {name}: {exc!r}")
    return finish(result, "show interfaces | json")


def _interface(name: str, entry: dict[str, Any]) -> rd.InterfaceStats:
    counters = entry.get("interfaceCounters") or {}

    def total(*keys: str) -> float | None:
        values = [number(counters[key]) for key in keys if key in counters]
        return sum(v for v in values if v is not None) if values else None

    return rd.InterfaceStats(
        name=name,
        oper_up=entry["lineProtocolStatus"] == "up",
        admin_up=entry.get("interfaceStatus") != "disabled",
        speed_bps=number(entry.get("bandwidth")),
        in_octets=total("inOctets"), out_octets=total("outOctets"),
        in_packets=total("inUcastPkts", "inMulticastPkts", "inBroadcastPkts"),
        out_packets=total("outUcastPkts", "outMulticastPkts", "outBroadcastPkts"),
        in_errors=total("totalInErrors"), out_errors=total("totalOutErrors"),
        in_discards=total("inDiscards"), out_discards=total("outDiscards"),
    )


def parse_show_environment_temperature_json(text: str) -> list[Reading]:
    """Temperatures with overheat (alert) and critical thresholds, fixed or modular."""
    data = load_json(text, "show environment temperature | json")
    result = ParseResult()
    cards = [("", data)] + [
        (f"{card.get('entPhysicalClass', 'Card')} {card.get('relPos', '')}".strip(), card)
        for card in data.get("cardSlots", [])
    ]
    for module, holder in cards:
        for sensor in holder.get("tempSensors", []):
            number_part = re.sub(r"^\D*(?:\d+/)?", "", sensor.get("name", ""))
            name = sensor_name(module, number_part, sensor.get("description", ""))
            result.extend(rd.temperature(
                name, number(sensor.get("currentTemperature")),
                degraded=number(sensor.get("overheatThreshold")),
                critical=number(sensor.get("criticalThreshold")),
            ))
    return result


def parse_show_environment_cooling_json(text: str) -> list[Reading]:
    """Fan status and speed ratio (tray fans and power-supply fans), ambient temperature."""
    data = load_json(text, "show environment cooling | json")
    result = ParseResult()
    for slot in [*data.get("fanTraySlots", []), *data.get("powerSupplySlots", [])]:
        fans = slot.get("fans") or [slot]  # an empty slot has no fan list: report the slot
        for fan in fans:
            label = str(fan.get("label", slot.get("label", "")))
            status = _status(fan.get("status", ""))
            result.extend(rd.hw_status("fan", label, status))
            speed = number(fan.get("actualSpeed"))
            if speed is not None and rd.hw_state(status) != "absent":
                result.append(Reading("hw.fan.speed_ratio", speed / 100, {"sensor": label}))
    ambient = number(data.get("ambientTemperature"))
    if ambient is not None:
        result.extend(rd.temperature("Ambient", ambient))
    return result


def _status(value: str) -> str:
    """EOS JSON says 'ok' and 'notInserted' where the text table says 'Ok', 'Not Inserted'."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", value)
    return words[:1].upper() + words[1:].lower()


def parse_show_environment_power_json(text: str) -> list[Reading]:
    """Power-supply status and output power."""
    data = load_json(text, "show environment power | json")
    result = ParseResult()
    for slot, supply in data.get("powerSupplies", {}).items():
        sensor = f"PS {slot}"
        result.extend(rd.hw_status("power_supply", sensor, _status(supply.get("state", ""))))
        power = number(supply.get("outputPower"))
        if power is not None:
            result.append(Reading("hw.power", power, {"sensor": sensor}))
    return result


def parse_show_ip_bgp_summary_json(text: str) -> list[Reading]:
    """State and prefixes received of every peer in every VRF."""
    data = load_json(text, "show ip bgp summary | json")
    result = ParseResult()
    for vrf, body in data.get("vrfs", {}).items():
        for peer, entry in body.get("peers", {}).items():
            try:
                state = entry["peerState"]
                established = rd.bgp_state_code(state) == rd.BGP_STATES["established"]
                result.extend(rd.bgp_peer(
                    peer, state, asn=str(entry["asn"]), vrf=vrf, family="ipv4 unicast",
                    prefixes=number(entry.get("prefixReceived")) if established else None,
                ))
            except (KeyError, ValueError) as exc:
                result.problems.append(f"show ip bgp summary | json: peer {peer}: {exc!r}")
    return finish(result, "show ip bgp summary | json")


JSON_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("interfaces", "show interfaces | json", parse_show_interfaces_json),
    CommandSpec("environment", "show environment temperature | json",
                parse_show_environment_temperature_json),
    CommandSpec("environment", "show environment cooling | json",
                parse_show_environment_cooling_json),
    CommandSpec("environment", "show environment power | json",
                parse_show_environment_power_json),
    CommandSpec("system", "show version | json", parse_show_version_json),
    CommandSpec("bgp", "show ip bgp summary | json", parse_show_ip_bgp_summary_json),
)
