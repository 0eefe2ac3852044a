"""Simulator scenarios seen through the collector: each shows in the data or as a status."""

from __future__ import annotations

import pytest

from services.collector.drivers.network import NetworkDriver
from services.simulator.vendors import SessionScenarios, scenarios
from shared.inventory import Platform
from tests.integration.multivendor.conftest import INTERVAL, RigFactory, pick, values
from tests.integration.multivendor.test_multivendor_collection import (
    assert_matches_truth,
    up_interface,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("platform", [Platform.CISCO_NXOS, Platform.ARISTA_EOS,
                                      Platform.JUNIPER_JUNOS])
async def test_driver_falls_back_to_text_when_device_refuses_json(
    vendor_rig: RigFactory, platform: Platform
) -> None:
    rig = await vendor_rig(platform, scenarios=SessionScenarios(json_unsupported=True))
    before = rig.truth()
    await rig.poll()
    batch = await rig.poll(advance=INTERVAL)
    assert_matches_truth(batch, before, rig.truth(), platform, text=True)
    assert rig.recorder.errors == []
    driver = rig.poller.driver
    assert isinstance(driver, NetworkDriver)
    structured = [s.command for s in driver.commands if s.command.endswith("json")]
    # Remembered per device: the JSON forms are no longer typed at all.
    assert structured and all(
        driver.to_send(c) == c.removesuffix(" | json").removesuffix(" | display json")
        for c in structured
    )


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.JUNIPER_JUNOS])
async def test_collector_reads_everything_when_pager_cannot_be_disabled_and_ansi_is_on(
    vendor_rig: RigFactory, platform: Platform
) -> None:
    forced = SessionScenarios(pager_forced=True, ansi_colour=True, json_unsupported=True)
    rig = await vendor_rig(platform, scenarios=forced)
    before = rig.truth()
    await rig.poll()
    batch = await rig.poll(advance=INTERVAL)
    assert_matches_truth(batch, before, rig.truth(), platform, text=True)
    found = values(batch)
    statuses = {attrs for (m, attrs), _ in found.items()
                if m == "network.interface.oper_status"}
    assert len(statuses) == len(rig.truth().interfaces)  # every page was read


async def test_collection_error_names_command_when_one_group_cannot_be_parsed(
    vendor_rig: RigFactory,
) -> None:
    rig = await vendor_rig(Platform.ARISTA_EOS)
    for peer in rig.handle.state.bgp_peers:
        peer.established, peer.down_state = False, "Bewildered"
    batch = await rig.poll()
    [error] = rig.recorder.errors
    assert (error.device, error.group, error.command) == (
        rig.poller.device.name, "bgp", "show ip bgp summary | json")
    assert "Bewildered" in error.reason
    found = values(batch)
    assert pick(found, "system.cpu.utilization") >= 0.0
    assert any(m == "hw.temperature" for m, _ in found)
    assert batch.missing_groups == {"bgp": error.reason}
    assert rig.recorder.states()[-1] == "degraded"


async def test_interface_down_shows_oper_status_zero_and_no_traffic(
    vendor_rig: RigFactory,
) -> None:
    rig = await vendor_rig(Platform.CISCO_NXOS)
    name = up_interface(rig.truth())
    await rig.poll()
    scenarios.interface_down(rig.handle.state, name, rig.clock.now)
    await rig.poll(advance=INTERVAL)
    batch = await rig.poll(advance=INTERVAL)
    found = values(batch)
    assert pick(found, "network.interface.oper_status", interface=name) == 0.0
    assert pick(found, "system.network.io", interface=name, direction="receive") == 0.0


