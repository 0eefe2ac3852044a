"""Faults to inject into a simulated device: state changes at an instant, and session behaviour.

State scenarios are functions `(state, now, ...) -> None`; they checkpoint counters first,
so what a poller saw before the change stays true. Session scenarios live in
`SessionScenarios`, which the SSH shell reads on every login and command, so a test can
flip them while a device is running.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.simulator.vendors.state import DeviceState


@dataclass(kw_only=True)
class SessionScenarios:
    """How the SSH side misbehaves; change fields at any time, they apply to the next command."""

    delay_s: float = 0.0
    hang_commands: frozenset[str] = field(default_factory=frozenset)
    drop_on_commands: frozenset[str] = field(default_factory=frozenset)
    refuse_auth: bool = False
    pager_forced: bool = False
    ansi_colour: bool = False
    # Older software: `| json` / `| display json` answer with the platform's error text.
    json_unsupported: bool = False
    # Read once, when the server starts: offer only diffie-hellman-group1-sha1 / aes128-cbc.
    legacy_algorithms: bool = False


def interface_down(state: DeviceState, name: str, now: float) -> None:
    """Take an interface's link down: counters freeze, status shows down/down."""
    iface = state.interface(name)
    iface.checkpoint(now)
    iface.link_up = False
    iface.active_since = None
    iface.flapped_at = now


def interface_up(state: DeviceState, name: str, now: float) -> None:
    """Bring an interface's link back; counters resume from where they froze."""
    iface = state.interface(name)
    iface.link_up = True
    if iface.admin_up and iface.active_since is None:
        iface.active_since = now
    iface.flapped_at = now


def cpu_spike(state: DeviceState, now: float, *, level: float = 95.0,
              duration_s: float = 600.0) -> None:
    """Pin the CPU at `level` percent for `duration_s`; the 1/5-minute averages ramp up."""
    state.cpu.spike_level = level
    state.cpu.spike_since = now
    state.cpu.spike_until = now + duration_s


def temperature_rise(state: DeviceState, now: float, *, per_minute: float = 2.0,
                     sensor: str | None = None) -> None:
    """Make one sensor (or all) climb `per_minute` degrees C per minute from now on."""
    for item in state.sensors:
        if sensor is None or item.name == sensor:
            item.rise_per_minute = per_minute
            item.rise_since = now


def clear_counters(state: DeviceState, now: float) -> None:
    """Zero every interface counter, as `clear counters` does."""
    for iface in state.interfaces:
        iface.reset_counters(now)
    state.counters_cleared_at = now


def reboot(state: DeviceState, now: float) -> None:
    """Reload: uptime, interface counters and BGP session uptimes all restart from zero."""
    state.boot_time = now
    state.counters_cleared_at = None
    state.reload_reason = "Reload Command"
    state.cpu.spike_until = 0.0
    for iface in state.interfaces:
        iface.reset_counters(now)
        iface.flapped_at = now
    for peer in state.bgp_peers:
        peer.up_since = now


def counter_wrap(state: DeviceState, name: str, now: float, *, within_s: float = 30.0) -> None:
    """Make an interface's counters 32-bit and place them `within_s` seconds before wrapping.

    The counters jump once, when this is called; arm it before the first poll you care about.
    """
    iface = state.interface(name)
    iface.checkpoint(now)
    iface.counter_bits = 32
    modulus = float(1 << 32)
    for attr, rate in (("base_in_octets", iface.in_bytes_per_s),
                       ("base_out_octets", iface.out_bytes_per_s)):
        value = getattr(iface, attr)
        target = modulus - rate * iface.factor_at(now) * within_s
        setattr(iface, attr, value - (value % modulus) + max(0.0, target))
