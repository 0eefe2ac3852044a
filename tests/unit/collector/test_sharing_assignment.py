"""Fair-share claims and releases: pure decisions over device names."""

from __future__ import annotations

import pytest

from services.collector.assignment import fair_share, lease_ttl, plan, renew_period

pytestmark = pytest.mark.unit

DEVICES = [f"d{n}" for n in range(10)]


@pytest.mark.parametrize(("devices", "live", "share"), [
    (60, 3, 20),  # even split
    (61, 3, 21),  # the remainder rounds up so every device has room
    (5, 0, 5),  # nobody seen yet: a collector counts itself
    (0, 2, 0),
])
def test_fair_share_rounds_up_when_devices_do_not_split_evenly(
    devices: int, live: int, share: int
) -> None:
    assert fair_share(devices, live) == share


def test_lease_timing_leaves_an_interval_between_holders_when_holder_dies() -> None:
    # A dead holder polled at most one renewal period after its last renewal; the next
    # holder waits a whole TTL after it: at least one interval apart, within two.
    assert lease_ttl(60) - renew_period(60) >= 60
    assert lease_ttl(60) < 2 * 60


def test_plan_claims_up_to_share_when_alone() -> None:
    decision = plan(collector_id="a", devices=DEVICES, held=[], claimable=DEVICES,
                    live_collectors=1)
    assert sorted(decision.claim) == DEVICES and decision.release == ()


def test_plan_claims_only_its_share_when_others_are_live() -> None:
    decision = plan(collector_id="a", devices=DEVICES, held=["d0", "d1"], claimable=DEVICES,
                    live_collectors=2)
    assert len(decision.claim) == 3  # share 5, holds 2
    assert not {"d0", "d1"} & set(decision.claim)


def test_plan_keeps_devices_when_within_slack() -> None:
    decision = plan(collector_id="a", devices=DEVICES, held=DEVICES[:6], claimable=[],
                    live_collectors=2, slack=1)
    assert decision.claim == () and decision.release == ()


def test_plan_releases_down_to_share_when_a_collector_joins() -> None:
    decision = plan(collector_id="a", devices=DEVICES, held=DEVICES, claimable=[],
                    live_collectors=3)
    assert len(decision.release) == 10 - 4 and decision.claim == ()


def test_plan_releases_devices_when_dropped_from_inventory() -> None:
    decision = plan(collector_id="a", devices=DEVICES[:3], held=["d0", "gone"],
                    claimable=["d1", "d2"], live_collectors=1)
    assert decision.release == ("gone",)
    assert sorted(decision.claim) == ["d1", "d2"]


def test_plan_prefers_different_devices_when_collectors_differ() -> None:
    names = [f"dev{n}" for n in range(100)]
    first = plan(collector_id="a", devices=names, held=[], claimable=names, live_collectors=4)
    second = plan(collector_id="b", devices=names, held=[], claimable=names, live_collectors=4)
    assert len(first.claim) == len(second.claim) == 25
    # Independent hashes: two random 25-of-100 picks share about 6 devices, not 25.
    assert len(set(first.claim) & set(second.claim)) < 15
