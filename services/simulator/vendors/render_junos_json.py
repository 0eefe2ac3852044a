"""Junos `| display json` output: every leaf is a list of {"data": text} like the real CLI."""

from __future__ import annotations

import json
from typing import Any

from services.simulator.vendors.render_junos import cpu_split, fahrenheit, temperature_status
from services.simulator.vendors.snapshot import DeviceSnapshot
from services.simulator.vendors.timefmt import junos_elapsed, junos_uptime


def _v(value: object, **attributes: str) -> list[dict[str, Any]]:
    leaf: dict[str, Any] = {"data": str(value)}
    if attributes:
        leaf["attributes"] = {f"junos:{k}": v for k, v in attributes.items()}
    return [leaf]


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=4) + "\n"


def show_version(snap: DeviceSnapshot) -> str:
    """`show version | display json`."""
    return _dump({"software-information": [{
        "host-name": _v(snap.hostname), "product-model": _v(snap.model),
        "product-name": _v(snap.model), "junos-version": _v(snap.version),
    }]})


def show_chassis_routing_engine(snap: DeviceSnapshot) -> str:
    """`show chassis routing-engine | display json`."""
    mem = snap.memory[0]
    engine: dict[str, Any] = {
        "slot": _v(0), "mastership-state": _v("master"),
        "temperature": _v(f"{round(snap.sensors[0].celsius)} degrees C / "
                          f"{fahrenheit(snap.sensors[0].celsius)} degrees F",
                          celsius=str(round(snap.sensors[0].celsius))),
        "memory-dram-size": _v(f"{mem.total >> 20} MB"),
        "memory-buffer-utilization": _v(round(100 * mem.used / mem.total)),
        "model": _v("RE-S-2X00x6"), "serial-number": _v(snap.serial),
        "up-time": _v(junos_uptime(snap.uptime_s), seconds=str(snap.uptime_s)),
    }
    suffixes = (("", snap.cpu.five_sec), ("1", snap.cpu.one_min), ("2", snap.cpu.five_min))
    for suffix, value in suffixes:
        user, background, kernel, interrupt, idle = cpu_split(value)
        for name, figure in (("user", user), ("background", background), ("system", kernel),
                             ("interrupt", interrupt), ("idle", idle)):
            engine[f"cpu-{name}{suffix}"] = _v(figure)
    return _dump({"route-engine-information": [{"route-engine": [engine]}]})


def show_interfaces_extensive(snap: DeviceSnapshot) -> str:
    """`show interfaces extensive | display json`."""
    physical = [{
        "name": _v(i.name),
        "admin-status": _v("up" if i.admin_up else "down", format="Enabled"),
        "oper-status": _v("up" if i.oper_up else "down"),
        "description": _v(i.description),
        "mtu": _v(i.mtu),
        "speed": _v(f"{i.speed_mbps // 1000}Gbps"),
        "interface-flapped": _v(f"({junos_elapsed(int(i.flapped_seconds_ago))} ago)",
                                seconds=str(int(i.flapped_seconds_ago))),
        "traffic-statistics": [{
            "input-bytes": _v(i.in_octets), "input-bps": _v(i.in_rate_bps),
            "output-bytes": _v(i.out_octets), "output-bps": _v(i.out_rate_bps),
            "input-packets": _v(i.in_packets), "input-pps": _v(i.in_pps),
            "output-packets": _v(i.out_packets), "output-pps": _v(i.out_pps),
        }],
        "input-error-list": [{"input-errors": _v(i.in_errors), "input-drops": _v(i.in_discards)}],
        "output-error-list": [{"output-errors": _v(i.out_errors),
                               "output-drops": _v(i.out_discards)}],
    } for i in snap.interfaces]
    return _dump({"interface-information": [{"physical-interface": physical}]})


def show_chassis_environment(snap: DeviceSnapshot) -> str:
    """`show chassis environment | display json`."""
    items = [{
        "name": _v(s.name), "class": _v("Temp"), "status": _v(temperature_status(s.status)),
        "temperature": _v(f"{round(s.celsius)} degrees C / {fahrenheit(s.celsius)} degrees F",
                          celsius=str(round(s.celsius))),
    } for s in snap.sensors]
    items += [{"name": _v(f.name), "class": _v("Fans"), "status": _v("OK" if f.ok else "Failed"),
               "comment": _v("Spinning at normal speed" if f.ok else "")} for f in snap.fans]
    items += [{"name": _v(p.name), "class": _v("Power"), "status": _v("OK" if p.ok else "Failed")}
              for p in snap.psus]
    return _dump({"environment-information": [{"environment-item": items}]})


def show_bgp_summary(snap: DeviceSnapshot) -> str:
    """`show bgp summary | display json`."""
    peers = []
    for p in snap.bgp_peers:
        peer: dict[str, Any] = {
            "peer-address": _v(p.peer_ip), "peer-as": _v(p.remote_as),
            "input-messages": _v(p.msgs_received), "output-messages": _v(p.msgs_sent),
            "route-queue-count": _v(0), "flap-count": _v(p.flaps),
            "elapsed-time": _v(junos_elapsed(p.uptime_s), seconds=str(p.uptime_s)),
            "peer-state": _v(p.state, format="Establ" if p.established else p.state),
        }
        if p.established:
            peer["bgp-rib"] = [{
                "name": _v("inet.0"), "active-prefix-count": _v(p.prefixes),
                "received-prefix-count": _v(p.prefixes), "accepted-prefix-count": _v(p.prefixes),
                "suppressed-prefix-count": _v(0),
            }]
        peers.append(peer)
    down = sum(1 for p in snap.bgp_peers if not p.established)
    return _dump({"bgp-information": [{
        "group-count": _v(2), "peer-count": _v(len(peers)), "down-peer-count": _v(down),
        "bgp-peer": peers,
    }]})
