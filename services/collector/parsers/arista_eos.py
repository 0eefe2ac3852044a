"""Parsers for Arista EOS text output (JSON output, preferred on EOS: `arista_eos_json`).

ntc-templates templates are used for `show processes top once`, `show version`,
`show environment temperature|cooling|power` and `show ip bgp summary`. Our own code
reads `show interfaces`, because the EOS template keeps no counter at all; EOS prints
the same block layout as IOS, so the IOS block reader is reused with EOS's discard lines.
"""

from __future__ import annotations

import re

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.cisco_ios import parse_interfaces_in_ios_layout
from services.collector.parsers.common import (
    ParseResult,
    finish,
    number,
    parse_duration,
    percent,
    quantity,
    required,
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

PLATFORM = "arista_eos"


def _records(command: str, text: str) -> Records:
    return parse_template(PLATFORM, command, text)


# ---------------------------------------------------------------- cpu, memory, uptime


def parse_show_processes_top_once(text: str) -> list[Reading]:
    """CPU busy fraction (100 % minus idle) and load averages from the top header."""
    records = _records("show processes top once", text)
    if not records:
        raise ParseError("show processes top once: no top header")
    first = records[0]
    idle = required(first["global_cpu_percent_idle"], "idle %")
    readings = ParseResult(rd.cpu(now=(100.0 - idle) / 100), records.problems)
    for window, key in (("1m", "1"), ("5m", "5"), ("15m", "15")):
        value = number(first[f"global_load_average_{key}_minutes"])
        if value is not None:
            readings.append(Reading(f"system.cpu.load_average.{window}", value))
    return readings


def parse_show_version(text: str) -> list[Reading]:
    """Uptime, and total/free memory ('Total memory: 2028860 kB') from `show version`."""
    records = _records("show version", text)
    if not records:
        raise ParseError("show version: nothing recognised")
    first = records[0]
    readings = ParseResult(problems=records.problems)
    if first["uptime"]:
        readings += rd.uptime(parse_duration(first["uptime"]))
    total, free = number(first["total_memory"]), number(first["free_memory"])
    if total is not None and free is not None:
        # EOS prints kB and means KiB, like /proc/meminfo that it is read from.
        total, free = size_bytes(f"{total:.0f}K"), size_bytes(f"{free:.0f}K")
        readings += rd.memory(used=total - free, free=free, total=total)
    if not readings:
        raise ParseError("show version: neither uptime nor memory lines")
    return readings


# ---------------------------------------------------------------- interfaces

_FIELDS = {
    "in_packets": re.compile(r"(\d+) packets input"),
    "in_octets": re.compile(r"packets input, (\d+) bytes"),
    "out_packets": re.compile(r"(\d+) packets output"),
    "out_octets": re.compile(r"packets output, (\d+) bytes"),
    "in_errors": re.compile(r"(\d+) input errors"),
    "out_errors": re.compile(r"(\d+) output errors"),
    "in_discards": re.compile(r"(\d+) input discards"),
    "out_discards": re.compile(r"(\d+) output discards"),
}


def parse_show_interfaces(text: str) -> list[Reading]:
    """Interface counters (raw, 64-bit), status and speed; a broken block is skipped."""
    return parse_interfaces_in_ios_layout(text, _FIELDS)


# ---------------------------------------------------------------- environment


def sensor_name(module: str, sensor: str, description: str) -> str:
    """'Linecard 4/9 Board sensor': the module, the sensor number and its description."""
    where = f"{module}/{sensor}" if module else sensor
    return squash(f"{where} {description}")


def parse_show_environment_temperature(text: str) -> list[Reading]:
    """Temperatures with their alert and critical limits, per card."""
    records = _records("show environment temperature", text)
    result = parse_records(records, _temperature, lambda r: f"sensor {_sensor(r)!r}")
    return finish(result, "show environment temperature")


def _sensor(record: Record) -> str:
    return sensor_name(record["module"], record["sensor"], record["description"])


def _temperature(record: Record) -> list[Reading]:
    return rd.temperature(
        _sensor(record), number(record["current_value"]),
        degraded=number(record["alert_limit"]),
        critical=number(record["critical_limit"]),
    )


def parse_show_environment_cooling(text: str) -> list[Reading]:
    """Fan status and speed ratio, and the ambient temperature."""
    records = _records("show environment cooling", text)
    result = parse_records(records, _fan, lambda r: f"fan {r['fan']!r}")
    ambient = records[0]["ambient_temp"] if records else ""
    if ambient:
        result.extend(rd.temperature("Ambient", quantity(ambient, "C")))
    return finish(result, "show environment cooling")


def _fan(record: Record) -> list[Reading]:
    readings = rd.hw_status("fan", record["fan"], record["status"])
    ratio = percent(record["actual_speed"])
    if ratio is not None:
        readings.append(Reading("hw.fan.speed_ratio", ratio, {"sensor": record["fan"]}))
    return readings


def parse_show_environment_power(text: str) -> list[Reading]:
    """Power-supply status and output power; 'no power supplies' gives no reading."""
    records = _records("show environment power", text)
    result = ParseResult(problems=records.problems)
    for record in records:
        if not record["power_supply_location"]:
            continue  # "% There seem to be no power supplies connected."
        sensor = f"PS {record['power_supply_location']}"
        result.extend(rd.hw_status("power_supply", sensor, record["power_supply_status"]))
        watts = number(record["power_supply_watts_using"])
        if watts is not None:
            result.append(Reading("hw.power", watts, {"sensor": sensor}))
    return result


# ---------------------------------------------------------------- BGP


def parse_show_ip_bgp_summary(text: str) -> list[Reading]:
    """State and prefixes received of every neighbour, in the old and new table layouts."""
    records = _records("show ip bgp summary", text)
    result = parse_records(records, _neighbour, lambda r: f"neighbour {r['bgp_neigh']}")
    return finish(result, "show ip bgp summary")


def _neighbour(record: Record) -> list[Reading]:
    state, prefixes = record["state"], number(record["state_pfxrcd"])
    if not state:  # old layout: one State/PfxRcd column, a number means established
        state = "established" if prefixes is not None else "idle"
    if rd.bgp_state_code(state) != rd.BGP_STATES["established"]:
        prefixes = None
    return rd.bgp_peer(record["bgp_neigh"], state, asn=record["neigh_as"],
                       vrf=record["vrf"] or "default", family="ipv4 unicast",
                       prefixes=prefixes)


PARSERS = {
    "show processes top once": parse_show_processes_top_once,
    "show version": parse_show_version,
    "show interfaces": parse_show_interfaces,
    "show environment temperature": parse_show_environment_temperature,
    "show environment cooling": parse_show_environment_cooling,
    "show environment power": parse_show_environment_power,
    "show ip bgp summary": parse_show_ip_bgp_summary,
}

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("cpu", "show processes top once", parse_show_processes_top_once),
    CommandSpec("interfaces", "show interfaces", parse_show_interfaces),
    CommandSpec("environment", "show environment temperature",
                parse_show_environment_temperature),
    CommandSpec("environment", "show environment cooling", parse_show_environment_cooling),
    CommandSpec("environment", "show environment power", parse_show_environment_power),
    CommandSpec("system", "show version", parse_show_version),
    CommandSpec("bgp", "show ip bgp summary", parse_show_ip_bgp_summary),
)
