"""JSON parsers (EOS and NX-OS `| json`, Junos `| display json`) on hand-written output.

The corpus holds no JSON capture. Each document below follows the platform's published
JSON schema (EOS eAPI models; NX-OS TABLE_/ROW_ tables; Junos XML-as-JSON with `data`
leaves and `junos:` attributes), and every expected value is computed by hand from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from parser_expect import current_state, key, read, values

from services.collector.parsers import (
    arista_eos,
    arista_eos_json,
    cisco_nxos_json,
    juniper_junos_json,
)
from services.collector.parsers.common import ParseResult
from shared.errors import ParseError

pytestmark = pytest.mark.unit


def leaf(value: str, **attributes: str) -> list[dict[str, Any]]:
    """A Junos JSON leaf: [{"data": value, "attributes": {...}}]."""
    item: dict[str, Any] = {"data": value}
    if attributes:
        item["attributes"] = {f"junos:{k}": v for k, v in attributes.items()}
    return [item]


# ---------------------------------------------------------------- Arista EOS


EOS_INTERFACES = {
    "interfaces": {
        "Ethernet1": {
            "name": "Ethernet1", "lineProtocolStatus": "up", "interfaceStatus": "connected",
            "bandwidth": 10000000000,
            "interfaceCounters": {
                "inOctets": 31440, "outOctets": 33221, "inUcastPkts": 280,
                "inMulticastPkts": 9, "inBroadcastPkts": 3, "outUcastPkts": 171,
                "outMulticastPkts": 32, "outBroadcastPkts": 0, "totalInErrors": 1,
                "totalOutErrors": 0, "inDiscards": 4, "outDiscards": 5,
            },
        },
        "Ethernet2": {
            "name": "Ethernet2", "lineProtocolStatus": "down", "interfaceStatus": "disabled",
            "bandwidth": 0, "interfaceCounters": {"inOctets": 0, "outOctets": 0},
        },
        "Loopback0": {"name": "Loopback0", "lineProtocolStatus": "up",
                      "interfaceStatus": "connected", "bandwidth": 0},
    }
}


def test_eos_json_interfaces_sum_packet_kinds_when_counters_present() -> None:
    readings = arista_eos_json.parse_show_interfaces_json(json.dumps(EOS_INTERFACES))
    packets = values(readings, "system.network.packets")
    assert packets[key(interface="Ethernet1", direction="receive")] == 280 + 9 + 3
    assert packets[key(interface="Ethernet1", direction="transmit")] == 171 + 32 + 0
    io = values(readings, "system.network.io")
    assert io[key(interface="Ethernet1", direction="receive")] == 31440
    dropped = values(readings, "system.network.dropped")
    assert dropped[key(interface="Ethernet1", direction="transmit")] == 5
    admin = values(readings, "network.interface.admin_status")
    assert admin == {key(interface="Ethernet1"): 1, key(interface="Ethernet2"): 0,
                     key(interface="Loopback0"): 1}
    assert key(interface="Loopback0", direction="receive") not in io
    assert all(r.counter_bits == 64 for r in readings if r.metric.startswith("system.network"))


def test_eos_json_version_reads_seconds_and_kib_when_eapi_model() -> None:
    text = json.dumps({"uptime": 3900.52, "memTotal": 2028860, "memFree": 301240,
                       "version": "4.31.6M"})
    readings = arista_eos_json.parse_show_version_json(text)
    assert values(readings, "system.uptime") == {key(): 3900.52}
    assert values(readings, "system.memory.usage") == {
        key(state="used"): (2028860 - 301240) * 1024, key(state="free"): 301240 * 1024}


def test_eos_json_temperature_matches_text_names_when_sensor_is_on_a_card(corpus: Path) -> None:
    # The same sensor as row 1 of the corpus capture, in the JSON model.
    document = {
        "systemStatus": "temperatureOk", "tempSensors": [],
        "cardSlots": [{
            "entPhysicalClass": "Supervisor", "relPos": "1",
            "tempSensors": [{
                "name": "TempSensor1/1", "description": "Digital Temperature Sensor on cpu0",
                "currentTemperature": 36.0, "overheatThreshold": 95.0,
                "criticalThreshold": 105.0, "hwStatus": "ok",
            }],
        }],
    }
    from_json = arista_eos_json.parse_show_environment_temperature_json(json.dumps(document))
    raw = (corpus / "ntc-templates/arista_eos/show_environment_temperature"
           / "arista_eos_show_environment_temperature.raw")
    from_text = arista_eos.parse_show_environment_temperature(read(raw))
    assert from_json and all(reading in from_text for reading in from_json)


def test_eos_json_cooling_reads_fans_when_slot_is_empty() -> None:
    document = {
        "ambientTemperature": 22.0, "systemStatus": "coolingOk",
        "fanTraySlots": [{"label": "1", "status": "ok", "fans": [
            {"label": "1/1", "status": "ok", "actualSpeed": 34, "configuredSpeed": 35},
            {"label": "1/2", "status": "failed", "actualSpeed": 0, "configuredSpeed": 35},
        ]}],
        "powerSupplySlots": [{"label": "PowerSupply2", "status": "notInserted", "fans": []}],
    }
    readings = arista_eos_json.parse_show_environment_cooling_json(json.dumps(document))
    assert current_state(readings, "1/1") == "ok"
    assert current_state(readings, "1/2") == "failed"
    assert current_state(readings, "PowerSupply2") == "absent"
    assert values(readings, "hw.fan.speed_ratio") == {
        key(sensor="1/1"): 0.34, key(sensor="1/2"): 0.0}
    assert values(readings, "hw.temperature") == {key(sensor="Ambient"): 22.0}


def test_eos_json_power_reads_state_and_watts_when_supplies_listed() -> None:
    document = {"powerSupplies": {
        "1": {"modelName": "PWR-500AC-R", "capacity": 500.0, "outputPower": 64.8,
              "state": "ok"},
        "2": {"modelName": "PWR-500AC-R", "capacity": 500.0, "outputPower": 0.0,
              "state": "powerLoss"},
    }}
    readings = arista_eos_json.parse_show_environment_power_json(json.dumps(document))
    assert current_state(readings, "PS 1") == "ok"
    assert current_state(readings, "PS 2") == "failed"
    assert values(readings, "hw.power") == {key(sensor="PS 1"): 64.8, key(sensor="PS 2"): 0.0}


def test_eos_json_bgp_reads_every_vrf_when_one_peer_is_broken() -> None:
    document = {"vrfs": {
        "default": {"routerId": "192.0.2.1", "asn": "64496", "peers": {
            "192.0.2.4": {"peerState": "Established", "prefixReceived": 10,
                          "asn": "64497.232"},
            "192.0.2.9": {"prefixReceived": 1, "asn": "64496"},  # no peerState: broken
        }},
        "RED": {"routerId": "192.0.2.1", "asn": "64496", "peers": {
            "198.51.100.1": {"peerState": "Active", "prefixReceived": 0, "asn": 65010},
        }},
    }}
    result = arista_eos_json.parse_show_ip_bgp_summary_json(json.dumps(document))
    assert values(result, "bgp.peer.state") == {
        key(peer="192.0.2.4", vrf="default", **{"peer.as": str(64497 * 65536 + 232)}): 6,
        key(peer="198.51.100.1", vrf="RED", **{"peer.as": "65010"}): 3,
    }
    assert list(values(result, "bgp.peer.prefixes.received").values()) == [10]
    assert isinstance(result, ParseResult) and len(result.problems) == 1
    assert "192.0.2.9" in result.problems[0]


def test_json_parser_raises_parse_error_when_output_is_not_json() -> None:
    with pytest.raises(ParseError, match="Invalid input"):
        arista_eos_json.parse_show_version_json("% Invalid input (privileged mode required)\n")
    with pytest.raises(ParseError, match="invalid JSON"):
        arista_eos_json.parse_show_version_json('{"uptime": 12,,}')


# ---------------------------------------------------------------- Cisco NX-OS


def nxos_interface(name: str, **fields: Any) -> dict[str, Any]:
    return {"interface": name, **fields}


def test_nxos_json_interface_reads_single_row_when_row_is_an_object() -> None:
    # One interface: NX-OS prints ROW_interface as an object, numbers partly as strings.
    document = {"TABLE_interface": {"ROW_interface": nxos_interface(
        "Ethernet1/1", state="up", admin_state="up", eth_bw=10000000,
        eth_inbytes=19188106, eth_outbytes="62262008", eth_inpkts=68448,
        eth_outpkts=754962, eth_inerr="0", eth_outerr="0", eth_indiscard="193274",
        eth_outdiscard="133470")}}
    readings = cisco_nxos_json.parse_show_interface_json(f"n9k# show interface | json\n"
                                                         f"{json.dumps(document)}\nn9k# ")
    io = values(readings, "system.network.io")
    assert io == {key(interface="Ethernet1/1", direction="receive"): 19188106,
                  key(interface="Ethernet1/1", direction="transmit"): 62262008}
    dropped = values(readings, "system.network.dropped")
    assert dropped[key(interface="Ethernet1/1", direction="receive")] == 193274
    assert values(readings, "network.interface.speed") == {key(interface="Ethernet1/1"): 1e10}


def test_nxos_json_interface_reads_svi_when_rows_are_a_list() -> None:
    document = {"TABLE_interface": {"ROW_interface": [
        nxos_interface("Vlan20", svi_line_proto="down", svi_admin_state="up", svi_bw=1000000),
        nxos_interface("mgmt0", state="up", admin_state="up", eth_bw=100000,
                       eth_inbytes=267225622, eth_outbytes=117206151),
        {"admin_state": "up"},  # no name and no state: broken row
    ]}}
    result = cisco_nxos_json.parse_show_interface_json(json.dumps(document))
    assert values(result, "network.interface.oper_status") == {
        key(interface="Vlan20"): 0, key(interface="mgmt0"): 1}
    assert values(result, "network.interface.admin_status")[key(interface="Vlan20")] == 1
    assert values(result, "network.interface.speed")[key(interface="mgmt0")] == 1e8
    assert isinstance(result, ParseResult) and len(result.problems) == 1


def test_nxos_json_resources_and_version_read_strings_when_numbers_quoted() -> None:
    resources = {"load_avg_1min": "0.34", "load_avg_5min": "0.40", "load_avg_15min": "0.66",
                 "memory_usage_total": "5873172", "memory_usage_used": "4189652",
                 "memory_usage_free": "1683520", "cpu_state_idle": "86.24"}
    readings = cisco_nxos_json.parse_show_system_resources_json(json.dumps(resources))
    assert values(readings, "system.memory.usage") == {
        key(state="used"): 4189652 * 1024, key(state="free"): 1683520 * 1024}
    assert values(readings, "system.cpu.load_average.5m") == {key(): 0.40}
    assert values(readings, "system.cpu.utilization") == {key(): pytest.approx(0.1376)}
    version = {"kern_uptm_days": 123, "kern_uptm_hrs": 5, "kern_uptm_mins": 15,
               "kern_uptm_secs": 19}
    uptime = cisco_nxos_json.parse_show_version_json(json.dumps(version))
    assert values(uptime, "system.uptime") == {key(): 123 * 86400 + 5 * 3600 + 15 * 60 + 19}


def test_nxos_json_environment_reads_tables_when_rows_mix_objects_and_lists() -> None:
    document = {
        "powersup": {"TABLE_psinfo": {"ROW_psinfo": [
            {"psnum": 1, "psmodel": "N9K-PAC-650W", "actual_out": "101 W", "ps_status": "Ok"},
            {"psnum": 2, "psmodel": "N9K-PAC-650W", "actual_out": "0 W",
             "ps_status": "Shutdown"},
        ]}},
        "fandetails": {"TABLE_faninfo": {"ROW_faninfo": {"fanname": "Fan1(sys_fan1)",
                                                         "fanstatus": "Ok"}}},
        "TABLE_tempinfo": {"ROW_tempinfo": [
            {"tempmod": "1", "sensor": "FRONT", "majthres": "70", "minthres": "42",
             "curtemp": "24", "alarmstatus": "Ok"},
        ]},
    }
    readings = cisco_nxos_json.parse_show_environment_json(json.dumps(document))
    assert current_state(readings, "PS 1") == "ok"
    assert current_state(readings, "PS 2") == "failed"
    assert current_state(readings, "Fan1(sys_fan1)") == "ok"
    assert values(readings, "hw.power") == {key(sensor="PS 1"): 101, key(sensor="PS 2"): 0}
    assert values(readings, "hw.temperature") == {key(sensor="Module 1 FRONT"): 24}
    assert values(readings, "hw.temperature.limit") == {
        key(sensor="Module 1 FRONT", limit_type="high.degraded"): 42,
        key(sensor="Module 1 FRONT", limit_type="high.critical"): 70}


def test_nxos_json_bgp_walks_vrf_af_saf_tables_when_nested() -> None:
    document = {"TABLE_vrf": {"ROW_vrf": [
        {"vrf-name-out": "default", "TABLE_af": {"ROW_af": {"af-id": 1, "TABLE_saf": {
            "ROW_saf": {"safi": 1, "af-name": "IPv4 Unicast", "TABLE_neighbor": {
                "ROW_neighbor": [
                    {"neighborid": "10.0.0.1", "neighboras": "65000", "state": "Established",
                     "prefixreceived": "558720"},
                    {"neighborid": "10.0.0.10", "neighboras": "65009", "state": "Shut (Admin)",
                     "prefixreceived": "0"},
                ]}}}}}},
        {"vrf-name-out": "RED", "TABLE_af": {"ROW_af": {"af-id": 1, "TABLE_saf": {
            "ROW_saf": {"safi": 1, "af-name": "IPv4 Unicast", "TABLE_neighbor": {
                "ROW_neighbor": {"neighborid": "192.168.1.2", "neighboras": "65000.1000",
                                 "state": "Idle", "prefixreceived": "0"}}}}}}},
    ]}}
    readings = cisco_nxos_json.parse_show_ip_bgp_summary_json(json.dumps(document))
    assert values(readings, "bgp.peer.state") == {
        key(peer="10.0.0.1", vrf="default", **{"peer.as": "65000"}): 6,
        key(peer="10.0.0.10", vrf="default", **{"peer.as": "65009"}): 0,
        key(peer="192.168.1.2", vrf="RED", **{"peer.as": str(65000 * 65536 + 1000)}): 1,
    }
    assert values(readings, "bgp.peer.prefixes.received") == {
        key(peer="10.0.0.1", vrf="default", family="ipv4 unicast", **{"peer.as": "65000"}):
            558720}


# ---------------------------------------------------------------- Juniper Junos


JUNOS_INTERFACES = {"interface-information": [{"physical-interface": [
    {
        "name": leaf("ge-0/0/1"), "admin-status": leaf("up"), "oper-status": leaf("up"),
        "speed": leaf("1000mbps"),
        "traffic-statistics": [{"input-bytes": leaf("23390410112"),
                                "output-bytes": leaf("13339837120"),
                                "input-packets": leaf("128574580"),
                                "output-packets": leaf("87612378")}],
        "input-error-list": [{"input-errors": leaf("7"), "input-drops": leaf("3")}],
        "output-error-list": [{"output-errors": leaf("2"), "output-drops": leaf("11")}],
        "logical-interface": [{"name": leaf("ge-0/0/1.0"), "traffic-statistics": [
            {"input-bytes": leaf("999")}]}],
    },
    {"name": leaf("xe-0/0/2"), "admin-status": leaf("down"), "oper-status": leaf("down"),
     "speed": leaf("10Gbps")},
    {"name": leaf("gr-0/0/0"), "admin-status": leaf("up"), "oper-status": leaf("up"),
     "speed": leaf("Unlimited")},
]}]}


def test_junos_json_interfaces_read_physical_counters_when_logical_units_follow() -> None:
    readings = juniper_junos_json.parse_show_interfaces_json(json.dumps(JUNOS_INTERFACES))
    io = values(readings, "system.network.io")
    assert io == {key(interface="ge-0/0/1", direction="receive"): 23390410112,
                  key(interface="ge-0/0/1", direction="transmit"): 13339837120}
    errors = values(readings, "system.network.errors")
    assert errors[key(interface="ge-0/0/1", direction="receive")] == 7
    dropped = values(readings, "system.network.dropped")
    assert dropped[key(interface="ge-0/0/1", direction="transmit")] == 11
    assert values(readings, "network.interface.speed") == {
        key(interface="ge-0/0/1"): 1e9, key(interface="xe-0/0/2"): 1e10}
    assert values(readings, "network.interface.admin_status")[key(interface="xe-0/0/2")] == 0


def test_junos_json_routing_engine_names_engines_when_two_are_present() -> None:
    def engine(slot: str, idle: list[str], used: str, seconds: str) -> dict[str, Any]:
        keys = ["cpu-idle", "cpu-idle1", "cpu-idle2", "cpu-idle3"]
        return {"slot": leaf(slot), "memory-dram-size": leaf("4096 MB"),
                "memory-buffer-utilization": leaf(used),
                "up-time": leaf("some days", seconds=seconds),
                **{k: leaf(v) for k, v in zip(keys, idle, strict=True)}}

    document = {"route-engine-information": [{"route-engine": [
        engine("0", ["97", "95", "94", "93"], "25", "1047845"),
        engine("1", ["99", "99", "98", "98"], "10", "3463323"),
    ]}]}
    readings = juniper_junos_json.parse_show_chassis_routing_engine_json(json.dumps(document))
    assert values(readings, "system.cpu.utilization.15m") == {
        key(node="re0"): pytest.approx(0.07), key(node="re1"): pytest.approx(0.02)}
    assert values(readings, "system.memory.usage")[key(node="re0", state="used")] == (
        4096 * 2**20 * 0.25)
    assert values(readings, "system.uptime") == {key(node="re0"): 1047845,
                                                 key(node="re1"): 3463323}


def test_junos_json_uptime_reads_each_node_when_multi_re_wrapped() -> None:
    def info(seconds: str) -> list[dict[str, Any]]:
        return [{"system-booted-time": [{"date-time": leaf("2021-03-29 13:32:05 MSK"),
                                         "time-length": leaf("22w0d 19:16", seconds=seconds)}]}]

    document = {"multi-routing-engine-results": [{"multi-routing-engine-item": [
        {"re-name": leaf("node0"), "system-uptime-information": info("13374966")},
        {"re-name": leaf("node1"), "system-uptime-information": info("16048762")},
    ]}]}
    readings = juniper_junos_json.parse_show_system_uptime_json(json.dumps(document))
    assert values(readings, "system.uptime") == {key(node="node0"): 13374966,
                                                 key(node="node1"): 16048762}


def test_junos_json_environment_carries_class_when_only_first_item_has_it() -> None:
    items = [
        {"name": leaf("PSM 0"), "class": leaf("Temp"), "status": leaf("OK"),
         "temperature": leaf("25 degrees C / 77 degrees F", celsius="25")},
        {"name": leaf("Routing Engine 0"), "status": leaf("OK"),
         "temperature": leaf("43 degrees C / 109 degrees F", celsius="43")},
        {"name": leaf("Fan Tray 0 Fan 1"), "class": leaf("Fans"), "status": leaf("OK"),
         "comment": leaf("2760 RPM")},
        {"name": leaf("Fan Tray 0 Fan 2"), "status": leaf("Failed")},
    ]
    document = {"environment-information": [{"environment-item": items}]}
    readings = juniper_junos_json.parse_show_chassis_environment_json(json.dumps(document))
    assert values(readings, "hw.temperature") == {
        key(sensor="PSM 0"): 25, key(sensor="Routing Engine 0"): 43}
    assert current_state(readings, "Fan Tray 0 Fan 2") == "failed"
    assert values(readings, "hw.fan.speed") == {key(sensor="Fan Tray 0 Fan 1"): 2760}


def test_junos_json_bgp_reads_each_rib_when_peer_has_two_tables() -> None:
    peers = [
        {"peer-address": leaf("192.0.2.254+179"), "peer-as": leaf("64496"),
         "peer-state": leaf("Established"),
         "bgp-rib": [{"name": leaf("wanTrusted.inet.0"), "received-prefix-count": leaf("224")},
                     {"name": leaf("wanTrusted.inet6.0"), "received-prefix-count": leaf("12")}]},
        {"peer-address": leaf("203.0.113.9"), "peer-as": leaf("65001"),
         "peer-state": leaf("Active")},
    ]
    document = {"bgp-information": [{"bgp-peer": peers}]}
    readings = juniper_junos_json.parse_show_bgp_summary_json(json.dumps(document))
    assert values(readings, "bgp.peer.state") == {
        key(peer="192.0.2.254", vrf="wanTrusted", **{"peer.as": "64496"}): 6,
        key(peer="203.0.113.9", vrf="default", **{"peer.as": "65001"}): 3,
    }
    received = {(dict(k)["family"], v) for k, v in
                values(readings, "bgp.peer.prefixes.received").items()}
    assert received == {("ipv4 unicast", 224), ("ipv6 unicast", 12)}
