"""Text parsers for commands the corpus holds no capture of.

MANIFEST.md announces genieparser captures for these commands, but the staged
`genieparser/` folder is absent (its manifest table is empty). The outputs below are
written for these tests in each platform's documented layout, and every expected value
is computed by hand from the text right above it.
"""

from __future__ import annotations

import pytest
from parser_expect import key, values

from services.collector.parsers import cisco_nxos, juniper_junos
from services.collector.parsers.common import ParseResult

pytestmark = pytest.mark.unit

MIB = 2**20
D, H, M = 86400, 3600, 60

NXOS_SYSTEM_RESOURCES = """\
leaf7# show system resources
Load average:   1 minute: 0.21   5 minutes: 0.35   15 minutes: 0.40
Processes   :   812 total, 3 running
CPU states  :   4.00% user,   6.50% kernel,   89.50% idle
        CPU0 states  :   5.00% user,   7.00% kernel,   88.00% idle
Memory usage:   8000000K total,   5000000K used,   3000000K free
Kernel vmalloc:   0K total,   0K free
Current memory status: OK
leaf7#"""


def test_nxos_system_resources_reads_kib_when_memory_line_present() -> None:
    readings = cisco_nxos.parse_show_system_resources(NXOS_SYSTEM_RESOURCES)
    assert values(readings, "system.memory.usage") == {
        key(state="used"): 5000000 * 1024, key(state="free"): 3000000 * 1024}
    assert values(readings, "system.memory.limit") == {key(): 8000000 * 1024}
    assert values(readings, "system.cpu.load_average.1m") == {key(): 0.21}
    assert values(readings, "system.cpu.load_average.15m") == {key(): 0.40}
    # "CPU states  :   4.00% user,   6.50% kernel,   89.50% idle": busy 10.5 %.
    assert values(readings, "system.cpu.utilization") == {key(): pytest.approx(0.105)}


JUNOS_ROUTING_ENGINE = """\
Routing Engine status:
  Slot 0:
    Current state                  Master
    Election priority              Master (default)
    DRAM                      4096 MB (4096 MB installed)
    Memory utilization          25 percent
    5 sec CPU utilization:
      User                       2 percent
      Background                 0 percent
      Kernel                     1 percent
      Interrupt                  0 percent
      Idle                      97 percent
    1 min CPU utilization:
      User                       3 percent
      Background                 0 percent
      Kernel                     2 percent
      Interrupt                  0 percent
      Idle                      95 percent
    5 min CPU utilization:
      User                       4 percent
      Background                 0 percent
      Kernel                     2 percent
      Interrupt                  0 percent
      Idle                      94 percent
    15 min CPU utilization:
      User                       4 percent
      Background                 0 percent
      Kernel                     3 percent
      Interrupt                  0 percent
      Idle                      93 percent
    Model                          RE-S-1800x4
    Start time                     2026-01-02 03:04:05 UTC
    Uptime                         12 days, 3 hours, 4 minutes, 5 seconds
    Last reboot reason             Router rebooted after a normal shutdown.
  Slot 1:
    Current state                  Backup
    DRAM                      4096 MB (4096 MB installed)
    Memory utilization          10 percent
    CPU utilization:
      User                       0 percent
      Background                 0 percent
      Kernel                     1 percent
      Interrupt                  0 percent
      Idle                      99 percent
    Uptime                         40 days, 1 hour, 2 minutes, 3 seconds
"""


def test_junos_routing_engine_reads_each_slot_when_two_engines() -> None:
    readings = juniper_junos.parse_show_chassis_routing_engine(JUNOS_ROUTING_ENGINE)
    assert values(readings, "system.cpu.utilization") == {
        key(node="re0"): pytest.approx(0.03), key(node="re1"): pytest.approx(0.01)}
    assert values(readings, "system.cpu.utilization.1m") == {key(node="re0"): pytest.approx(0.05)}
    assert values(readings, "system.cpu.utilization.5m") == {key(node="re0"): pytest.approx(0.06)}
    assert values(readings, "system.cpu.utilization.15m") == {
        key(node="re0"): pytest.approx(0.07)}
    total = 4096 * MIB
    assert values(readings, "system.memory.usage") == {
        key(node="re0", state="used"): total * 0.25, key(node="re0", state="free"): total * 0.75,
        key(node="re1", state="used"): total * 0.10, key(node="re1", state="free"): total * 0.90,
    }
    assert values(readings, "system.uptime") == {
        key(node="re0"): 12 * D + 3 * H + 4 * M + 5, key(node="re1"): 40 * D + 1 * H + 2 * M + 3}


def test_junos_routing_engine_has_no_node_when_single_engine() -> None:
    single = JUNOS_ROUTING_ENGINE.split("  Slot 1:")[0]
    readings = juniper_junos.parse_show_chassis_routing_engine(single)
    assert all("node" not in r.attributes for r in readings)
    assert values(readings, "system.uptime") == {key(): 12 * D + 3 * H + 4 * M + 5}


