"""Juniper Junos parsers against every real Junos capture in the corpus.

Expected values come from the ntc-templates .yml beside each .raw; what the .yml does not
hold (the CPU line, interface speeds) is read by hand from the .raw and says so.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from parser_expect import Cases, captures, check_capture, key, one, raw_files, read, values

from services.collector.drivers.base import Reading
from services.collector.parsers import juniper_junos

pytestmark = pytest.mark.unit

BINARY = {"K": 2**10, "M": 2**20, "G": 2**30, "B": 1}


def to_bytes(size: str) -> int:
    """'3977M' -> 3977 MiB in bytes (top prints binary units)."""
    return int(size[:-1]) * BINARY[size[-1]]


def check_uptime(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    record = records[0]
    assert record["timezone"] == record["boot_timezone"]  # so the difference is exact
    now = datetime(int(record["year"]), int(record["month"]), int(record["day"]),
                   *map(int, record["time"].split(":")))
    boot = datetime(int(record["boot_year"]), int(record["boot_month"]), int(record["boot_day"]),
                    *map(int, record["boot_time"].split(":")))
    assert one(readings, "system.uptime", {}) == (now - boot).total_seconds()


def check_processes(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    record = records[0]
    usage = values(readings, "system.memory.usage")
    used = to_bytes(record["memory_active"]) + to_bytes(record["memory_wired"])
    assert usage[key(state="used")] == used
    assert usage[key(state="free")] == to_bytes(record["memory_free"])
    assert usage[key(state="inactive")] == to_bytes(record["memory_inactive"])
    assert usage[key(state="buffers")] == to_bytes(record["memory_buffer"])
    # Not in the .yml; read by hand: "CPU: 14.7% user, ..., 81.0% idle".
    assert one(readings, "system.cpu.utilization", {}) == pytest.approx(0.19)


def check_interfaces(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    physical = [record for record in records if "." not in record["interface"]]
    assert {r.attributes["interface"] for r in readings} == {r["interface"] for r in physical}
    for record in physical:
        name = record["interface"]
        oper = values(readings, "network.interface.oper_status")[key(interface=name)]
        assert oper == (1.0 if record["link_status"] == "Up" else 0.0)
        admin = values(readings, "network.interface.admin_status")[key(interface=name)]
        assert admin == (1.0 if record["admin_state"] == "Enabled" else 0.0)


def table_vrf(table: str) -> str:
    """'wanTrusted.inet.0' is table inet.0 of routing instance wanTrusted."""
    return table.rsplit(".inet", 1)[0] if ".inet" in table else "default"


def check_bgp(readings: list[Reading], records: list[dict[str, Any]]) -> None:
    # The capture anonymised two peers to the same 203.0.113.0; compare as multisets.
    got = Counter(
        (r.attributes["peer"], r.attributes["vrf"], r.value)
        for r in readings if r.metric == "bgp.peer.prefixes.received"
    )
    expected = Counter(
        (record["peer_ip"], table_vrf(record["interface"]), float(record["received"]))
        for record in records
    )
    assert got == expected
    states = {(r.attributes["peer"], r.attributes["peer.as"], r.value)
              for r in readings if r.metric == "bgp.peer.state"}
    assert states == {(record["peer_ip"], record["peer_as"], 6.0) for record in records
                      if record["state"] == "Establ"}


CASES: Cases = {
    "show_system_uptime": (juniper_junos.parse_show_system_uptime, check_uptime),
    "show_system_processes_summary": (juniper_junos.parse_show_system_processes_summary,
                                      check_processes),
    "show_interfaces": (juniper_junos.parse_show_interfaces, check_interfaces),
    "show_bgp_summary": (juniper_junos.parse_show_bgp_summary, check_bgp),
}
# Inventory and cluster role, per-process lists: not metric groups of this issue. The
# show_version and processes_brief captures are used by the multi-node wrapper tests.
NOT_POLLED = {"show_version", "show_chassis_hardware", "show_chassis_cluster_status",
              "show_system_processes_brief"}


def test_juniper_junos_corpus_has_only_known_commands_when_listed(corpus: Path) -> None:
    assert {raw.parent.name for raw in raw_files("juniper_junos")} <= CASES.keys() | NOT_POLLED


@pytest.mark.parametrize("raw", captures("juniper_junos", CASES))
def test_juniper_junos_parser_agrees_with_corpus_when_reading_capture(
    raw: Path, corpus: Path
) -> None:
    check_capture(raw, CASES)


def test_juniper_junos_interfaces_read_speed_when_units_differ(corpus: Path) -> None:
    # Read by hand: "Speed: 1000mbps" (ge-0/0/0), "Speed: 800mbps" (gr-0/0/0),
    # no speed line for lsq-0/0/0, "Speed: 10Gbps" (xe-0/1/0).
    folder = corpus / "ntc-templates/juniper_junos/show_interfaces"
    first = values(juniper_junos.parse_show_interfaces(
        read(folder / "juniper_junos_show_interfaces.raw")), "network.interface.speed")
    assert first[key(interface="ge-0/0/0")] == 1e9
    assert first[key(interface="gr-0/0/0")] == 8e8
    assert key(interface="lsq-0/0/0") not in first
    second = values(juniper_junos.parse_show_interfaces(
        read(folder / "juniper_junos_show_interfaces2.raw")), "network.interface.speed")
    assert second == {key(interface="xe-0/1/0"): 1e10}


def test_juniper_junos_interfaces_skip_logical_counters_when_plain_output(corpus: Path) -> None:
    # ge-0/0/0.2036 prints "Input packets : 12439041"; it is a logical unit, not the port.
    raw = corpus / "ntc-templates/juniper_junos/show_interfaces/juniper_junos_show_interfaces.raw"
    readings = juniper_junos.parse_show_interfaces(read(raw))
    assert values(readings, "system.network.packets") == {}