async def test_reboot_gives_no_rate_for_that_interval_and_resets_uptime(
    vendor_rig: RigFactory,
) -> None:
    rig = await vendor_rig(Platform.ARISTA_EOS)
    name = up_interface(rig.truth())
    await rig.poll()
    scenarios.reboot(rig.handle.state, rig.clock.now + 10)
    rebooted = values(await rig.poll(advance=INTERVAL))
    assert not any(m == "system.network.io" for m, _ in rebooted)
    assert pick(rebooted, "system.uptime") == pytest.approx(INTERVAL - 10, abs=1.0)
    before = rig.truth()
    after = values(await rig.poll(advance=INTERVAL))
    new = next(i for i in rig.truth().interfaces if i.name == name)
    old = next(i for i in before.interfaces if i.name == name)
    assert pick(after, "system.network.io", interface=name, direction="receive") == (
        pytest.approx((new.in_octets - old.in_octets) / INTERVAL))


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.JUNIPER_JUNOS])
async def test_32bit_counter_wrap_gives_hand_computed_rate(
    vendor_rig: RigFactory, platform: Platform
) -> None:
    rig = await vendor_rig(platform)
    name = up_interface(rig.truth())
    # 5 MB/s: far less than 2^32 bytes per interval. A faster link wraps a 32-bit
    # counter several times between polls, which no poller can tell from the values.
    rig.handle.state.interface(name).in_bytes_per_s = 5e6
    scenarios.counter_wrap(rig.handle.state, name, rig.clock.now, within_s=10)
    before = next(i for i in rig.truth().interfaces if i.name == name)
    await rig.poll()
    batch = await rig.poll(advance=INTERVAL)
    after = next(i for i in rig.truth().interfaces if i.name == name)
    assert after.in_octets < before.in_octets  # it did wrap
    expected = (after.in_octets + 2**32 - before.in_octets) / INTERVAL
    assert pick(values(batch), "system.network.io", interface=name,
                direction="receive") == pytest.approx(expected)


async def test_wrong_password_gives_auth_failed_status(vendor_rig: RigFactory) -> None:
    rig = await vendor_rig(Platform.CISCO_IOS, password="not-the-password")
    await rig.poller.poll_once()
    await rig.recorder.wait_for(lambda: bool(rig.recorder.statuses))
    assert rig.recorder.states() == ["auth_failed"]
    assert rig.recorder.batches == []


async def test_hanging_command_gives_timeout_for_its_group(vendor_rig: RigFactory) -> None:
    hang = SessionScenarios(hang_commands=frozenset({"show version | json"}))
    rig = await vendor_rig(Platform.ARISTA_EOS, scenarios=hang, command_timeout=0.5)
    batch = await rig.poll()
    [error] = rig.recorder.errors
    assert (error.group, error.command) == ("system", "show version | json")
    assert "timed out" in error.reason
    assert any(m == "system.network.io" or m == "network.interface.oper_status"
               for m, _ in values(batch))
    assert rig.recorder.states()[-1] in ("degraded", "timeout")


async def test_dropped_connection_gives_unreachable_status(vendor_rig: RigFactory) -> None:
    drop = SessionScenarios(drop_on_commands=frozenset({"show version | json"}))
    rig = await vendor_rig(Platform.ARISTA_EOS, scenarios=drop)
    await rig.poller.poll_once()
    await rig.recorder.wait_for(lambda: bool(rig.recorder.statuses))
    assert rig.recorder.states() == ["unreachable"]


async def test_cpu_spike_and_rising_temperature_show_in_the_data(
    vendor_rig: RigFactory,
) -> None:
    rig = await vendor_rig(Platform.JUNIPER_JUNOS)
    sensor = rig.truth().sensors[0]
    scenarios.cpu_spike(rig.handle.state, rig.clock.now, level=95.0)
    scenarios.temperature_rise(rig.handle.state, rig.clock.now, per_minute=2.0,
                               sensor=sensor.name)
    found = values(await rig.poll(advance=300))
    assert pick(found, "system.cpu.utilization") == pytest.approx(0.95, abs=0.011)
    hotter = next(s for s in rig.truth().sensors if s.name == sensor.name)
    assert hotter.celsius > sensor.celsius + 5  # ten degrees in five minutes, less drift
    assert any(abs(v - hotter.celsius) <= 1.0
               for (m, _), v in found.items() if m == "hw.temperature")


async def test_one_unreadable_bgp_peer_is_reported_while_the_others_publish(
    vendor_rig: RigFactory,
) -> None:
    rig = await vendor_rig(Platform.ARISTA_EOS)
    peers = rig.handle.state.bgp_peers
    assert len(peers) >= 2
    peers[0].established, peers[0].down_state = False, "Bewildered"
    batch = await rig.poll()
    [error] = rig.recorder.errors
    assert (error.group, error.command) == ("bgp", "show ip bgp summary | json")
    assert "skipped part of the output" in error.reason and "Bewildered" in error.reason
    states = {attrs for (m, attrs), _ in values(batch).items() if m == "bgp.peer.state"}
    assert len(states) == len(peers) - 1  # every other peer is still published
    assert batch.missing_groups == {}
    assert rig.recorder.states()[-1] == "up"
