"""NX-OS `| json` output: the TABLE_x/ROW_x shape NX-API uses, values as the text form shows."""

from __future__ import annotations

import json
from typing import Any

from services.simulator.vendors.render_nxos import cpu_split, load_averages
from services.simulator.vendors.snapshot import DeviceSnapshot
from services.simulator.vendors.timefmt import DAY, HOUR, MINUTE, cisco_short


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def show_version(snap: DeviceSnapshot) -> str:
    """`show version | json`."""
    days, rest = divmod(snap.uptime_s, DAY)
    memory_kb = snap.memory[0].total // 1024 if snap.memory else 0
    return _dump({
        "header_str": "Cisco Nexus Operating System (NX-OS) Software",
        "bios_ver_str": "07.69",
        "nxos_ver_str": snap.version,
        "chassis_id": f"Nexus9000 {snap.model} Chassis",
        "proc_board_id": snap.serial,
        "host_name": snap.hostname,
        "memory": memory_kb,
        "mem_type": "kB",
        "kern_uptm_days": days,
        "kern_uptm_hrs": rest // HOUR,
        "kern_uptm_mins": (rest % HOUR) // MINUTE,
        "kern_uptm_secs": rest % MINUTE,
        "rr_reason": snap.reload_reason,
    })


def show_system_resources(snap: DeviceSnapshot) -> str:
    """`show system resources | json`."""
    one, five, fifteen = load_averages(snap)
    user, kernel, idle = cpu_split(snap)
    mem = snap.memory[0]
    return _dump({
        "load_avg_1min": f"{one:.2f}", "load_avg_5min": f"{five:.2f}",
        "load_avg_15min": f"{fifteen:.2f}",
        "processes_total": "712", "processes_running": "1",
        "cpu_state_user": f"{user:.2f}", "cpu_state_kernel": f"{kernel:.2f}",
        "cpu_state_idle": f"{idle:.2f}",
        "memory_usage_total": str(mem.total // 1024),
        "memory_usage_used": str(mem.used // 1024),
        "memory_usage_free": str(mem.free // 1024),
        "current_memory_status": "OK",
    })


def show_interface(snap: DeviceSnapshot) -> str:
    """`show interface | json`."""
    rows = []
    for i in snap.interfaces:
        state = "up" if i.oper_up else "down"
        rows.append({
            "interface": i.name,
            "state": state,
            "state_rsn_desc": "" if i.oper_up else "Link not connected",
            "admin_state": "up" if i.admin_up else "down",
            "eth_hw_addr": i.mac,
            "desc": i.description,
            "eth_mtu": str(i.mtu),
            "eth_bw": i.speed_mbps * 1000,
            "eth_speed": f"{i.speed_mbps // 1000} Gb/s",
            "eth_link_flapped": cisco_short(int(i.flapped_seconds_ago)),
            "eth_inrate1_bits": str(i.in_rate_bps), "eth_outrate1_bits": str(i.out_rate_bps),
            "eth_inpkts": i.in_packets, "eth_inbytes": i.in_octets,
            "eth_outpkts": i.out_packets, "eth_outbytes": i.out_octets,
            "eth_inucast": i.in_packets, "eth_outucast": i.out_packets,
            "eth_inerr": i.in_errors, "eth_crc": i.in_errors, "eth_outerr": i.out_errors,
            "eth_indiscard": i.in_discards, "eth_outdiscard": i.out_discards,
        })
    return _dump({"TABLE_interface": {"ROW_interface": rows}})


def show_environment(snap: DeviceSnapshot) -> str:
    """`show environment | json`."""
    return _dump({
        "powersup": {
            "voltage_level": 12,
            "TABLE_psinfo": {"ROW_psinfo": [
                {"psnum": p.name, "psmodel": p.model, "actual_out": f"{round(p.output_watts)} W",
                 "tot_capa": f"{p.capacity_watts} W", "ps_status": "Ok" if p.ok else
                 "Fail/Shutdown"} for p in snap.psus]},
        },
        "fandetails": {"TABLE_faninfo": {"ROW_faninfo": [
            {"fanname": f.name, "fandir": "front-to-back", "fanstatus": "Ok" if f.ok else "Failure"}
            for f in snap.fans]}},
        "TABLE_tempinfo": {"ROW_tempinfo": [
            {"tempmod": s.module, "sensor": s.name, "majthres": str(round(s.critical)),
             "minthres": str(round(s.warning)), "curtemp": str(round(s.celsius)),
             "alarmstatus": {"ok": "Ok", "warning": "Minor", "critical": "Major"}[s.status]}
            for s in snap.sensors]},
    })


def show_ip_bgp_summary(snap: DeviceSnapshot) -> str:
    """`show ip bgp summary | json`."""
    neighbors = [{
        "neighborid": p.peer_ip, "neighborversion": 4,
        "msgrecvd": p.msgs_received, "msgsent": p.msgs_sent, "neighbortableversion": 1024,
        "inq": 0, "outq": 0, "neighboras": p.remote_as,
        "time": cisco_short(p.uptime_s), "state": p.state,
        "prefixreceived": p.prefixes,
    } for p in snap.bgp_peers]
    return _dump({"TABLE_vrf": {"ROW_vrf": [{
        "vrf-name-out": "default",
        "vrf-router-id": snap.router_id,
        "vrf-local-as": snap.local_as,
        "TABLE_af": {"ROW_af": [{"af-id": 1, "TABLE_saf": {"ROW_saf": [{
            "safi": 1, "af-name": "IPv4 Unicast",
            "TABLE_neighbor": {"ROW_neighbor": neighbors},
        }]}}]},
    }]}})
