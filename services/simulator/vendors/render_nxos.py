"""Cisco NX-OS text output, laid out like the Nexus captures in the shared corpus."""

from __future__ import annotations

from services.simulator.vendors.snapshot import DeviceSnapshot, InterfaceView
from services.simulator.vendors.timefmt import cisco_short, nxos_uptime, strftime_utc


def cpu_split(snap: DeviceSnapshot) -> tuple[float, float, float]:
    """(user, kernel, idle) percent: NX-OS shows the instantaneous CPU as these three."""
    busy = snap.cpu.five_sec
    user = round(busy * 0.7, 2)
    kernel = round(busy - user, 2)
    return user, kernel, round(100 - user - kernel, 2)


def load_averages(snap: DeviceSnapshot) -> tuple[float, float, float]:
    """1/5/15-minute load averages derived from the CPU averages (4 cores)."""
    cpu = snap.cpu
    return (round(cpu.one_min * 0.04, 2), round(cpu.five_min * 0.04, 2),
            round(cpu.five_min * 0.038, 2))


def show_version(snap: DeviceSnapshot) -> str:
    """`show version`."""
    memory_kb = snap.memory[0].total // 1024 if snap.memory else 0
    image = f"nxos.{snap.version.replace('(', '.').replace(')', '')}.bin"
    lines = [
        "Cisco Nexus Operating System (NX-OS) Software",
        "TAC support: http://www.cisco.com/tac",
        "Copyright (C) 2002-2021, Cisco and/or its affiliates.",
        "All rights reserved.",
        "",
        "Software",
        "  BIOS: version 07.69",
        f"  NXOS: version {snap.version}",
        "  BIOS compile time:  04/08/2021",
        f"  NXOS image file is: bootflash:///{image}",
        "  NXOS compile time:  9/12/2021 1:00:00 [09/12/2021 09:14:44]",
        "",
        "",
        "Hardware",
        f"  cisco Nexus9000 {snap.model} Chassis",
        f"  Intel(R) Xeon(R) CPU  @ 1.80GHz with {memory_kb} kB of memory.",
        f"  Processor Board ID {snap.serial}",
        "",
        f"  Device name: {snap.hostname}",
        "  bootflash:   53298520 kB",
        f"Kernel uptime is {nxos_uptime(snap.uptime_s)}",
        "",
        "Last reset at 0 usecs after " + strftime_utc(snap.boot_time, "%a %b %d %H:%M:%S %Y"),
        "",
        f"  Reason: {snap.reload_reason}",
        "  System version: ",
        "  Service: ",
        "",
        "plugin",
        "  Core Plugin, Ethernet Plugin",
        "",
        "Active Package(s):",
    ]
    return _join(lines)


