"""The simulator's text parses back to the state it meant to show."""

from __future__ import annotations

import pytest

from services.collector.drivers.base import Reading
from services.collector.parsers.linux_proc import (
    cpu_utilization,
    parse_df,
    parse_loadavg,
    parse_meminfo,
    parse_net_dev,
    parse_proc_stat,
    parse_uptime,
)
from services.simulator.linux import (
    COMMANDS,
    LinuxHost,
    LinuxResponder,
    render_df,
    render_loadavg,
    render_meminfo,
    render_net_dev,
    render_stat,
    render_uptime,
)

pytestmark = pytest.mark.unit

START = 1_700_000_000.0


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def by_key(readings: list[Reading]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(r.metric, tuple(sorted(r.attributes.items()))): r.value for r in readings}


def test_simulator_cpu_parses_to_step_utilization_when_time_passes() -> None:
    clock = FakeClock()
    host = LinuxHost(seed=7, clock=clock)
    before = parse_proc_stat(render_stat(host.snapshot()))
    clock.now += 30
    snap = host.snapshot()
    after = parse_proc_stat(render_stat(snap))
    utilization = cpu_utilization(before, after)
    assert utilization is not None
    # 30 s x 2 CPUs x 100 Hz = 6000 jiffies; integer rounding moves it by < 0.1 %
    assert utilization == pytest.approx(snap.cpu_step_utilization, abs=1e-3)


def test_simulator_memory_parses_to_state_when_rendered() -> None:
    snap = LinuxHost(seed=1, clock=FakeClock()).snapshot()
    got = by_key(parse_meminfo(render_meminfo(snap)))
    assert got[("system.memory.limit", ())] == snap.memory.total_kib * 1024
    assert got[("system.memory.usage", (("state", "used"),))] == snap.memory.used_kib * 1024
    assert got[("system.memory.usage", (("state", "free"),))] == snap.memory.free_kib * 1024
    assert snap.memory.free_kib > 0


def test_simulator_counters_grow_at_configured_rate_when_time_passes() -> None:
    clock = FakeClock()
    host = LinuxHost(seed=2, clock=clock)
    first = by_key(parse_net_dev(render_net_dev(host.snapshot())))
    clock.now += 100
    second = by_key(parse_net_dev(render_net_dev(host.snapshot())))
    for name, rates in host.rates.items():
        key = ("system.network.io", (("direction", "receive"), ("interface", name)))
        # integer rendering loses under one byte at each end
        assert (second[key] - first[key]) / 100 == pytest.approx(rates.rx_bytes, abs=0.02)
    assert {attrs[1][1] for _, attrs in first} == {"lo", "eth0", "eth1"}


def test_simulator_uptime_and_load_parse_to_state_when_rendered() -> None:
    clock = FakeClock()
    host = LinuxHost(seed=3, clock=clock)
    clock.now += 60
    snap = host.snapshot()
    assert parse_uptime(render_uptime(snap))[0].value == pytest.approx(snap.uptime, abs=0.01)
    loads = [r.value for r in parse_loadavg(render_loadavg(snap))]
    assert loads == pytest.approx(list(snap.load), abs=0.005)


def test_simulator_df_parses_to_filesystems_when_device_name_is_long() -> None:
    snap = LinuxHost(seed=4, clock=FakeClock()).snapshot()
    got = by_key(parse_df(render_df(snap)))
    for fs in snap.filesystems:
        attrs = {"system.device": fs.device, "mountpoint": fs.mountpoint}
        used = got[("system.filesystem.usage", tuple(sorted({**attrs, "state": "used"}.items())))]
        free = got[("system.filesystem.usage", tuple(sorted({**attrs, "state": "free"}.items())))]
        assert (used, free) == (int(fs.used_kib) * 1024, fs.avail_kib * 1024)


def test_simulator_state_never_goes_back_when_clock_does() -> None:
    clock = FakeClock()
    host = LinuxHost(seed=5, clock=clock)
    clock.now += 10
    later = host.snapshot()
    clock.now -= 5
    assert host.snapshot() == later


def test_simulator_responder_answers_none_when_command_unknown() -> None:
    responder = LinuxResponder(LinuxHost(seed=6, clock=FakeClock()))
    assert responder.respond("cat /etc/shadow") is None
    assert all(responder.respond(command) for command in COMMANDS)
