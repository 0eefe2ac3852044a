"""Cisco IOS / IOS-XE output, column for column as the captures in the shared corpus show it."""

from __future__ import annotations

from services.simulator.vendors.snapshot import DeviceSnapshot, InterfaceView, SensorView
from services.simulator.vendors.timefmt import ios_short, ios_uptime, strftime_utc

# (pid, name, share of the busy CPU); names are cut to 16 characters like IOS does.
PROCESSES = (
    (1, "Chunk Manager", 0.0), (2, "Load Meter", 0.01), (4, "Check heaps", 0.12),
    (5, "Pool Manager", 0.0), (7, "Net Input", 0.08), (9, "ARP Input", 0.05),
    (62, "IP Input", 0.31), (88, "CDP Protocol", 0.02), (121, "BGP Router", 0.22),
    (122, "BGP I/O", 0.09), (140, "IPC Periodic Timer", 0.03), (181, "SNMP ENGINE", 0.07),
)


def asn_text(asn: int, asdot: bool) -> str:
    """A 4-byte ASN in asdot ('64086.59905') when configured so, else plain."""
    if asdot and asn > 65535:
        return f"{asn >> 16}.{asn & 0xFFFF}"
    return str(asn)


def show_version(snap: DeviceSnapshot) -> str:
    """`show version`."""
    image = "c3750e-universalk9-mz.152-4.E10.bin"
    restarted = strftime_utc(snap.boot_time, "%H:%M:%S UTC %a %b %-d %Y")
    lines = [
        "Cisco IOS Software, C3750E Software (C3750E-UNIVERSALK9-M), "
        f"Version {snap.version}, RELEASE SOFTWARE (fc2)",
        "Technical Support: http://www.cisco.com/techsupport",
        "Copyright (c) 1986-2020 by Cisco Systems, Inc.",
        "Compiled Tue 18-Feb-20 04:24 by prod_rel_team",
        "",
        "ROM: Bootstrap program is C3750E boot loader",
        "BOOTLDR: C3750E Boot Loader (C3750X-HBOOT-M) Version 15.2(3r)E, RELEASE SOFTWARE (fc1)",
        "",
        f"{snap.hostname} uptime is {ios_uptime(snap.uptime_s)}",
        f"System returned to ROM by {snap.reload_reason.lower()}",
        f"System restarted at {restarted}",
        f'System image file is "flash:{image}"',
        f"Last reload reason: {snap.reload_reason}",
        "",
        "",
        f"cisco {snap.model} (PowerPC405) processor (revision A0) with 262144K bytes of memory.",
        f"Processor board ID {snap.serial}",
        "Last reset from power-on",
        f"{len(snap.interfaces)} Gigabit Ethernet interfaces",
        "512K bytes of flash-simulated non-volatile configuration memory.",
        f"Base ethernet MAC Address       : {_colon_mac(snap.base_mac)}",
        f"Model number                    : {snap.model}",
        f"System serial number            : {snap.serial}",
        "",
        "Configuration register is 0xF",
    ]
    return _join(lines)


def _colon_mac(dotted: str) -> str:
    raw = dotted.replace(".", "")
    return ":".join(raw[i:i + 2] for i in range(0, 12, 2)).upper()


def show_processes_cpu(snap: DeviceSnapshot) -> str:
    """`show processes cpu` (and `sorted`): the header line, then the process table."""
    cpu = snap.cpu
    lines = [
        f"CPU utilization for five seconds: {round(cpu.five_sec)}%/{round(cpu.interrupt)}%; "
        f"one minute: {round(cpu.one_min)}%; five minutes: {round(cpu.five_min)}%",
        " PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process ",
    ]
    for pid, name, share in PROCESSES:
        runtime = int(snap.uptime_s * 10 * share) + pid
        invoked = snap.uptime_s // 4 + pid * 7
        usecs = runtime * 1000 // max(1, invoked)
        lines.append(
            f"{pid:>4}{runtime:>12}{invoked:>12}{usecs:>11}"
            f"{cpu.five_sec * share:>6.2f}%{cpu.one_min * share:>6.2f}%"
            f"{cpu.five_min * share:>6.2f}%{0:>4} {name[:16]}"
        )
    return _join(lines)


