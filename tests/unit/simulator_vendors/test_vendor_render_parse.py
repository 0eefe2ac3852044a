"""Render a snapshot, parse it with ntc-templates (an independent parser), compare values."""

from __future__ import annotations

import re

import pytest
from ntc_templates.parse import parse_output

from services.simulator.vendors import render_eos as eos
from services.simulator.vendors import render_ios as ios
from services.simulator.vendors import render_junos as junos
from services.simulator.vendors import render_nxos as nxos
from services.simulator.vendors.factory import build_device
from services.simulator.vendors.snapshot import DeviceSnapshot, take_snapshot
from shared.inventory import Platform

pytestmark = pytest.mark.unit

NOW = 1_760_000_000.0


def snap(platform: Platform) -> DeviceSnapshot:
    state = build_device(platform, hostname="r1", now=NOW - 50_000, seed=7)
    return take_snapshot(state, NOW)


def parse(platform: Platform, command: str, text: str) -> list[dict[str, object]]:
    return parse_output(platform=platform.value, command=command, data=text)


def test_ios_show_version_parses_to_state_values() -> None:
    s = snap(Platform.CISCO_IOS)
    [row] = parse(Platform.CISCO_IOS, "show version", ios.show_version(s))
    assert (row["hostname"], row["version"], row["serial"]) == ("r1", s.version, [s.serial])
    assert row["hardware"] == [s.model]
    days = s.uptime_s // 86_400
    assert int(row["uptime_weeks"] or 0) * 7 + int(row["uptime_days"] or 0) == days


def test_ios_show_processes_cpu_parses_to_cpu_view() -> None:
    s = snap(Platform.CISCO_IOS)
    rows = parse(Platform.CISCO_IOS, "show processes cpu", ios.show_processes_cpu(s))
    assert rows[0]["cpu_usage_5_sec"] == str(round(s.cpu.five_sec))
    assert rows[0]["cpu_usage_1_min"] == str(round(s.cpu.one_min))
    assert rows[0]["cpu_usage_5_min"] == str(round(s.cpu.five_min))
    assert len(rows) == len(ios.PROCESSES)


def test_ios_show_processes_memory_parses_to_processor_pool() -> None:
    s = snap(Platform.CISCO_IOS)
    rows = parse(Platform.CISCO_IOS, "show processes memory sorted",
                 ios.show_processes_memory_sorted(s))
    pool = s.memory[0]
    assert rows[0]["memory_total"] == str(pool.total)
    assert rows[0]["memory_used"] == str(pool.used)
    assert rows[0]["memory_free"] == str(pool.free)


def test_ios_show_interfaces_parses_to_interface_views() -> None:
    s = snap(Platform.CISCO_IOS)
    text = ios.show_interfaces(s)
    rows = {r["interface"]: r for r in parse(Platform.CISCO_IOS, "show interfaces", text)}
    assert list(rows) == [i.name for i in s.interfaces]
    for i in s.interfaces:
        row = rows[i.name]
        assert row["link_status"] == ("up" if i.oper_up else "down")
        assert row["description"] == i.description
        assert (row["input_packets"], row["output_packets"]) == (str(i.in_packets),
                                                                 str(i.out_packets))
        assert (row["input_errors"], row["input_rate"]) == (str(i.in_errors), str(i.in_rate_bps))
        assert row["queue_output_drops"] == str(i.out_discards)
    # The template skips byte counts; read them with a plain regex.
    octets = [int(m) for m in re.findall(r"packets input, (\d+) bytes", text)]
    assert octets == [i.in_octets for i in s.interfaces]


def test_ios_environment_and_bgp_parse_to_state_values() -> None:
    s = snap(Platform.CISCO_IOS)
    [temp] = parse(Platform.CISCO_IOS, "show environment temperature",
                   ios.show_environment_temperature(s))
    inlet, hotspot = s.sensors
    assert temp["inlet_temperature_value"] == str(round(inlet.celsius))
    assert temp["hotspot_red_threshold"] == str(round(hotspot.critical))
    psus = parse(Platform.CISCO_IOS, "show environment power all",
                 ios.show_environment_power_all(s))
    assert [p["pid"] for p in psus] == [p.model for p in s.psus]
    peers = parse(Platform.CISCO_IOS, "show ip bgp summary", ios.show_ip_bgp_summary(s))
    assert [p["bgp_neighbor"] for p in peers] == [p.peer_ip for p in s.bgp_peers]
    # 4200000001 = 64086 * 65536 + 59905, so asdot prints 64086.59905.
    assert peers[1]["neighbor_as"] == "64086.59905"
    for row, peer in zip(peers, s.bgp_peers, strict=True):
        expected = str(peer.prefixes) if peer.established else peer.state
        assert row["state_or_prefixes_received"] == expected


