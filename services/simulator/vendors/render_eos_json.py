"""Arista EOS `| json` output (eAPI field names), consistent with the text renderers."""

from __future__ import annotations

import json
from typing import Any

from services.simulator.vendors.render_ios import asn_text
from services.simulator.vendors.snapshot import DeviceSnapshot


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def show_version(snap: DeviceSnapshot) -> str:
    """`show version | json`."""
    mem = snap.memory[0]
    return _dump({
        "modelName": snap.model, "hardwareRevision": "11.00", "serialNumber": snap.serial,
        "systemMacAddress": _colon(snap.base_mac), "version": snap.version,
        "architecture": "x86_64", "bootupTimestamp": snap.boot_time,
        "uptime": float(snap.uptime_s), "memTotal": mem.total // 1024,
        "memFree": mem.free // 1024,
    })


def _colon(dotted: str) -> str:
    raw = dotted.replace(".", "")
    return ":".join(raw[i:i + 2] for i in range(0, 12, 2))


def show_interfaces(snap: DeviceSnapshot) -> str:
    """`show interfaces | json`."""
    interfaces = {}
    for i in snap.interfaces:
        interfaces[i.name] = {
            "name": i.name,
            "description": i.description,
            "interfaceStatus": "connected" if i.oper_up else (
                "disabled" if not i.admin_up else "notconnect"),
            "lineProtocolStatus": "up" if i.oper_up else "down",
            "bandwidth": i.speed_mbps * 1_000_000,
            "mtu": i.mtu,
            "physicalAddress": _colon(i.mac),
            "lastStatusChangeTimestamp": snap.now - i.flapped_seconds_ago,
            "interfaceCounters": {
                "inOctets": i.in_octets, "outOctets": i.out_octets,
                "inUcastPkts": i.in_packets, "outUcastPkts": i.out_packets,
                "inMulticastPkts": 0, "outMulticastPkts": 0,
                "totalInErrors": i.in_errors, "totalOutErrors": i.out_errors,
                "inDiscards": i.in_discards, "outDiscards": i.out_discards,
            },
            "interfaceStatistics": {
                "inBitsRate": float(i.in_rate_bps), "outBitsRate": float(i.out_rate_bps),
                "inPktsRate": float(i.in_pps), "outPktsRate": float(i.out_pps),
                "updateInterval": 300.0,
            },
        }
    return _dump({"interfaces": interfaces})


def show_environment_temperature(snap: DeviceSnapshot) -> str:
    """`show environment temperature | json`."""
    ok = all(s.status == "ok" for s in snap.sensors)
    return _dump({
        "systemStatus": "temperatureOk" if ok else "temperatureCritical",
        "tempSensors": [{
            "name": f"TempSensor{n}", "description": s.name,
            "currentTemperature": s.celsius, "overheatThreshold": s.warning,
            "criticalThreshold": s.critical, "hwStatus": "ok",
            "inAlertState": s.status != "ok",
        } for n, s in enumerate(snap.sensors, start=1)],
    })


def show_environment_cooling(snap: DeviceSnapshot) -> str:
    """`show environment cooling | json`."""
    ambient = round(min((s.celsius for s in snap.sensors), default=25.0))
    return _dump({
        "systemStatus": "coolingOk" if all(f.ok for f in snap.fans) else "coolingKo",
        "ambientTemperature": float(ambient),
        "airflowDirection": "frontToBackAirflow",
        "fanTraySlots": [{
            "label": f.name.split("/")[0], "status": "ok" if f.ok else "failed",
            "fans": [{"label": f.name, "status": "ok" if f.ok else "failed",
                      "configuredSpeed": f.speed_percent,
                      "actualSpeed": f.speed_percent - 1 if f.ok else 0}],
        } for f in snap.fans],
    })


def show_environment_power(snap: DeviceSnapshot) -> str:
    """`show environment power | json`."""
    return _dump({"powerSupplies": {p.name: {
        "modelName": p.model, "capacity": float(p.capacity_watts),
        "inputCurrent": round(p.output_watts / 200, 2),
        "outputCurrent": round(p.output_watts / 12, 2),
        "outputPower": p.output_watts, "state": "ok" if p.ok else "powerLoss",
        "uptime": float(snap.uptime_s),
    } for p in snap.psus}})


def show_ip_bgp_summary(snap: DeviceSnapshot) -> str:
    """`show ip bgp summary | json`."""
    peers = {p.peer_ip: {
        "description": p.description, "version": 4,
        "asn": asn_text(p.remote_as, snap.asdot),
        "peerState": p.state, "prefixReceived": p.prefixes, "prefixAccepted": p.prefixes,
        "msgReceived": p.msgs_received, "msgSent": p.msgs_sent,
        "inMsgQueue": 0, "outMsgQueue": 0, "upDownTime": snap.now - p.uptime_s,
        "underMaintenance": False,
    } for p in snap.bgp_peers}
    return _dump({"vrfs": {"default": {
        "routerId": snap.router_id, "asn": str(snap.local_as), "vrf": "default", "peers": peers,
    }}})
