"""Which devices one collector should claim or give up: pure decisions, time injected.

Each collector sees the same lease table and the same set of live collectors, and decides
alone. Its fair share is `ceil(devices / live collectors)`; it claims free devices until
it holds its share and gives up leases only beyond `share + slack`, so small differences
in what collectors see do not make devices hop back and forth. Among free devices it
prefers those with the highest rendezvous hash for its own id: different collectors
prefer different devices, so claims rarely collide on the same key.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

LEASE_TTL_INTERVALS = 1.5
"""A lease lives 1.5 poll intervals after its last renewal.

Long enough that a dead holder's last poll is a full interval old before anyone takes
over (TTL minus the renewal period is at least one interval, so no double poll), short
enough that a dead collector's devices are polled again within two intervals.
"""
RENEW_INTERVALS = 0.25
"""The holder renews every quarter interval, so two lost renewals still keep the lease."""


def lease_ttl(poll_interval: float) -> float:
    """Seconds a lease stays valid after its last renewal."""
    return LEASE_TTL_INTERVALS * poll_interval


def renew_period(poll_interval: float) -> float:
    """Seconds between two renewals of a held lease."""
    return RENEW_INTERVALS * poll_interval


def fair_share(devices: int, live_collectors: int) -> int:
    """How many devices one of `live_collectors` collectors should poll."""
    return math.ceil(devices / max(1, live_collectors))


def preference(collector_id: str, device: str) -> float:
    """Rendezvous score in [0, 1): how much `collector_id` prefers `device`."""
    digest = hashlib.blake2b(f"{collector_id}/{device}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def start_offset(device: str, poll_interval: float) -> float:
    """A stable phase in [0, interval) for a device's first poll, spreading load evenly."""
    return preference("phase", device) * poll_interval


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do this round: devices to try to claim and held devices to release."""

    claim: tuple[str, ...]
    release: tuple[str, ...]


def plan(
    *,
    collector_id: str,
    devices: Collection[str],
    held: Collection[str],
    claimable: Iterable[str],
    live_collectors: int,
    slack: int = 1,
) -> Plan:
    """Claim free devices up to the fair share, release held ones beyond share + slack."""
    share = fair_share(len(devices), live_collectors)
    held_now = [d for d in held if d in devices]
    gone = tuple(d for d in held if d not in devices)  # dropped from the inventory
    if len(held_now) > share + slack:
        by_preference = sorted(held_now, key=lambda d: preference(collector_id, d))
        excess = tuple(by_preference[: len(held_now) - share])
        return Plan(claim=(), release=gone + excess)
    room = max(0, share - len(held_now))
    free = sorted(
        (d for d in claimable if d in devices and d not in held),
        key=lambda d: preference(collector_id, d),
        reverse=True,
    )
    return Plan(claim=tuple(free[:room]), release=gone)
