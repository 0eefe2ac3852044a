"""Arista EOS text output, laid out like the EOS captures in the shared corpus."""

from __future__ import annotations

from services.simulator.vendors.render_ios import asn_text
from services.simulator.vendors.snapshot import DeviceSnapshot, InterfaceView
from services.simulator.vendors.timefmt import (
    DAY,
    HOUR,
    MINUTE,
    eos_short,
    eos_uptime,
    strftime_utc,
)

TOP_PROCESSES = (
    (1, "root", "systemd", 0.01), (1893, "root", "ProcMgr-worker", 0.02),
    (2201, "root", "Sysdb", 0.18), (2634, "root", "Etba", 0.11), (2701, "root", "Bgp", 0.25),
    (2715, "root", "Fru", 0.03), (2788, "root", "StrataAgent", 0.31), (2810, "root", "Ebra", 0.09),
)


def cpu_split(snap: DeviceSnapshot) -> tuple[float, float, float]:
    """(user, system, idle) percent as top prints them, from the 5-second CPU figure."""
    busy = snap.cpu.five_sec
    user = round(busy * 0.8, 1)
    system = round(busy - user, 1)
    return user, system, round(100 - user - system, 1)


def show_version(snap: DeviceSnapshot) -> str:
    """`show version`."""
    mem = snap.memory[0]
    lines = [
        f"Arista {snap.model}",
        "Hardware version: 11.00",
        f"Serial number: {snap.serial}",
        f"Hardware MAC address: {snap.base_mac}",
        f"System MAC address: {snap.base_mac}",
        "",
        f"Software image version: {snap.version}",
        "Architecture: x86_64",
        f"Internal build version: {snap.version}-28837868.{snap.version.replace('.', '')}",
        "Internal build ID: 5c1c7a4f-6f62-4a7d-9d2d-5fd8b3a1e2c0",
        "Image format version: 3.0",
        "Image optimization: Strata-4GB",
        "",
        f"Uptime: {eos_uptime(snap.uptime_s)}",
        f"Total memory: {mem.total // 1024} kB",
        f"Free memory: {mem.free // 1024} kB",
    ]
    return _join(lines)


def _linux_up(seconds: int) -> str:
    days, rest = divmod(seconds, DAY)
    hours, minutes = rest // HOUR, (rest % HOUR) // MINUTE
    clock = f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min"
    if days:
        return f"{days} day{'s' if days != 1 else ''}, {clock}"
    return clock


def show_processes_top_once(snap: DeviceSnapshot) -> str:
    """`show processes top once`: a Linux top(1) batch page."""
    user, system, idle = cpu_split(snap)
    mem = snap.memory[0]
    kib = (mem.total // 1024, mem.used // 1024, mem.free // 1024)
    load = (snap.cpu.one_min / 25, snap.cpu.five_min / 25, snap.cpu.five_min / 26)
    lines = [
        f"top - {strftime_utc(snap.now, '%H:%M:%S')} up {_linux_up(snap.uptime_s)},  1 user,  "
        f"load average: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}",
        "Tasks: 241 total,   1 running, 240 sleeping,   0 stopped,   0 zombie",
        f"%Cpu(s): {user:4.1f} us, {system:4.1f} sy,  0.0 ni, {idle:4.1f} id,  0.0 wa,  0.0 hi,"
        "  0.0 si,  0.0 st",
        f"KiB Mem : {kib[0]:>8} total, {kib[1]:>8} used, {kib[2]:>8} free,   171340 buffers",
        "KiB Swap:        0 total,        0 used,        0 free,  1156836 cached",
        "",
        "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU %MEM     TIME+ COMMAND",
    ]
    for pid, user_name, name, share in TOP_PROCESSES:
        minutes = snap.uptime_s * share / 600
        memory = f"{512 + pid // 10:>5}m  {120 + pid % 97:>4}m  {40 + pid % 31:>4}m"
        lines.append(f"{pid:>5} {user_name:<8}  20   0  {memory} S "
                     f"{snap.cpu.five_sec * share:>5.1f}  {share * 10:>3.1f}"
                     f" {int(minutes):>6}:{minutes % 1 * 60:05.2f} {name}")
    return _join(lines)


def show_interfaces(snap: DeviceSnapshot) -> str:
    """`show interfaces`: one block per interface."""
    return "".join(_block(snap, i) for i in snap.interfaces)


def _block(snap: DeviceSnapshot, i: InterfaceView) -> str:
    link = "up" if i.oper_up else ("administratively down" if not i.admin_up else "down")
    state = "connected" if i.oper_up else ("disabled" if not i.admin_up else "notconnect")
    since = int(i.flapped_seconds_ago)
    cleared = snap.counters_cleared_s_ago
    lines = [f"{i.name} is {link}, line protocol is {'up' if i.oper_up else 'down'} ({state})",
             f"  Hardware is Ethernet, address is {i.mac} (bia {i.mac})"]
    if i.description:
        lines.append(f"  Description: {i.description}")
    if i.ipv4:
        lines += [f"  Internet address is {i.ipv4}", "  Broadcast address is 255.255.255.255",
                  "  Address determined by manual configuration"]
    lines += [
        f"  IP MTU {i.mtu} bytes , BW {i.speed_mbps * 1000} kbit",
        f"  Full-duplex, {i.speed_mbps // 1000}Gb/s, auto negotiation: off, uni-link: disabled",
        f"  {'Up' if i.oper_up else 'Down'} {_elapsed(since)}",
        "  1 link status changes since last clear",
        '  Last clearing of "show interface" counters '
        + ("never" if cleared is None else f"{_clock(cleared)} ago"),
        f"  5 minutes input rate {_rate(i.in_rate_bps)} "
        f"({i.in_rate_bps / (i.speed_mbps * 1e4):.1f}% with framing overhead), "
        f"{i.in_pps} packets/sec",
        f"  5 minutes output rate {_rate(i.out_rate_bps)} "
        f"({i.out_rate_bps / (i.speed_mbps * 1e4):.1f}% with framing overhead), "
        f"{i.out_pps} packets/sec",
        f"     {i.in_packets} packets input, {i.in_octets} bytes",
        f"     Received {i.in_packets // 97} broadcasts, {i.in_packets // 131} multicast",
        "     0 runts, 0 giants",
        f"     {i.in_errors} input errors, {i.in_errors} CRC, 0 alignment, 0 symbol, "
        f"{i.in_discards} input discards",
        "     0 PAUSE input",
        f"     {i.out_packets} packets output, {i.out_octets} bytes",
        f"     Sent {i.out_packets // 89} broadcasts, {i.out_packets // 113} multicast",
        f"     {i.out_errors} output errors, 0 collisions",
        f"     0 late collision, 0 deferred, {i.out_discards} output discards",
        "     0 PAUSE output",
    ]
    return _join(lines)


def _rate(bps: int) -> str:
    """EOS scales rates: '0 bps', '512 kbps', '1.31 Gbps'."""
    for unit, size in (("Gbps", 1e9), ("Mbps", 1e6), ("kbps", 1e3)):
        if bps >= size:
            return f"{bps / size:.3g} {unit}"
    return f"{bps} bps"


def _elapsed(seconds: int) -> str:
    days, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, HOUR)
    parts = [f"{days} days"] if days else []
    parts += [f"{hours} hours"] if hours or days else []
    parts += [f"{rest // MINUTE} minutes", f"{rest % MINUTE} seconds"]
    return ", ".join(parts)


