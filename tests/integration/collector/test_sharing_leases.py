"""Lease compare-and-set against a real JetStream KV bucket, with injected clocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.collector.leases import LeaseTable, open_bucket
from shared.bus import Bus

pytestmark = pytest.mark.integration


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def tables(bus: Bus) -> AsyncIterator[tuple[LeaseTable, LeaseTable, Clock]]:
    kv = await open_bucket(bus.js, bus.subjects.collector_leases_bucket())
    clock = Clock()
    a = LeaseTable(kv=kv, owner="a", clock=clock)
    b = LeaseTable(kv=kv, owner="b", clock=clock)
    await a.start()
    await b.start()
    yield a, b, clock
    await a.stop()
    await b.stop()


async def wait_seen(table: LeaseTable, device: str, owner: str) -> None:
    async with asyncio.timeout(5):
        while table.owner_of(device) != owner:
            await asyncio.sleep(0.01)


async def test_lease_claim_has_one_winner_when_two_collectors_race(
    tables: tuple[LeaseTable, LeaseTable, Clock],
) -> None:
    a, b, _ = tables
    won = await asyncio.gather(a.claim("r1"), b.claim("r1"))
    assert sum(held is not None for held in won) == 1


async def test_lease_stays_with_holder_when_renewed_within_ttl(
    tables: tuple[LeaseTable, LeaseTable, Clock],
) -> None:
    a, b, clock = tables
    held = await a.claim("r1")
    assert held is not None
    await wait_seen(b, "r1", "a")
    clock.now += 2.0
    assert await a.renew(held)
    await wait_seen(b, "r1", "a")
    assert b.views["r1"].revision == held.revision
    clock.now += 2.0  # 4 s since the first write, 2 s since the renewal b saw
    assert not b.claimable("r1", ttl=3.0)


async def test_lease_moves_and_old_holder_cannot_renew_when_it_went_silent(
    tables: tuple[LeaseTable, LeaseTable, Clock],
) -> None:
    a, b, clock = tables
    held = await a.claim("r1")
    assert held is not None
    await wait_seen(b, "r1", "a")
    clock.now += 3.5
    assert b.claimable("r1", ttl=3.0)
    taken = await b.claim("r1")
    assert taken is not None and taken.previous is not None and taken.previous.owner == "a"
    assert await a.renew(held) is False


async def test_lease_release_records_when_polls_ended_when_holder_lets_go(
    tables: tuple[LeaseTable, LeaseTable, Clock],
) -> None:
    a, b, _ = tables
    held = await a.claim("r1")
    assert held is not None
    await a.release(held)
    async with asyncio.timeout(5):
        while b.owner_of("r1") is not None:
            await asyncio.sleep(0.01)
    assert b.claimable("r1", ttl=3.0)
    taken = await b.claim("r1")
    assert taken is not None and taken.previous is not None
    assert taken.previous.owner == "" and taken.previous.released_at is not None