def show_processes_memory_sorted(snap: DeviceSnapshot) -> str:
    """`show processes memory sorted`: per-pool totals, then the busiest holders."""
    lines = []
    for pool in snap.memory:
        lines.append(f"{pool.name:>9} Pool Total: {pool.total:>10} Used: {pool.used:>10} "
                     f"Free: {pool.free:>10}")
    lines += ["", " PID TTY  Allocated      Freed    Holding    Getbufs    Retbufs Process"]
    used = snap.memory[0].used if snap.memory else 0
    total_held = 0
    for rank, (pid, name, share) in enumerate(sorted(PROCESSES, key=lambda p: -p[2])):
        holding = int(used * (share or 0.001) * 0.5)
        total_held += holding
        lines.append(f"{pid:>4}{0:>4} {holding + 4096 * rank:>10} {4096 * rank:>10} "
                     f"{holding:>10} {0:>10} {0:>10} {name[:16]:<16}")
    lines += ["", f"{total_held} Total"]
    return _join(lines)


def show_interfaces(snap: DeviceSnapshot) -> str:
    """`show interfaces`: one block per interface."""
    return "".join(_interface_block(snap, i) for i in snap.interfaces)


def _interface_block(snap: DeviceSnapshot, i: InterfaceView) -> str:
    link = "up" if i.oper_up else ("administratively down" if not i.admin_up else "down")
    proto = "up" if i.oper_up else "down"
    state = "connected" if i.oper_up else ("disabled" if not i.admin_up else "notconnect")
    kind = "Ten Gigabit Ethernet" if i.speed_mbps >= 10_000 else "Gigabit Ethernet"
    speed = f"{i.speed_mbps // 1000}Gb/s" if i.speed_mbps >= 1000 else f"{i.speed_mbps}Mb/s"
    last = ios_short(int(i.flapped_seconds_ago))
    cleared = snap.counters_cleared_s_ago
    lines = [
        f"{i.name} is {link}, line protocol is {proto} ({state}) ",
        f"  Hardware is {kind}, address is {i.mac} (bia {i.mac})",
    ]
    if i.description:
        lines.append(f"  Description: {i.description}")
    if i.ipv4:
        lines.append(f"  Internet address is {i.ipv4}")
    lines += [
        f"  MTU {i.mtu} bytes, BW {i.speed_mbps * 1000} Kbit/sec, DLY 10 usec, ",
        f"     reliability 255/255, txload {_load(i.out_rate_bps, i)}/255, "
        f"rxload {_load(i.in_rate_bps, i)}/255",
        "  Encapsulation ARPA, loopback not set",
        "  Keepalive set (10 sec)",
        f"  Full-duplex, {speed}, media type is 10/100/1000BaseTX",
        "  input flow-control is off, output flow-control is unsupported ",
        "  ARP type: ARPA, ARP Timeout 04:00:00",
        f"  Last input {'00:00:00' if i.oper_up else last}, output "
        f"{'00:00:01' if i.oper_up else last}, output hang never",
        '  Last clearing of "show interface" counters '
        + ("never" if cleared is None else ios_short(cleared)),
        f"  Input queue: 0/75/{i.in_discards}/0 (size/max/drops/flushes); "
        f"Total output drops: {i.out_discards}",
        "  Queueing strategy: fifo",
        "  Output queue: 0/40 (size/max)",
        f"  5 minute input rate {i.in_rate_bps} bits/sec, {i.in_pps} packets/sec",
        f"  5 minute output rate {i.out_rate_bps} bits/sec, {i.out_pps} packets/sec",
        f"     {i.in_packets} packets input, {i.in_octets} bytes, 0 no buffer",
        f"     Received {i.in_packets // 97} broadcasts ({i.in_packets // 131} multicasts)",
        "     0 runts, 0 giants, 0 throttles ",
        f"     {i.in_errors} input errors, {i.in_errors} CRC, 0 frame, 0 overrun, 0 ignored",
        f"     0 watchdog, {i.in_packets // 131} multicast, 0 pause input",
        "     0 input packets with dribble condition detected",
        f"     {i.out_packets} packets output, {i.out_octets} bytes, 0 underruns",
        f"     {i.out_errors} output errors, 0 collisions, 1 interface resets",
        "     0 unknown protocol drops",
        "     0 babbles, 0 late collision, 0 deferred",
        "     0 lost carrier, 0 no carrier, 0 pause output",
        "     0 output buffer failures, 0 output buffers swapped out",
    ]
    return _join(lines)


