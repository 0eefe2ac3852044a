"""Cisco NX-OS parsers against every real NX-OS capture in the corpus.

Expected values come from the ntc-templates .yml beside each .raw; byte counters, which
the .yml does not hold, are read by hand from the .raw and say so.
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
from services.collector.parsers import cisco_nxos

pytestmark = pytest.mark.unit

SECONDS = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}
NXOS_STATES = {"Ok": "ok", "ok": "ok"}


def squash(text: str) -> str:
    return " ".join(text.split())


def check_cpu(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    first = records[0]
    assert one(readings, "system.cpu.utilization", {}) == int(first["cpu_5_sec"]) / 100
    assert one(readings, "system.cpu.utilization.1m", {}) == int(first["cpu_1_min"]) / 100
    assert one(readings, "system.cpu.utilization.5m", {}) == int(first["cpu_5_min"]) / 100


def check_version(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    # "123 day(s), 5 hour(s), 15 minute(s), 19 second(s)"
    parts = re.findall(r"(\d+) (day|hour|minute|second)", records[0]["uptime"])
    assert len(parts) == 4
    assert one(readings, "system.uptime", {}) == sum(int(n) * SECONDS[u] for n, u in parts)


def expected_admin(record: dict[str, Any]) -> float:
    # For SVIs the template puts the line-protocol state into admin_state (Vlan20 reads
    # "down" although only "VLAN/BD is down"); only "Administratively down" means admin down.
    if record["interface"].startswith("Vlan") or not record["admin_state"]:
        return 0.0 if "administratively down" in record["link_status"].lower() else 1.0
    return 1.0 if record["admin_state"] == "up" else 0.0


def expected_speed(record: dict[str, Any]) -> float | None:
    speed = re.match(r"(\d+) ([MG])b/s", record["speed"])
    if speed:
        return int(speed.group(1)) * {"M": 1e6, "G": 1e9}[speed.group(2)]
    bandwidth = re.match(r"(\d+) Kbit", record["bandwidth"])
    return int(bandwidth.group(1)) * 1e3 if bandwidth else None


def check_interface(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    assert {r.attributes["interface"] for r in readings} == {r["interface"] for r in records}
    counters = {
        ("system.network.packets", "receive"): "input_packets",
        ("system.network.packets", "transmit"): "output_packets",
        ("system.network.errors", "receive"): "input_errors",
        ("system.network.errors", "transmit"): "output_errors",
        ("system.network.dropped", "receive"): "input_discards",
        ("system.network.dropped", "transmit"): "output_discards",
    }
    for record in records:
        name = record["interface"]
        for (metric, direction), field in counters.items():
            if record[field]:
                got = values(readings, metric)[key(interface=name, direction=direction)]
                assert got == int(record[field]), (name, field)
        oper = values(readings, "network.interface.oper_status")[key(interface=name)]
        assert oper == (1.0 if record["link_status"].startswith("up") else 0.0)
        admin = values(readings, "network.interface.admin_status")[key(interface=name)]
        assert admin == expected_admin(record), name
        speed = values(readings, "network.interface.speed").get(key(interface=name))
        assert speed == expected_speed(record), name


def check_environment(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    for record in records:
        if record["power_supply"]:
            sensor = f"PS {record['power_supply']}"
            assert current_state(readings, sensor) == NXOS_STATES[record["power_supply_status"]]
            assert one(readings, "hw.power", {"sensor": sensor}) == int(
                record["power_supply_output"])
        elif record["fan"]:
            assert current_state(readings, record["fan"]) == NXOS_STATES[record["fan_status"]]
        else:
            sensor = squash(f"Module {record['temperature_module']} "
                            f"{record['temperature_sensor']}")
            check_sensor(readings, sensor, record["temperature_current"],
                         record["temperature_minor_thresh"], record["temperature_major_thresh"])


def check_sensor(readings: list[Reading], sensor: str, current: str, minor: str, major: str
                 ) -> None:
    assert one(readings, "hw.temperature", {"sensor": sensor}) == int(current)
    limits = {"high.degraded": minor, "high.critical": major}
    for limit_type, limit in limits.items():
        attributes = {"sensor": sensor, "limit_type": limit_type}
        assert one(readings, "hw.temperature.limit", attributes) == int(limit)


def check_temperature(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    for record in records:
        sensor = squash(f"Module {record['module']} {record['sensor']}")
        check_sensor(readings, sensor, record["current_value"], record["minor_threshold"],
                     record["major_threshold"])


def check_bgp(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    states = values(readings, "bgp.peer.state")
    prefixes = {dict(k)["peer"]: v for k, v in values(readings,
                                                       "bgp.peer.prefixes.received").items()}
    assert len(states) == len(records)
    for record in records:
        peer = {"peer": record["bgp_neigh"], "peer.as": expected_peer_as(record["neigh_as"]),
                "vrf": record["vrf"] or "default"}  # no "for VRF x" header: default VRF
        cell = record["state_pfxrcd"]
        if cell.isdigit():
            assert states[key(**peer)] == 6
            assert prefixes[record["bgp_neigh"]] == int(cell)
        else:
            assert states[key(**peer)] == {"Idle": 1, "Idle (Admin)": 0}[cell]
            assert record["bgp_neigh"] not in prefixes


CASES: Cases = {
    "show_processes_cpu": (cisco_nxos.parse_show_processes_cpu, check_cpu),
    "show_version": (cisco_nxos.parse_show_version, check_version),
    "show_interface": (cisco_nxos.parse_show_interface, check_interface),
    "show_environment": (cisco_nxos.parse_show_environment, check_environment),
    "show_environment_temperature": (cisco_nxos.parse_show_environment_temperature,
                                     check_temperature),
    "show_ip_bgp_summary": (cisco_nxos.parse_show_ip_bgp_summary, check_bgp),
    "show_ip_bgp_summary_vrf": (cisco_nxos.parse_show_ip_bgp_summary_vrf_all, check_bgp),
}
NOT_POLLED = {"show_interface_transceiver_details"}  # optics, not polled (yet)


def test_cisco_nxos_corpus_has_only_known_commands_when_listed(corpus: Path) -> None:
    assert {raw.parent.name for raw in raw_files("cisco_nxos")} <= CASES.keys() | NOT_POLLED


@pytest.mark.parametrize("raw", captures("cisco_nxos", CASES))
def test_cisco_nxos_parser_agrees_with_corpus_when_reading_capture(
    raw: Path, corpus: Path
) -> None:
    check_capture(raw, CASES)


def test_cisco_nxos_interface_reads_bytes_when_layouts_differ(corpus: Path) -> None:
    # Read by hand from the .raw files: Ethernet ("N input packets  N bytes"), mgmt0
    # (bytes on the broadcast line) and nve1 (ucast + mcast bytes, summed by hand).
    folder = corpus / "ntc-templates/cisco_nxos/show_interface"
    first = values(cisco_nxos.parse_show_interface(read(folder / "cisco_nxos_show_interface.raw")),
                   "system.network.io")
    assert first[key(interface="Ethernet1/1", direction="receive")] == 19188106
    assert first[key(interface="Ethernet1/1", direction="transmit")] == 62262008
    assert first[key(interface="mgmt0", direction="receive")] == 267225622
    assert first[key(interface="mgmt0", direction="transmit")] == 117206151
    nve = cisco_nxos.parse_show_interface(read(folder / "cisco_nxos_show_interface11_nve.raw"))
    io = values(nve, "system.network.io")
    assert io[key(interface="nve1", direction="receive")] == 3095784 + 14722
    assert io[key(interface="nve1", direction="transmit")] == 1947652 + 11068
    packets = values(nve, "system.network.packets")
    assert packets[key(interface="nve1", direction="receive")] == 25139 + 125
