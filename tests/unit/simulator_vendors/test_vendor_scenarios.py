"""State scenarios: reboot, counter wrap, interface down, CPU spike, rising temperature."""

from __future__ import annotations

import pytest

from services.simulator.vendors import scenarios
from services.simulator.vendors.factory import build_device
from services.simulator.vendors.snapshot import take_snapshot
from services.simulator.vendors.state import DeviceState, InterfaceState
from shared.inventory import Platform

pytestmark = pytest.mark.unit

T0 = 1_760_000_000.0


def device() -> DeviceState:
    return build_device(Platform.CISCO_IOS, hostname="r1", now=T0 - 86_400, seed=1)


def flat_interface(rate: float) -> InterfaceState:
    # No diurnal swing, so counters are rate * seconds and can be computed by hand.
    return InterfaceState(name="Gi0/0", index=1, in_bytes_per_s=rate, out_bytes_per_s=rate,
                          diurnal_amplitude=0.0, avg_packet_bytes=100, active_since=T0)


def test_snapshot_counters_grow_at_the_interface_rate_when_time_passes() -> None:
    state = device()
    state.interfaces = [flat_interface(1000.0)]
    first, later = take_snapshot(state, T0 + 10), take_snapshot(state, T0 + 70)
    assert first.interfaces[0].in_octets == 10_000
    assert later.interfaces[0].in_octets == 70_000
    assert later.interfaces[0].in_packets == 700


def test_snapshot_is_identical_when_taken_twice_at_one_instant() -> None:
    state = device()
    assert take_snapshot(state, T0 + 5) == take_snapshot(state, T0 + 5)


def test_reboot_resets_counters_and_uptime() -> None:
    state = device()
    state.boot_time = T0 - 86_400
    before = take_snapshot(state, T0)
    assert before.uptime_s == 86_400 and any(i.in_octets for i in before.interfaces)
    scenarios.reboot(state, T0 + 100)
    after = take_snapshot(state, T0 + 100)
    assert after.uptime_s == 0
    assert all(i.in_octets == 0 and i.out_packets == 0 for i in after.interfaces)
    assert all(p.uptime_s == 0 for p in after.bgp_peers)


def test_counter_wrap_makes_32_bit_counter_wrap_within_the_window() -> None:
    state = device()
    state.interfaces = [flat_interface(1000.0)]
    scenarios.counter_wrap(state, "Gi0/0", T0, within_s=30)
    at_arm = take_snapshot(state, T0).interfaces[0]
    assert at_arm.counter_bits == 32
    assert at_arm.in_octets == 2**32 - 30_000  # 1000 B/s * 30 s before the wrap
    after = take_snapshot(state, T0 + 40).interfaces[0]
    assert after.in_octets == 10_000  # wrapped: 40 s * 1000 B/s - 30 000


def test_interface_down_freezes_counters_and_shows_down() -> None:
    state = device()
    state.interfaces = [flat_interface(1000.0)]
    scenarios.interface_down(state, "Gi0/0", T0 + 10)
    frozen = take_snapshot(state, T0 + 100).interfaces[0]
    assert (frozen.oper_up, frozen.in_octets, frozen.in_rate_bps) == (False, 10_000, 0)
    scenarios.interface_up(state, "Gi0/0", T0 + 100)
    assert take_snapshot(state, T0 + 110).interfaces[0].in_octets == 20_000


def test_cpu_spike_pins_five_seconds_and_ramps_averages() -> None:
    state = device()
    scenarios.cpu_spike(state, T0, level=97.0, duration_s=600)
    cpu = take_snapshot(state, T0 + 300).cpu
    assert cpu.five_sec == 97.0 and cpu.one_min == 97.0 and cpu.five_min == 97.0
    assert take_snapshot(state, T0 + 700).cpu.five_sec < 90


def test_temperature_rise_crosses_thresholds_over_time() -> None:
    state = device()
    scenarios.temperature_rise(state, T0, per_minute=5.0, sensor="Inlet")
    start = take_snapshot(state, T0).sensors[0]
    later = take_snapshot(state, T0 + 600).sensors[0]  # +50 degrees after ten minutes
    assert later.celsius - start.celsius == pytest.approx(50.0, abs=1.5)
    assert (start.status, later.status) == ("ok", "critical")