def _load(rate_bps: int, i: InterfaceView) -> int:
    return max(1, min(255, round(255 * rate_bps / (i.speed_mbps * 1_000_000))))


_STATES = {"ok": ("OK", "GREEN"), "warning": ("WARNING", "YELLOW"), "critical": ("FAULTY", "RED")}


def show_environment_temperature(snap: DeviceSnapshot) -> str:
    """`show environment temperature` in the stackable-switch layout (Inlet and Hotspot)."""
    return _join(_temperature_lines(snap))


def _temperature_lines(snap: DeviceSnapshot) -> list[str]:
    worst = _worst(snap.sensors)
    lines = [f"Switch 1: SYSTEM TEMPERATURE is {_STATES[worst][0]}"]
    for n, sensor in enumerate(snap.sensors):
        if n:
            lines.append("")
        lines += [
            f"{sensor.name} Temperature Value: {round(sensor.celsius)} Degree Celsius",
            f"Temperature State: {_STATES[sensor.status][1]}",
            f"Yellow Threshold : {round(sensor.warning)} Degree Celsius",
            f"Red Threshold    : {round(sensor.critical)} Degree Celsius",
        ]
    return lines


def _worst(sensors: tuple[SensorView, ...]) -> str:
    order = ("ok", "warning", "critical")
    return max((s.status for s in sensors), key=order.index, default="ok")


def show_environment_power_all(snap: DeviceSnapshot) -> str:
    """`show environment power all`: the power supply table."""
    lines = [
        "SW  PID                 Serial#     Status           Sys Pwr  PoE Pwr  Watts",
        "--  ------------------  ----------  ---------------  -------  -------  -----",
    ]
    for n, psu in enumerate(snap.psus):
        status, good = ("OK", "Good") if psu.ok else ("No Input Power", "Bad ")
        lines.append(f"1{'ABCD'[n]}  {psu.model:<18}  {_psu_serial(snap, n):<11} "
                     f"{status:<16} {good:<8} {good:<8} {psu.capacity_watts}")
    return _join(lines)


def _psu_serial(snap: DeviceSnapshot, n: int) -> str:
    return f"DCB{snap.serial[-6:]}{n:02d}"


def show_environment_all(snap: DeviceSnapshot) -> str:
    """`show environment all`: fans, temperatures and power supplies together."""
    lines = [f"FAN {n} is {'OK' if fan.ok else 'FAULTY'}"
             for n, fan in enumerate(snap.fans, start=1)]
    lines += _temperature_lines(snap)
    return _join(lines) + show_environment_power_all(snap)


def show_ip_bgp_summary(snap: DeviceSnapshot) -> str:
    """`show ip bgp summary`: header, then one row per neighbour."""
    prefixes = sum(p.prefixes for p in snap.bgp_peers)
    local_as = asn_text(snap.local_as, snap.asdot)
    lines = [
        f"BGP router identifier {snap.router_id}, local AS number {local_as}",
        "BGP table version is 458, main routing table version 458",
        f"{prefixes} network entries using {prefixes * 248} bytes of memory",
        f"{prefixes} path entries using {prefixes * 136} bytes of memory",
        f"BGP using {prefixes * 384 + 6808} total bytes of memory",
        f"BGP activity {prefixes}/0 prefixes, {prefixes}/0 paths, scan interval 60 secs",
        "",
        "Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd",
    ]
    for peer in snap.bgp_peers:
        state = str(peer.prefixes) if peer.established else peer.state
        lines.append(
            f"{peer.peer_ip:<15} 4 {asn_text(peer.remote_as, snap.asdot):>12} "
            f"{peer.msgs_received:>7} {peer.msgs_sent:>7} {458:>8} {0:>4} {0:>4} "
            f"{ios_short(peer.uptime_s):<8} {state:>12}"
        )
    return _join(lines)


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