def test_nxos_commands_parse_to_state_values() -> None:
    s = snap(Platform.CISCO_NXOS)
    [version] = parse(Platform.CISCO_NXOS, "show version", nxos.show_version(s))
    assert (version["hostname"], version["os"], version["serial"]) == ("r1", s.version, s.serial)
    rows = {r["interface"]: r for r in parse(Platform.CISCO_NXOS, "show interface",
                                            nxos.show_interface(s))}
    for i in s.interfaces:
        assert rows[i.name]["input_packets"] == str(i.in_packets)
        assert rows[i.name]["input_discards"] == str(i.in_discards)
        assert rows[i.name]["output_discards"] == str(i.out_discards)
    env = parse(Platform.CISCO_NXOS, "show environment", nxos.show_environment(s))
    temps = [r for r in env if r["temperature_sensor"]]
    assert [r["temperature_current"] for r in temps] == [str(round(x.celsius)) for x in s.sensors]
    assert [r["fan"] for r in env if r["fan"]] == [f.name for f in s.fans]
    peers = parse(Platform.CISCO_NXOS, "show ip bgp summary", nxos.show_ip_bgp_summary(s))
    assert [p["neigh_as"] for p in peers] == [str(p.remote_as) for p in s.bgp_peers]


def test_eos_commands_parse_to_state_values() -> None:
    s = snap(Platform.ARISTA_EOS)
    [version] = parse(Platform.ARISTA_EOS, "show version", eos.show_version(s))
    assert version["serial_number"] == s.serial
    assert version["free_memory"] == str(s.memory[0].free // 1024)
    top = parse(Platform.ARISTA_EOS, "show processes top once", eos.show_processes_top_once(s))
    user, system, idle = eos.cpu_split(s)
    assert (top[0]["global_cpu_percent_user"], top[0]["global_cpu_percent_idle"]) == (
        f"{user:.1f}", f"{idle:.1f}")
    rows = parse(Platform.ARISTA_EOS, "show interfaces", eos.show_interfaces(s))
    assert [r["interface"] for r in rows] == [i.name for i in s.interfaces]
    temps = parse(Platform.ARISTA_EOS, "show environment temperature",
                  eos.show_environment_temperature(s))
    assert [t["current_value"] for t in temps] == [f"{x.celsius:.1f}" for x in s.sensors]
    assert [t["critical_limit"] for t in temps] == [str(round(x.critical)) for x in s.sensors]
    fans = parse(Platform.ARISTA_EOS, "show environment cooling", eos.show_environment_cooling(s))
    assert [f["fan"] for f in fans] == [f.name for f in s.fans]
    power = parse(Platform.ARISTA_EOS, "show environment power", eos.show_environment_power(s))
    assert [p["power_supply_watts"] for p in power] == [str(p.capacity_watts) for p in s.psus]
    peers = parse(Platform.ARISTA_EOS, "show ip bgp summary", eos.show_ip_bgp_summary(s))
    assert [p["state_pfxrcd"] for p in peers] == [
        str(p.prefixes) if p.established else "" for p in s.bgp_peers]


def test_junos_commands_parse_to_state_values() -> None:
    s = snap(Platform.JUNIPER_JUNOS)
    [version] = parse(Platform.JUNIPER_JUNOS, "show version", junos.show_version(s))
    assert (version["hostname"], version["model"], version["junos_version"]) == (
        "r1", s.model, s.version)
    rows = parse(Platform.JUNIPER_JUNOS, "show interfaces", junos.show_interfaces(s))
    physical = [r for r in rows if "." not in str(r["interface"])]
    assert [r["link_status"] for r in physical] == [
        "Up" if i.oper_up else "Down" for i in s.interfaces]
    peers = parse(Platform.JUNIPER_JUNOS, "show bgp summary", junos.show_bgp_summary(s))
    up = [p for p in s.bgp_peers if p.established]
    assert [p["received"] for p in peers if p["state"] == "Establ"] == [str(p.prefixes)
                                                                       for p in up]
