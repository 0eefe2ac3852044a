"""Arista EOS parsers against every real EOS capture in the corpus.

Expected values come from the ntc-templates .yml beside each .raw; interface counters,
which the EOS template does not keep, are read by hand from the .raw and say so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from parser_expect import (
    Cases,
    captures,
    check_capture,
    current_state,
    expected_peer_as,
    key,
    one,
    raw_files,
    read,
    values,
)

from services.collector.drivers.base import Reading
from services.collector.parsers import arista_eos

pytestmark = pytest.mark.unit

SECONDS = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}
EOS_STATES = {"Ok": "ok", "Not Inserted": "absent"}


def check_top(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    first = records[0]
    busy = (100 - float(first["global_cpu_percent_idle"])) / 100
    assert one(readings, "system.cpu.utilization", {}) == pytest.approx(busy)
    for window, field in (("1m", "1"), ("5m", "5"), ("15m", "15")):
        expected = float(first[f"global_load_average_{field}_minutes"])
        assert one(readings, f"system.cpu.load_average.{window}", {}) == expected


def check_version(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    first = records[0]
    parts = re.findall(r"(\d+) (day|hour|minute|second)", first["uptime"])
    assert one(readings, "system.uptime", {}) == sum(int(n) * SECONDS[u] for n, u in parts)
    total, free = int(first["total_memory"]) * 1024, int(first["free_memory"]) * 1024
    assert one(readings, "system.memory.limit", {}) == total
    usage = values(readings, "system.memory.usage")
    assert usage == {key(state="used"): total - free, key(state="free"): free}


def check_interfaces(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    assert {r.attributes["interface"] for r in readings} == {r["interface"] for r in records}
    for record in records:
        name = record["interface"]
        oper = values(readings, "network.interface.oper_status")[key(interface=name)]
        assert oper == (1.0 if record["protocol_status"].startswith("up") else 0.0)
        admin = values(readings, "network.interface.admin_status")[key(interface=name)]
        assert admin == (0.0 if record["link_status"] == "administratively down" else 1.0)
        bandwidth = re.match(r"(\d+) kbit", record["bandwidth"])
        speed = values(readings, "network.interface.speed").get(key(interface=name))
        assert speed == (int(bandwidth.group(1)) * 1e3 if bandwidth else None), name


def check_temperature(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    assert len(values(readings, "hw.temperature")) == len(records)
    for record in records:
        sensor = " ".join(f"{record['module']}/{record['sensor']} {record['description']}".split())
        assert one(readings, "hw.temperature", {"sensor": sensor}) == float(
            record["current_value"])
        limits = {"high.degraded": record["alert_limit"], "high.critical": record["critical_limit"]}
        for limit_type, limit in limits.items():
            attributes = {"sensor": sensor, "limit_type": limit_type}
            assert one(readings, "hw.temperature.limit", attributes) == float(limit)


def check_cooling(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    ratios = values(readings, "hw.fan.speed_ratio")
    for record in records:
        assert current_state(readings, record["fan"]) == EOS_STATES[record["status"]]
        speed = record["actual_speed"]
        expected = int(speed.rstrip("%")) / 100 if speed != "N/A" else None
        assert ratios.get(key(sensor=record["fan"])) == expected
    ambient = int(records[0]["ambient_temp"].rstrip("C"))
    assert one(readings, "hw.temperature", {"sensor": "Ambient"}) == ambient


def check_power(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    supplies = [record for record in records if record["power_supply_location"]]
    if not supplies:  # "% There seem to be no power supplies connected."
        assert records[0]["power_supply_status"] == "no power supplies" and readings == []
    for record in supplies:
        sensor = f"PS {record['power_supply_location']}"
        assert current_state(readings, sensor) == EOS_STATES[record["power_supply_status"]]
        watts = float(record["power_supply_watts_using"])
        assert one(readings, "hw.power", {"sensor": sensor}) == watts


def check_bgp(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    states = values(readings, "bgp.peer.state")
    prefixes = values(readings, "bgp.peer.prefixes.received")
    assert len(states) == len(records)
    for record in records:
        peer = {"peer": record["bgp_neigh"], "peer.as": expected_peer_as(record["neigh_as"]),
                "vrf": record["vrf"] or "default"}
        # Old layout: one State/PfxRcd column and a number there; new: "Estab" + PfxRcd.
        assert record["state"] in ("", "Estab")
        assert states[key(**peer)] == 6
        assert prefixes[key(**peer, family="ipv4 unicast")] == int(record["state_pfxrcd"])


CASES: Cases = {
    "show_processes_top_once": (arista_eos.parse_show_processes_top_once, check_top),
    "show_version": (arista_eos.parse_show_version, check_version),
    "show_interfaces": (arista_eos.parse_show_interfaces, check_interfaces),
    "show_environment_temperature": (arista_eos.parse_show_environment_temperature,
                                     check_temperature),
    "show_environment_cooling": (arista_eos.parse_show_environment_cooling, check_cooling),
    "show_environment_power": (arista_eos.parse_show_environment_power, check_power),
    "show_ip_bgp_summary": (arista_eos.parse_show_ip_bgp_summary, check_bgp),
}
NOT_POLLED = {"bash_df_-h"}  # flash usage, not a metric group of this issue


def test_arista_eos_corpus_has_only_known_commands_when_listed(corpus: Path) -> None:
    assert {raw.parent.name for raw in raw_files("arista_eos")} <= CASES.keys() | NOT_POLLED


@pytest.mark.parametrize("raw", captures("arista_eos", CASES))
def test_arista_eos_parser_agrees_with_corpus_when_reading_capture(
    raw: Path, corpus: Path
) -> None:
    check_capture(raw, CASES)


def test_arista_eos_interfaces_read_counters_when_template_keeps_none(corpus: Path) -> None:
    # Read by hand from arista_eos_show_interfaces.raw, Ethernet1:
    # "292 packets input, 31440 bytes", "203 packets output, 33221 bytes", zero errors.
    raw = corpus / "ntc-templates/arista_eos/show_interfaces/arista_eos_show_interfaces.raw"
    readings = arista_eos.parse_show_interfaces(read(raw))
    expected = {
        ("system.network.io", "receive"): 31440, ("system.network.io", "transmit"): 33221,
        ("system.network.packets", "receive"): 292, ("system.network.packets", "transmit"): 203,
        ("system.network.errors", "receive"): 0, ("system.network.dropped", "transmit"): 0,
    }
    for (metric, direction), value in expected.items():
        assert values(readings, metric)[key(interface="Ethernet1", direction=direction)] == value
