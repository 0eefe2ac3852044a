"""Juniper Junos text output, laid out like the Junos captures in the shared corpus."""

from __future__ import annotations

from services.simulator.vendors.snapshot import DeviceSnapshot, InterfaceView
from services.simulator.vendors.timefmt import junos_elapsed, junos_uptime, strftime_utc

BUILD = "20221013.2b3e5a7_builder_stable_12"


def cpu_split(value: float) -> tuple[int, int, int, int, int]:
    """(user, background, kernel, interrupt, idle) whole percents summing to 100."""
    busy = round(value)
    user, interrupt = round(busy * 0.4), round(busy * 0.1)
    kernel = busy - user - interrupt
    return user, 0, kernel, interrupt, 100 - busy


def fahrenheit(celsius: float) -> int:
    """Whole degrees Fahrenheit, as Junos prints beside Celsius."""
    return round(round(celsius) * 9 / 5 + 32)


def show_version(snap: DeviceSnapshot) -> str:
    """`show version` (single routing engine)."""
    lines = [
        f"Hostname: {snap.hostname}",
        f"Model: {snap.model}",
        f"Junos: {snap.version}",
        f"JUNOS OS Kernel 64-bit  [{BUILD}]",
        f"JUNOS OS libs [{BUILD}]",
        f"JUNOS OS runtime [{BUILD}]",
        f"JUNOS Packet Forwarding Engine Support (MX Common) [{snap.version}]",
        f"JUNOS Routing Software Suite [{snap.version}]",
        f"JUNOS Online Documentation [{snap.version}]",
    ]
    return _join(lines)


def show_chassis_routing_engine(snap: DeviceSnapshot) -> str:
    """`show chassis routing-engine`."""
    mem = snap.memory[0]
    re_temp = snap.sensors[0].celsius if snap.sensors else 40.0
    lines = [
        "Routing Engine status:",
        f"    Temperature                 {round(re_temp)} degrees C / "
        f"{fahrenheit(re_temp)} degrees F",
        f"    DRAM                      {mem.total >> 20} MB ({mem.total >> 20} MB installed)",
        f"    Memory utilization          {round(100 * mem.used / mem.total)} percent",
    ]
    for label, value in (("5 sec", snap.cpu.five_sec), ("1 min", snap.cpu.one_min),
                         ("5 min", snap.cpu.five_min)):
        user, background, kernel, interrupt, idle = cpu_split(value)
        lines += [
            f"    {label} CPU utilization:",
            f"      User                    {user:>3} percent",
            f"      Background              {background:>3} percent",
            f"      Kernel                  {kernel:>3} percent",
            f"      Interrupt               {interrupt:>3} percent",
            f"      Idle                    {idle:>3} percent",
        ]
    lines += [
        "    Model                          RE-S-2X00x6",
        f"    Serial ID                      {snap.serial}",
        f"    Start time                     {_stamp(snap.boot_time)}",
        f"    Uptime                         {junos_uptime(snap.uptime_s)}",
        "    Last reboot reason             Router rebooted after a normal shutdown.",
        "    Load averages:                 1 minute   5 minute  15 minute",
        f"                                       {snap.cpu.one_min / 50:.2f}       "
        f"{snap.cpu.five_min / 50:.2f}       {snap.cpu.five_min / 52:.2f}",
    ]
    return _join(lines)


def show_interfaces(snap: DeviceSnapshot, *, extensive: bool = False) -> str:
    """`show interfaces` or, with `extensive`, `show interfaces extensive`."""
    return "\n".join(_physical(snap, i, extensive) for i in snap.interfaces)


def _speed(mbps: int) -> str:
    return f"{mbps // 1000}Gbps" if mbps >= 1000 else f"{mbps}mbps"


def _physical(snap: DeviceSnapshot, i: InterfaceView, extensive: bool) -> str:
    flapped = snap.now - i.flapped_seconds_ago
    lines = [
        f"Physical interface: {i.name}, {'Enabled' if i.admin_up else 'Administratively down'}"
        f", Physical link is {'Up' if i.oper_up else 'Down'}",
        f"  Interface index: {i.index + 148}, SNMP ifIndex: {i.index + 500}",
    ]
    if i.description:
        lines.append(f"  Description: {i.description}")
    mac = _colon(i.mac)
    lines += [
        f"  Link-level type: Ethernet, MTU: {i.mtu}, MRU: {i.mtu + 8}, LAN-PHY mode, "
        f"Speed: {_speed(i.speed_mbps)}, BPDU Error: None, Loop Detect PDU Error: None,",
        "  Flow control: Enabled, Auto-negotiation: Disabled",
        "  Device flags   : Present Running" + ("" if i.oper_up else " Down"),
        "  Interface flags: SNMP-Traps Internal: 0x4000"
        + ("" if i.oper_up else " Link-Layer-Down"),
        "  Link flags     : None",
        "  CoS queues     : 8 supported, 8 maximum usable queues",
        f"  Current address: {mac}, Hardware address: {mac}",
        f"  Last flapped   : {_stamp(flapped)} "
        f"({junos_elapsed(int(i.flapped_seconds_ago))} ago)",
    ]
    if extensive:
        lines += _statistics(snap, i)
    else:
        lines += [f"  Input rate     : {i.in_rate_bps} bps ({i.in_pps} pps)",
                  f"  Output rate    : {i.out_rate_bps} bps ({i.out_pps} pps)"]
    lines += [f"  Active alarms  : {'None' if i.oper_up else 'LINK'}",
              f"  Active defects : {'None' if i.oper_up else 'LINK'}"]
    if i.ipv4:
        lines += _logical(i)
    return _join(lines)


