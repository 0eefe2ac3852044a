"""Parsers for Cisco NX-OS `| json` output, the preferred form on NX-OS.

NX-OS JSON wraps every table as `TABLE_x: {ROW_x: ...}`, where ROW_x is an object when
the table has one row and a list when it has more, and prints many numbers as strings;
`common.rows` and `common.number` absorb both quirks. `show processes cpu | json` is
not used: its 5 s / 1 min / 5 min figures are read from text (`cisco_nxos`).
"""

from __future__ import annotations

from typing import Any

from services.collector.drivers.base import CommandSpec, Reading
from services.collector.parsers import readings as rd
from services.collector.parsers.cisco_nxos import temperature_row
from services.collector.parsers.common import (
    ParseResult,
    finish,
    load_json,
    number,
    quantity,
    required,
    rows,
)

KIB = 1024


def parse_show_version_json(text: str) -> list[Reading]:
    """Kernel uptime from kern_uptm_days/hrs/mins/secs."""
    data = load_json(text, "show version | json")
    parts = [required(data.get(f"kern_uptm_{unit}"), f"kern_uptm_{unit}")
             for unit in ("days", "hrs", "mins", "secs")]
    days, hours, minutes, seconds = parts
    return rd.uptime(days * 86400 + hours * 3600 + minutes * 60 + seconds)


def parse_show_system_resources_json(text: str) -> list[Reading]:
    """Memory (NX-OS reports KiB), CPU busy share and the 1/5/15-minute load averages."""
    data = load_json(text, "show system resources | json")
    total, used, free = (
        required(data.get(f"memory_usage_{key}"), f"memory_usage_{key}") * KIB
        for key in ("total", "used", "free")
    )
    readings = rd.memory(used=used, free=free, total=total)
    idle = number(data.get("cpu_state_idle"))
    if idle is not None:
        readings.extend(rd.cpu(now=(100 - idle) / 100))
    for window, key in (("1m", "1min"), ("5m", "5min"), ("15m", "15min")):
        value = number(data.get(f"load_avg_{key}"))
        if value is not None:
            readings.append(Reading(f"system.cpu.load_average.{window}", value))
    return readings


def parse_show_interface_json(text: str) -> list[Reading]:
    """Counters (raw, 64-bit), status and speed of every interface, SVIs included."""
    data = load_json(text, "show interface | json")
    result = ParseResult()
    for row in rows(data.get("TABLE_interface"), "ROW_interface"):
        name = str(row.get("interface", "?"))
        try:
            result.extend(rd.interface(_interface(name, row)))
        except (KeyError, TypeError, ValueError) as exc:
            result.problems.append(f"show interface | json: {name}: {exc!r}")
    return finish(result, "show interface | json")


def _interface(name: str, row: dict[str, Any]) -> rd.InterfaceStats:
    oper = row.get("state", row.get("svi_line_proto"))
    admin = row.get("admin_state", row.get("svi_admin_state"))
    bandwidth = number(row.get("eth_bw", row.get("svi_bw")))
    if oper is None:
        raise KeyError("neither 'state' nor 'svi_line_proto'")
    return rd.InterfaceStats(
        name=name,
        oper_up=str(oper).lower() == "up",
        admin_up=None if admin is None else str(admin).lower() == "up",
        speed_bps=None if bandwidth is None else bandwidth * 1e3,  # eth_bw is in Kbit
        in_octets=number(row.get("eth_inbytes")), out_octets=number(row.get("eth_outbytes")),
        in_packets=number(row.get("eth_inpkts")), out_packets=number(row.get("eth_outpkts")),
        in_errors=number(row.get("eth_inerr")), out_errors=number(row.get("eth_outerr")),
        in_discards=number(row.get("eth_indiscard")),
        out_discards=number(row.get("eth_outdiscard")),
    )


def parse_show_environment_json(text: str) -> list[Reading]:
    """Power supplies (status, output watts), fans and temperatures with thresholds."""
    data = load_json(text, "show environment | json")
    result = ParseResult()
    for row in rows((data.get("powersup") or {}).get("TABLE_psinfo"), "ROW_psinfo"):
        sensor = f"PS {row.get('psnum')}"
        result.extend(rd.hw_status("power_supply", sensor, str(row.get("ps_status", ""))))
        watts = quantity(str(row.get("actual_out", "")), "W")
        if watts is not None:
            result.append(Reading("hw.power", watts, {"sensor": sensor}))
    for row in rows((data.get("fandetails") or {}).get("TABLE_faninfo"), "ROW_faninfo"):
        result.extend(rd.hw_status("fan", str(row.get("fanname")), str(row.get("fanstatus"))))
    for row in rows(data.get("TABLE_tempinfo"), "ROW_tempinfo"):
        try:
            result.extend(temperature_row(str(row["tempmod"]), str(row["sensor"]),
                                       str(row.get("curtemp", "")), str(row.get("minthres", "")),
                                       str(row.get("majthres", ""))))
        except (KeyError, ValueError) as exc:
            result.problems.append(f"show environment | json: sensor {row}: {exc!r}")
    return finish(result, "show environment | json")


def parse_show_ip_bgp_summary_json(text: str) -> list[Reading]:
    """State and prefixes received of every neighbour, per VRF and address family."""
    data = load_json(text, "show ip bgp summary vrf all | json")
    result = ParseResult()
    for vrf in rows(data.get("TABLE_vrf"), "ROW_vrf"):
        for af in rows(vrf.get("TABLE_af"), "ROW_af"):
            for saf in rows(af.get("TABLE_saf"), "ROW_saf"):
                family = str(saf.get("af-name", "IPv4 Unicast")).lower()
                for neighbour in rows(saf.get("TABLE_neighbor"), "ROW_neighbor"):
                    result.extend(_neighbour(neighbour, str(vrf.get("vrf-name-out")), family,
                                             result.problems))
    return finish(result, "show ip bgp summary vrf all | json")


def _neighbour(row: dict[str, Any], vrf: str, family: str, problems: list[str]
               ) -> list[Reading]:
    peer = str(row.get("neighborid", "?"))
    try:
        state = str(row["state"])
        established = rd.bgp_state_code(state) == rd.BGP_STATES["established"]
        return rd.bgp_peer(
            peer, state, asn=str(row["neighboras"]), vrf=vrf, family=family,
            prefixes=number(row.get("prefixreceived")) if established else None,
        )
    except (KeyError, ValueError) as exc:
        problems.append(f"show ip bgp summary | json: neighbour {peer}: {exc!r}")
        return []


JSON_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("memory", "show system resources | json", parse_show_system_resources_json),
    CommandSpec("interfaces", "show interface | json", parse_show_interface_json),
    CommandSpec("environment", "show environment | json", parse_show_environment_json),
    CommandSpec("system", "show version | json", parse_show_version_json),
    CommandSpec("bgp", "show ip bgp summary vrf all | json", parse_show_ip_bgp_summary_json),
)