JUNOS_ENVIRONMENT = """\
Class Item                           Status     Measurement
Temp  PSM 0                          OK         25 degrees C / 77 degrees F
      PSM 1                          Check
      Routing Engine 0               OK         43 degrees C / 109 degrees F
      FPC 0 Exhaust A                OK         53 degrees C / 127 degrees F
Power PSM 0                          OK
      PSM 1                          Failed
      PSM 2                          Absent
Fans  Fan Tray 0 Fan 1               OK         2760 RPM
      Fan Tray 0 Fan 2               Failed
Misc  CB 0 Clock                     OK
"""


def test_junos_environment_reads_classes_when_class_printed_once_per_group() -> None:
    readings = juniper_junos.parse_show_chassis_environment(JUNOS_ENVIRONMENT)
    assert values(readings, "hw.temperature") == {
        key(sensor="PSM 0"): 25, key(sensor="Routing Engine 0"): 43,
        key(sensor="FPC 0 Exhaust A"): 53}
    states = {(r.attributes["type"], r.attributes["sensor"]): r.attributes["state"]
              for r in readings if r.metric == "hw.status" and r.value == 1.0}
    assert states == {
        ("power_supply", "PSM 0"): "ok", ("power_supply", "PSM 1"): "failed",
        ("power_supply", "PSM 2"): "absent", ("fan", "Fan Tray 0 Fan 1"): "ok",
        ("fan", "Fan Tray 0 Fan 2"): "failed",
    }
    assert values(readings, "hw.fan.speed") == {key(sensor="Fan Tray 0 Fan 1"): 2760}


def test_junos_environment_prefixes_node_when_cluster_wraps_output() -> None:
    rule = "-" * 74
    wrapped = f"node0:\n{rule}\n{JUNOS_ENVIRONMENT}\nnode1:\n{rule}\n{JUNOS_ENVIRONMENT}"
    temperatures = values(juniper_junos.parse_show_chassis_environment(wrapped),
                          "hw.temperature")
    assert temperatures[key(sensor="node0 PSM 0")] == 25
    assert temperatures[key(sensor="node1 FPC 0 Exhaust A")] == 53
    assert len(temperatures) == 6


JUNOS_INTERFACES_EXTENSIVE = """\
Physical interface: ge-0/0/1, Enabled, Physical link is Up
  Interface index: 149, SNMP ifIndex: 517, Generation: 152
  Link-level type: Ethernet, MTU: 1514, Speed: 1000mbps, Duplex: Full-Duplex
  Statistics last cleared: Never
  Traffic statistics:
   Input  bytes  :          23390410112                 1912 bps
   Output bytes  :          13339837120                 1712 bps
   Input  packets:            128574580                    2 pps
   Output packets:             87612378                    2 pps
   IPv6 transit statistics:
    Input  bytes  :                 4096
    Output bytes  :                 2048
    Input  packets:                   16
    Output packets:                    8
  Input errors:
    Errors: 7, Drops: 3, Framing errors: 1, Runts: 0, Policed discards: 0,
    L3 incompletes: 0, L2 channel errors: 0, L2 mismatch timeouts: 0, FIFO errors: 0
  Output errors:
    Carrier transitions: 5, Errors: 2, Drops: 11, Collisions: 0, Aged packets: 0,
    FIFO errors: 0, HS link CRC errors: 0, MTU errors: 0, Resource errors: 0

  Logical interface ge-0/0/1.0 (Index 77) (SNMP ifIndex 530) (Generation 142)
    Flags: Up SNMP-Traps 0x4000 Encapsulation: ENET2
    Traffic statistics:
     Input  bytes  :                  999
     Output bytes  :                  888
     Input  packets:                    9
     Output packets:                    8

Physical interface: xe-0/0/2, Administratively down, Physical link is Down
  Link-level type: Ethernet, MTU: 1514, Speed: 10Gbps, Duplex: Full-Duplex
  Traffic statistics:
   Input  bytes  :                    0                    0 bps
   Output bytes  :                    0                    0 bps
   Input  packets:                    0                    0 pps
   Output packets:                    0                    0 pps
  Input errors:
    Errors: 0, Drops: 0, Framing errors: 0
  Output errors:
    Carrier transitions: 0, Errors: 0, Drops: 0
"""


def test_junos_interfaces_extensive_reads_physical_counters_when_units_follow() -> None:
    readings = juniper_junos.parse_show_interfaces(JUNOS_INTERFACES_EXTENSIVE)
    assert isinstance(readings, ParseResult) and readings.problems == []
    ge = {(r.metric, r.attributes.get("direction")): r.value for r in readings
          if r.attributes["interface"] == "ge-0/0/1"}
    assert ge == {
        ("system.network.io", "receive"): 23390410112,
        ("system.network.io", "transmit"): 13339837120,
        ("system.network.packets", "receive"): 128574580,
        ("system.network.packets", "transmit"): 87612378,
        ("system.network.errors", "receive"): 7, ("system.network.errors", "transmit"): 2,
        ("system.network.dropped", "receive"): 3, ("system.network.dropped", "transmit"): 11,
        ("network.interface.oper_status", None): 1, ("network.interface.admin_status", None): 1,
        ("network.interface.speed", None): 1e9,
    }
    xe = values(readings, "network.interface.admin_status")[key(interface="xe-0/0/2")]
    assert xe == 0
    assert {r.attributes["interface"] for r in readings} == {"ge-0/0/1", "xe-0/0/2"}
