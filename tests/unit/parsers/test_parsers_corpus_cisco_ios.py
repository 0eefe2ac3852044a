"""Cisco IOS parsers against every real IOS capture in the corpus.

Expected values come from the ntc-templates .yml beside each .raw (read here, never typed
from our output). Values the .yml does not hold (byte counters, extra memory pools) are
read by hand from the .raw and say so.
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
from services.collector.parsers import cisco_ios

pytestmark = pytest.mark.unit

MINUTE, HOUR, DAY, WEEK, YEAR = 60, 3600, 86400, 7 * 86400, 365 * 86400


def check_cpu(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    first = records[0]
    assert one(readings, "system.cpu.utilization", {}) == int(first["cpu_usage_5_sec"]) / 100
    assert one(readings, "system.cpu.utilization.1m", {}) == int(first["cpu_usage_1_min"]) / 100
    assert one(readings, "system.cpu.utilization.5m", {}) == int(first["cpu_usage_5_min"]) / 100


def check_memory(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    first = records[0]
    usage = values(readings, "system.memory.usage")
    assert usage[key(state="used")] == int(first["memory_used"])
    assert usage[key(state="free")] == int(first["memory_free"])
    assert one(readings, "system.memory.limit", {}) == int(first["memory_total"])
    # Read by hand from the .raw: " lsmpi_io Pool Total:    6295128 Used:    6294296 Free: 832"
    pools = values(readings, "memory.pool.usage")
    assert pools == {key(pool="lsmpi_io", state="used"): 6294296,
                     key(pool="lsmpi_io", state="free"): 832}


def check_version(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    first = records[0]
    units = (("uptime_years", YEAR), ("uptime_weeks", WEEK), ("uptime_days", DAY),
             ("uptime_hours", HOUR), ("uptime_minutes", MINUTE))
    seconds = sum(int(first[field] or 0) * size for field, size in units)
    assert one(readings, "system.uptime", {}) == seconds


def expected_speed(record: dict[str, Any]) -> float | None:
    speed = re.match(r"(\d+)\s*([MG])b/s", record["speed"])
    if speed:
        return int(speed.group(1)) * {"M": 1e6, "G": 1e9}[speed.group(2)]
    bandwidth = re.match(r"(\d+) Kbit", record["bandwidth"])
    return int(bandwidth.group(1)) * 1e3 if bandwidth else None


def check_interfaces(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    names = {r.attributes["interface"] for r in readings}
    assert names == {record["interface"] for record in records}
    counters = {
        ("system.network.packets", "receive"): "input_packets",
        ("system.network.packets", "transmit"): "output_packets",
        ("system.network.errors", "receive"): "input_errors",
        ("system.network.errors", "transmit"): "output_errors",
        ("system.network.dropped", "receive"): "queue_drops",
        ("system.network.dropped", "transmit"): "queue_output_drops",
    }
    seen = set()
    for record in records:
        name = record["interface"]
        if name in seen:
            continue  # printed twice in one capture: the parser keeps the first block
        seen.add(name)
        for (metric, direction), field in counters.items():
            got = values(readings, metric).get(key(interface=name, direction=direction))
            if record[field]:  # the template misses some lines; see the hand-read test
                assert got == int(record[field]), (name, field)
        status = values(readings, "network.interface.oper_status")[key(interface=name)]
        assert status == (1.0 if record["protocol_status"].startswith("up") else 0.0)
        admin = values(readings, "network.interface.admin_status")[key(interface=name)]
        assert admin == (0.0 if record["link_status"] == "administratively down" else 1.0)
        speed = values(readings, "network.interface.speed").get(key(interface=name))
        assert speed == expected_speed(record), name


def check_temperature(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    for record in records:
        for place in ("inlet", "hotspot"):
            sensor = f"Switch {record['switch']} {place.capitalize()}"
            assert one(readings, "hw.temperature", {"sensor": sensor}) == int(
                record[f"{place}_temperature_value"])
            limits = {
                "high.degraded": int(record[f"{place}_yellow_threshold"]),
                "high.critical": int(record[f"{place}_red_threshold"]),
            }
            for limit_type, limit in limits.items():
                attributes = {"sensor": sensor, "limit_type": limit_type}
                assert one(readings, "hw.temperature.limit", attributes) == limit


# What each status word of these captures means; written for the test, not taken from us.
IOS_POWER_STATES = {"OK": "ok", "No Input Power": "failed", "": "absent",
                    "good": "ok", "err-disable": "failed"}


def check_power_all(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    for record in records:
        state = IOS_POWER_STATES[record["status"]]
        assert current_state(readings, f"PS {record['ps_module']}") == state


def check_power_status(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    supplies = [record for record in records if record["status"]]
    assert {r.attributes["sensor"] for r in readings if r.attributes["type"] == "power_supply"} \
        == {record["ps"] for record in supplies}
    for record in supplies:
        assert current_state(readings, record["ps"]) == IOS_POWER_STATES[record["status"]]
        assert current_state(readings, f"{record['ps']} fan") == IOS_POWER_STATES[
            record["fan_sensor"]]


def check_bgp(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    states = values(readings, "bgp.peer.state")
    prefixes = values(readings, "bgp.peer.prefixes.received")
    assert len(states) == len(records)
    for record in records:
        peer = {"peer": record["bgp_neighbor"], "peer.as": expected_peer_as(record["neighbor_as"]),
                "vrf": "default"}
        cell = record["state_or_prefixes_received"].strip()
        if cell.isdigit():
            assert states[key(**peer)] == 6
            assert prefixes[key(**peer, family="ipv4 unicast")] == int(cell)
        else:
            assert cell == "Idle (Admin)" and states[key(**peer)] == 0


CASES: Cases = {
    "show_processes_cpu": (cisco_ios.parse_show_processes_cpu, check_cpu),
    "show_processes_memory_sorted": (cisco_ios.parse_show_processes_memory_sorted, check_memory),
    "show_version": (cisco_ios.parse_show_version, check_version),
    "show_interfaces": (cisco_ios.parse_show_interfaces, check_interfaces),
    "show_environment_temperature": (cisco_ios.parse_show_environment_temperature,
                                     check_temperature),
    "show_environment_power_all": (cisco_ios.parse_show_environment_power_all, check_power_all),
    "show_power_status": (cisco_ios.parse_show_power_status, check_power_status),
    "show_ip_bgp_summary": (cisco_ios.parse_show_ip_bgp_summary, check_bgp),
}
# cisco_ios_show_interfaces.raw joins two devices' output: GigabitEthernet0/2 of an IOSv
# switch, then GigabitEthernet0/2 of an ASR1001 (line 223). One device never prints a name
# twice, so the parser keeps the first block and reports the second.
EXPECTED_PROBLEMS = {
    "cisco_ios_show_interfaces.raw": [
        "show interfaces: GigabitEthernet0/2: appears again; later block ignored"
    ],
}
# Captures of commands netvigil does not poll: syslog buffer and port status tables.
NOT_POLLED = {"show_logging", "show_interfaces_status"}


def test_cisco_ios_corpus_has_only_known_commands_when_listed(corpus: Path) -> None:
    assert {raw.parent.name for raw in raw_files("cisco_ios")} <= CASES.keys() | NOT_POLLED


@pytest.mark.parametrize("raw", captures("cisco_ios", CASES))
def test_cisco_ios_parser_agrees_with_corpus_when_reading_capture(raw: Path, corpus: Path) -> None:
    check_capture(raw, CASES, EXPECTED_PROBLEMS.get(raw.name, []))


def test_cisco_ios_interfaces_read_byte_counters_when_counters_are_64_bit(corpus: Path) -> None:
    # Read by hand from the .raw files (the .yml holds no byte counters).
    cases = {
        "cisco_ios_show_interfaces.raw": ("GigabitEthernet0/0", 48614, 62737),
        "cisco_ios_show_interfaces2.raw": ("FastEthernet1/0/1", 638901996995, 41399413469427),
        # A 32-bit box: 728401053 bytes for 338297234 packets has wrapped (TRICKY #21).
        "cisco_ios_show_interfaces3.raw": ("GigabitEthernet0/0", 728401053, 917906120),
    }
    for name, (interface, received, sent) in cases.items():
        text = read(corpus / "ntc-templates/cisco_ios/show_interfaces" / name)
        io = values(cisco_ios.parse_show_interfaces(text), "system.network.io")
        assert io[key(interface=interface, direction="receive")] == received
        assert io[key(interface=interface, direction="transmit")] == sent
    counter = next(r for r in cisco_ios.parse_show_interfaces(text) if r.counter_bits)
    assert counter.counter_bits == 64


def test_cisco_ios_interfaces_read_lines_when_template_misses_them(corpus: Path) -> None:
    # The .yml leaves these fields empty: the template expects ", N no buffer" after
    # "packets input" and "collisions" after "output errors". Values read by hand.
    folder = corpus / "ntc-templates/cisco_ios/show_interfaces"
    three = cisco_ios.parse_show_interfaces(read(folder / "cisco_ios_show_interfaces3.raw"))
    packets = values(three, "system.network.packets")
    assert packets[key(interface="FastEthernet0/1/0", direction="receive")] == 338645504
    one_ = cisco_ios.parse_show_interfaces(read(folder / "cisco_ios_show_interfaces.raw"))
    errors = values(one_, "system.network.errors")
    assert errors[key(interface="Vlan1", direction="transmit")] == 0
