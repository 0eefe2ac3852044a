"""JSON forms agree with the snapshot; table headers match the real captures byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.simulator.vendors import render_eos as eos
from services.simulator.vendors import render_eos_json as eos_json
from services.simulator.vendors import render_ios as ios
from services.simulator.vendors import render_junos as junos
from services.simulator.vendors import render_junos_json as junos_json
from services.simulator.vendors import render_nxos as nxos
from services.simulator.vendors import render_nxos_json as nxos_json
from services.simulator.vendors.factory import build_device
from services.simulator.vendors.snapshot import DeviceSnapshot, take_snapshot
from services.simulator.vendors.timefmt import ios_uptime, nxos_uptime
from shared.inventory import Platform

pytestmark = pytest.mark.unit

NOW = 1_760_000_000.0


def snap(platform: Platform) -> DeviceSnapshot:
    return take_snapshot(build_device(platform, hostname="r1", now=NOW - 90_000, seed=3), NOW)


def test_nxos_json_interface_counters_equal_snapshot() -> None:
    s = snap(Platform.CISCO_NXOS)
    rows = json.loads(nxos_json.show_interface(s))["TABLE_interface"]["ROW_interface"]
    assert [(r["interface"], r["eth_inbytes"], r["eth_outpkts"]) for r in rows] == [
        (i.name, i.in_octets, i.out_packets) for i in s.interfaces]
    bgp = json.loads(nxos_json.show_ip_bgp_summary(s))["TABLE_vrf"]["ROW_vrf"][0]
    neighbours = bgp["TABLE_af"]["ROW_af"][0]["TABLE_saf"]["ROW_saf"][0]["TABLE_neighbor"]
    assert [n["neighboras"] for n in neighbours["ROW_neighbor"]] == [
        p.remote_as for p in s.bgp_peers]


def test_eos_json_agrees_with_text_form() -> None:
    s = snap(Platform.ARISTA_EOS)
    counters = json.loads(eos_json.show_interfaces(s))["interfaces"]
    text = eos.show_interfaces(s)
    for i in s.interfaces:
        assert counters[i.name]["interfaceCounters"]["inOctets"] == i.in_octets
        assert f"{i.in_packets} packets input, {i.in_octets} bytes" in text
    temps = json.loads(eos_json.show_environment_temperature(s))["tempSensors"]
    assert [t["currentTemperature"] for t in temps] == [x.celsius for x in s.sensors]


def test_junos_json_agrees_with_extensive_text() -> None:
    s = snap(Platform.JUNIPER_JUNOS)
    data = json.loads(junos_json.show_interfaces_extensive(s))
    physical = data["interface-information"][0]["physical-interface"]
    text = junos.show_interfaces(s, extensive=True)
    for row, i in zip(physical, s.interfaces, strict=True):
        octets = row["traffic-statistics"][0]["input-bytes"][0]["data"]
        assert octets == str(i.in_octets)
        assert f"Input  bytes  : {i.in_octets:>20}" in text
    bgp = json.loads(junos_json.show_bgp_summary(s))["bgp-information"][0]
    assert bgp["down-peer-count"][0]["data"] == "1"
    re_info = json.loads(junos_json.show_chassis_routing_engine(s))
    idle = re_info["route-engine-information"][0]["route-engine"][0]["cpu-idle"][0]["data"]
    assert int(idle) == 100 - round(s.cpu.five_sec)


@pytest.mark.parametrize(
    ("capture", "render", "platform"),
    [
        # the neighbour table header of IOS BGP summary
        ("cisco_ios/show_ip_bgp_summary/cisco_ios_show_ip_bgp_summary.raw",
         ios.show_ip_bgp_summary, Platform.CISCO_IOS),
        # the process table header of IOS memory
        ("cisco_ios/show_processes_memory_sorted/cisco_ios_show_processes_memory_sorted.raw",
         ios.show_processes_memory_sorted, Platform.CISCO_IOS),
        # the PSU table header and rule
        ("cisco_ios/show_environment_power_all/cisco_ios_show_environment_power_all.raw",
         ios.show_environment_power_all, Platform.CISCO_IOS),
        # Arista's three-line temperature header
        ("arista_eos/show_environment_temperature/arista_eos_show_environment_temperature.raw",
         eos.show_environment_temperature, Platform.ARISTA_EOS),
        ("arista_eos/show_environment_power/arista_eos_show_environment_power3.raw",
         eos.show_environment_power, Platform.ARISTA_EOS),
        ("arista_eos/show_environment_cooling/arista_eos_show_environment_cooling.raw",
         eos.show_environment_cooling, Platform.ARISTA_EOS),
        ("juniper_junos/show_bgp_summary/show_bgp_summary.raw",
         junos.show_bgp_summary, Platform.JUNIPER_JUNOS),
    ],
)
def test_render_header_lines_match_capture_when_compared(
    corpus: Path, capture: str, render: object, platform: Platform
) -> None:
    raw = (corpus / "ntc-templates" / capture).read_text()
    headers = [line for line in raw.splitlines()
               if line.startswith(("Neighbor ", " PID", "SW ", "--", "Sensor", "-------",
                                   "Fan ", "Supply", "Power ", "Peer "))]
    assert callable(render)
    ours = render(snap(platform)).splitlines()
    for line in headers:
        assert line.rstrip() in [o.rstrip() for o in ours], line


def test_uptime_formats_match_capture_strings() -> None:
    # "2 years, 31 weeks, 6 days, 9 hours, 55 minutes" from cisco_ios_show_version.raw
    seconds = 2 * 31_536_000 + 31 * 604_800 + 6 * 86_400 + 9 * 3600 + 55 * 60
    assert ios_uptime(seconds) == "2 years, 31 weeks, 6 days, 9 hours, 55 minutes"
    # "123 day(s), 5 hour(s), 15 minute(s), 19 second(s)" from cisco_nxos_show_version.raw
    assert nxos_uptime(123 * 86_400 + 5 * 3600 + 15 * 60 + 19) == (
        "123 day(s), 5 hour(s), 15 minute(s), 19 second(s)")
    assert nxos.show_version(snap(Platform.CISCO_NXOS)).startswith(
        "Cisco Nexus Operating System (NX-OS) Software\n")