def show_system_resources(snap: DeviceSnapshot) -> str:
    """`show system resources`: load, CPU states and memory usage."""
    one, five, fifteen = load_averages(snap)
    user, kernel, idle = cpu_split(snap)
    mem = snap.memory[0]
    kb = (mem.total // 1024, mem.used // 1024, mem.free // 1024)
    lines = [
        f"Load average:   1 minute: {one:.2f}   5 minutes: {five:.2f}   15 minutes: {fifteen:.2f}",
        "Processes   :   712 total, 1 running",
        f"CPU states  :   {user:.2f}% user,   {kernel:.2f}% kernel,   {idle:.2f}% idle",
        f"        CPU0 states  :   {user:.2f}% user,   {kernel:.2f}% kernel,   {idle:.2f}% idle",
        f"Memory usage:   {kb[0]}K total,   {kb[1]}K used,   {kb[2]}K free",
        "Kernel vmalloc:   0K total,   0K free",
        "Kernel buffers:   158248K Used",
        "Kernel cached :   3543408K Used",
        "",
        "Current memory status: OK",
    ]
    return _join(lines)


def show_interface(snap: DeviceSnapshot) -> str:
    """`show interface`: one block per interface, blank line between blocks."""
    return "\n".join(_block(snap, i) for i in snap.interfaces)


def _speed_text(mbps: int) -> str:
    return f"{mbps // 1000} Gb/s" if mbps >= 1000 else f"{mbps} Mb/s"


def _block(snap: DeviceSnapshot, i: InterfaceView) -> str:
    status = "up" if i.oper_up else ("down (Administratively down)" if not i.admin_up
                                     else "down (Link not connected)")
    cleared = snap.counters_cleared_s_ago
    mgmt = i.name.startswith("mgmt")
    lines = [f"{i.name} is {status}", f"admin state is {'up' if i.admin_up else 'down'},"
             + ("" if mgmt else " Dedicated Interface")]
    kind = "GigabitEthernet" if mgmt else "100/1000/10000/25000 Ethernet"
    lines.append(f"  Hardware: {kind}, address: {i.mac} (bia {i.mac})")
    if i.description:
        lines.append(f"  Description: {i.description}")
    if i.ipv4:
        lines.append(f"  Internet Address is {i.ipv4}")
    lines += [
        f"  MTU {i.mtu} bytes, BW {i.speed_mbps * 1000} Kbit, DLY 10 usec",
        "  reliability 255/255, txload 1/255, rxload 1/255",
        "  Encapsulation ARPA, medium is broadcast",
    ]
    if not mgmt:
        lines.append("  Port mode is routed")
    lines += [
        f"  full-duplex, {_speed_text(i.speed_mbps)}"
        + ("" if mgmt else f", media type is {i.speed_mbps // 1000}G"),
        "  Auto-Negotiation is turned on",
        "  Auto-mdix is turned off",
        "  EtherType is 0x0000",
        f"  Last link flapped {cisco_short(int(i.flapped_seconds_ago))}",
        '  Last clearing of "show interface" counters '
        + ("never" if cleared is None else cisco_short(cleared)),
        "  1 interface resets",
        f"  30 seconds input rate {i.in_rate_bps} bits/sec, {i.in_pps} packets/sec",
        f"  30 seconds output rate {i.out_rate_bps} bits/sec, {i.out_pps} packets/sec",
        "  Load-Interval #2: 5 minute (300 seconds)",
        f"    input rate {i.in_rate_bps} bps, {i.in_pps} pps; "
        f"output rate {i.out_rate_bps} bps, {i.out_pps} pps",
        "  RX",
        f"    {i.in_packets} unicast packets  0 multicast packets  0 broadcast packets",
        f"    {i.in_packets} input packets  {i.in_octets} bytes",
        "    0 jumbo packets  0 storm suppression packets",
        f"    0 runts  0 giants  {i.in_errors} CRC  0 no buffer",
        f"    {i.in_errors} input error  0 short frame  0 overrun   0 underrun  0 ignored",
        "    0 watchdog  0 bad etype drop  0 bad proto drop  0 if down drop",
        f"    0 input with dribble  {i.in_discards} input discard",
        "    0 Rx pause",
        "  TX",
        f"    {i.out_packets} unicast packets  0 multicast packets  0 broadcast packets",
        f"    {i.out_packets} output packets  {i.out_octets} bytes",
        "    0 jumbo packets",
        f"    {i.out_errors} output error  0 collision  0 deferred  0 late collision",
        f"    0 lost carrier  0 no carrier  0 babble  {i.out_discards} output discard",
        "    0 Tx pause",
    ]
    return _join(lines)


def show_environment(snap: DeviceSnapshot) -> str:
    """`show environment`: power, fan and temperature tables."""
    lines = [
        "Power Supply:",
        "Voltage: 12 Volts",
        "Power                              Actual             Total",
        "Supply    Model                    Output          Capacity    Status",
        "                                 (Watts )          (Watts )",
        "-------  -------------------  -----------  ----------------  --------------",
    ]
    for psu in snap.psus:
        lines.append(f"{psu.name:<8} {psu.model:<20} {round(psu.output_watts):>8} W "
                     f"{psu.capacity_watts:>13} W     {'Ok' if psu.ok else 'Fail/Shutdown'}")
    lines += ["", "", "Fan:", "-" * 75,
              "Fan             Model                Hw     Direction       Status", "-" * 75]
    for fan in snap.fans:
        model = "--" if "_in_" in fan.name else "NXA-FAN-30CFM-B"
        lines.append(f"{fan.name:<15} {model:<20} {'--':<6} {'front-to-back':<15} "
                     f"{'Ok' if fan.ok else 'Failure'}")
    lines += ["Fan Zone Speed: Zone 1: 0x5f", "Fan Air Filter : NotSupported", "", "",
              "Temperature:", "-" * 68,
              "Module   Sensor        MajorThresh   MinorThres   CurTemp     Status",
              "                       (Celsius)     (Celsius)    (Celsius)         ", "-" * 68]
    for s in snap.sensors:
        status = {"ok": "Ok", "warning": "Minor", "critical": "Major"}[s.status]
        lines.append(f"{s.module:<8} {s.name:<15} {round(s.critical):<15} {round(s.warning):<11} "
                     f"{round(s.celsius):<11} {status}")
    return _join(lines)


def show_ip_bgp_summary(snap: DeviceSnapshot) -> str:
    """`show ip bgp summary` for VRF default, IPv4 unicast (AS numbers in asplain)."""
    established = [p for p in snap.bgp_peers if p.established]
    prefixes = sum(p.prefixes for p in established)
    lines = [
        "BGP summary information for VRF default, address family IPv4 Unicast",
        f"BGP router identifier {snap.router_id}, local AS number {snap.local_as}",
        f"BGP table version is 1024, IPv4 Unicast config peers {len(snap.bgp_peers)}, "
        f"capable peers {len(established)}",
        f"{prefixes} network entries and {prefixes} paths using {prefixes * 156} bytes of memory",
        "BGP attribute entries [12/4224], BGP AS path entries [4/48]",
        "BGP community entries [0/0], BGP clusterlist entries [0/0]",
        "",
        "Neighbor        V    AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd",
    ]
    for p in snap.bgp_peers:
        state = str(p.prefixes) if p.established else p.state
        lines.append(f"{p.peer_ip:<15} 4 {p.remote_as:>5} {p.msgs_received:>7} {p.msgs_sent:>7}"
                     f" {1024:>8} {0:>4} {0:>4} {cisco_short(p.uptime_s):<8} {state}")
    return _join(lines)


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
