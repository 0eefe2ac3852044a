"""The collector against each simulated vendor over real SSH and a real nats-server.

Expected values come from the simulator's state at the poll instants (`rig.truth()`),
rates from two snapshots by hand: (counter at t1 - counter at t0) / (t1 - t0).
Tolerances are the printing precision of each platform (whole percent, KiB, 1 °C).
"""

from __future__ import annotations

import pytest

from services.simulator.vendors import DeviceSnapshot
from shared.events import MetricBatch
from shared.inventory import Platform
from tests.integration.multivendor.conftest import INTERVAL, RigFactory, pick, values

pytestmark = pytest.mark.integration

NETWORK = [Platform.CISCO_IOS, Platform.CISCO_NXOS, Platform.ARISTA_EOS, Platform.JUNIPER_JUNOS]


def up_interface(snap: DeviceSnapshot) -> str:
    """The first interface that is up and carries traffic."""
    return next(i.name for i in snap.interfaces if i.oper_up and i.in_rate_bps > 0)


def assert_matches_truth(batch: MetricBatch, before: DeviceSnapshot, after: DeviceSnapshot,
                         platform: Platform, *, text: bool = False) -> None:
    found = values(batch)
    # CPU: the device's latest figure, printed to a whole percent at worst.
    assert pick(found, "system.cpu.utilization") == pytest.approx(
        after.cpu.five_sec / 100, abs=0.011)
    # Memory of the main pool; Junos prints a whole-percent utilisation of it.
    memory = after.memory[0]
    slack = 0.011 * memory.total if platform is Platform.JUNIPER_JUNOS else 1024 * 1024
    assert pick(found, "system.memory.usage", state="used") == pytest.approx(
        memory.used, abs=slack)
    # Interface byte rates, both directions, by hand from the two snapshots.
    name = up_interface(after)
    old = next(i for i in before.interfaces if i.name == name)
    new = next(i for i in after.interfaces if i.name == name)
    assert pick(found, "system.network.io", interface=name, direction="receive") == (
        pytest.approx((new.in_octets - old.in_octets) / INTERVAL))
    assert pick(found, "system.network.io", interface=name, direction="transmit") == (
        pytest.approx((new.out_octets - old.out_octets) / INTERVAL))
    assert pick(found, "network.interface.oper_status", interface=name) == 1.0
    # Environment: every sensor's temperature, to the degree.
    temperatures = sorted(v for (m, _), v in found.items() if m == "hw.temperature")
    assert len(temperatures) >= len(after.sensors)
    for sensor in after.sensors:
        assert any(abs(t - sensor.celsius) <= 1.0 for t in temperatures), sensor.name
    # BGP: the state of every peer and the prefixes of the established ones.
    for peer in after.bgp_peers:
        if text and platform is Platform.JUNIPER_JUNOS and (
                not peer.established or peer.uptime_s < 86_400):
            continue  # the ntc template's known limit (docs/simulator.md)
        state = pick(found, "bgp.peer.state", peer=peer.peer_ip)
        assert state == (6.0 if peer.established else 3.0)
        if peer.established:
            assert pick(found, "bgp.peer.prefixes.received", peer=peer.peer_ip) == peer.prefixes


@pytest.mark.parametrize("platform", NETWORK)
async def test_collector_publishes_simulator_truth_when_polling_each_platform(
    vendor_rig: RigFactory, platform: Platform
) -> None:
    rig = await vendor_rig(platform)
    before = rig.truth()
    await rig.poll()
    after_batch = await rig.poll(advance=INTERVAL)
    assert_matches_truth(after_batch, before, rig.truth(), platform)
    assert rig.recorder.errors == []
    assert rig.recorder.states()[-1] == "up"