def _statistics(snap: DeviceSnapshot, i: InterfaceView) -> list[str]:
    cleared = snap.counters_cleared_s_ago
    return [
        "  Statistics last cleared: "
        + ("Never" if cleared is None else
           f"{_stamp(snap.now - cleared)}"
           f" ({junos_elapsed(cleared)} ago)"),
        "  Traffic statistics:",
        f"   Input  bytes  : {i.in_octets:>20} {i.in_rate_bps:>20} bps",
        f"   Output bytes  : {i.out_octets:>20} {i.out_rate_bps:>20} bps",
        f"   Input  packets: {i.in_packets:>20} {i.in_pps:>20} pps",
        f"   Output packets: {i.out_packets:>20} {i.out_pps:>20} pps",
        "  Input errors:",
        f"    Errors: {i.in_errors}, Drops: {i.in_discards}, Framing errors: {i.in_errors}, "
        "Runts: 0, Policed discards: 0, L3 incompletes: 0, L2 channel errors: 0,",
        "    L2 mismatch timeouts: 0, FIFO errors: 0, Resource errors: 0",
        "  Output errors:",
        f"    Carrier transitions: 1, Errors: {i.out_errors}, Drops: {i.out_discards}, "
        "Collisions: 0, Aged packets: 0, FIFO errors: 0,",
        "    HS link CRC errors: 0, MTU errors: 0, Resource errors: 0",
    ]


def _logical(i: InterfaceView) -> list[str]:
    address, _, length = (i.ipv4 or "").partition("/")
    octets = address.split(".")
    network = ".".join(octets[:3] + [str(int(octets[3]) & ~3)])
    broadcast = ".".join(octets[:3] + [str(int(octets[3]) | 3)])
    return [
        "",
        f"  Logical interface {i.name}.0 (Index {i.index + 330}) (SNMP ifIndex {i.index + 600})",
        f"    Flags: {'Up' if i.oper_up else 'Down'} SNMP-Traps 0x4004000 Encapsulation: ENET2",
        f"    Input packets : {i.in_packets}",
        f"    Output packets: {i.out_packets}",
        f"    Protocol inet, MTU: {i.mtu - 22}",
        "      Flags: Sendbcast-pkt-to-re",
        "      Addresses, Flags: Is-Preferred Is-Primary",
        f"        Destination: {network}/{length}, Local: {address}, Broadcast: {broadcast}",
    ]


def _colon(dotted: str) -> str:
    raw = dotted.replace(".", "")
    return ":".join(raw[i:i + 2] for i in range(0, 12, 2))


def temperature_status(status: str) -> str:
    """Junos shows OK until a threshold is crossed, then Check."""
    return "OK" if status == "ok" else "Check"


def show_chassis_environment(snap: DeviceSnapshot) -> str:
    """`show chassis environment`: Temp, Fans and Power classes."""
    lines = ["Class Item                           Status     Measurement"]
    for n, s in enumerate(snap.sensors):
        status = temperature_status(s.status)
        lines.append(f"{'Temp' if n == 0 else '':<5} {s.name:<30} {status:<10} "
                     f"{round(s.celsius)} degrees C / {fahrenheit(s.celsius)} degrees F")
    for n, f in enumerate(snap.fans):
        measure = "Spinning at normal speed" if f.ok else ""
        lines.append(f"{'Fans' if n == 0 else '':<5} {f.name:<30} {'OK' if f.ok else 'Failed':<10} "
                     f"{measure}".rstrip())
    for n, p in enumerate(snap.psus):
        lines.append(f"{'Power' if n == 0 else '':<5} {p.name:<30} {'OK' if p.ok else 'Failed'}")
    return _join(lines)


def show_bgp_summary(snap: DeviceSnapshot) -> str:
    """`show bgp summary`: established peers take two lines, the second per RIB."""
    down = sum(1 for p in snap.bgp_peers if not p.established)
    lines = [
        "Threading mode: BGP I/O",
        f"Groups: 2 Peers: {len(snap.bgp_peers)} Down peers: {down}",
        "Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn "
        "State|#Active/Received/Accepted/Damped...",
    ]
    for p in snap.bgp_peers:
        state = "Establ" if p.established else p.state
        lines.append(f"{p.peer_ip:<16} {p.remote_as:>12} {p.msgs_received:>10} {p.msgs_sent:>10}"
                     f" {0:>7} {p.flaps:>7} {junos_elapsed(p.uptime_s):>11} {state}")
        if p.established:
            lines.append(f"  inet.0: {p.prefixes}/{p.prefixes}/{p.prefixes}/0")
    return _join(lines)


def _stamp(epoch: float) -> str:
    return strftime_utc(epoch, "%Y-%m-%d %H:%M:%S UTC")


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