def _clock(seconds: int) -> str:
    return f"{seconds // HOUR}:{(seconds % HOUR) // MINUTE:02d}:{seconds % MINUTE:02d}"


def show_environment_temperature(snap: DeviceSnapshot) -> str:
    """`show environment temperature`."""
    worst = "Ok" if all(s.status == "ok" for s in snap.sensors) else "Overheating"
    lines = [
        f"System temperature status is: {worst}", "",
        "                                                                 Alert  Critical",
        "                                               Temp    Setpoint  Limit     Limit",
        "Sensor  Description                             (C)         (C)    (C)       (C)",
        "------- ----------------------------------- ------- ----------- ------ ---------",
    ]
    for n, s in enumerate(snap.sensors, start=1):
        setpoint = f"({round(s.warning) - 10}) {s.warning - 11.2:.1f}"
        lines.append(f"{n:<7} {s.name:<35} {s.celsius:>7.1f} {setpoint:>11} "
                     f"{round(s.warning):>6} {round(s.critical):>9}")
    return _join(lines + [""])


def show_environment_cooling(snap: DeviceSnapshot) -> str:
    """`show environment cooling`."""
    ok = all(f.ok for f in snap.fans)
    ambient = round(min((s.celsius for s in snap.sensors), default=25.0))
    lines = [
        f"System cooling status is: {'Ok' if ok else 'Insufficient fans'}",
        f"Ambient temperature: {ambient}C",
        "Airflow: front-to-back",
        "Fan              Status          Configured Speed     Actual Speed",
        "---------------- --------------- ---------------- ----------------",
    ]
    for fan in snap.fans:
        actual = f"{fan.speed_percent - 1}%" if fan.ok else "N/A"
        lines.append(f"{fan.name:<16} {'Ok' if fan.ok else 'Failed':<15} "
                     f"{str(fan.speed_percent) + '%':>16} {actual:>16}")
    return _join(lines)


def show_environment_power(snap: DeviceSnapshot) -> str:
    """`show environment power`."""
    lines = [
        "Power                        Input  Output  Output",
        "Supply Model       Capacity Current Current  Power Status              Uptime",
        "------ ----------- -------- ------- ------- ------ ------ -------------------",
    ]
    for p in snap.psus:
        amps_in, amps_out = p.output_watts / 200, p.output_watts / 12
        uptime = f"{snap.uptime_s // DAY} days, {_clock(snap.uptime_s % DAY)}"
        lines.append(f"{p.name:<6} {p.model:<11} {p.capacity_watts:>7}W {amps_in:>6.2f}A "
                     f"{amps_out:>6.2f}A {p.output_watts:>5.1f}W {'Ok' if p.ok else 'Failed':<6} "
                     f"{uptime:>19}")
    total = sum(p.output_watts for p in snap.psus)
    capacity = sum(p.capacity_watts for p in snap.psus)
    lines.append(f"Total  --          {capacity:>7}W      --      -- {total:>5.1f}W --"
                 f"                      --")
    return _join(lines)


def show_ip_bgp_summary(snap: DeviceSnapshot) -> str:
    """`show ip bgp summary` (EOS 4.2x layout with separate State, PfxRcd and PfxAcc)."""
    lines = [
        "BGP summary information for VRF default",
        f"Router identifier {snap.router_id}, local AS number {snap.local_as}",
        "Neighbor Status Codes: m - Under maintenance",
        "  Neighbor         V AS           MsgRcvd   MsgSent  InQ OutQ  Up/Down State   "
        "PfxRcd PfxAcc",
    ]
    for p in snap.bgp_peers:
        state = "Estab" if p.established else p.state
        counts = f"{p.prefixes:<6} {p.prefixes}" if p.established else ""
        lines.append(f"  {p.peer_ip:<16} 4 {asn_text(p.remote_as, snap.asdot):<12} "
                     f"{p.msgs_received:>7} {p.msgs_sent:>9} {0:>4} {0:>4} "
                     f"{eos_short(p.uptime_s):>8} {state:<7} {counts}".rstrip())
    return _join(lines)


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
