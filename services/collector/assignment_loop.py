"""Runs a DevicePoller for exactly the devices whose lease this collector holds.

Every round (a fraction of the shortest poll interval) it renews leases that are due,
stops pollers whose lease was lost or could not be renewed in time, then claims or
releases devices as `assignment.plan` decides. A poller only runs between a successful
claim and the moment its lease stops being valid on this collector's clock, and its
`stop` event is set as soon as that happens, so the poller's own loop (which checks
`stop` before each poll) never starts a poll without the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from services.collector.assignment import lease_ttl, plan, renew_period, start_offset
from services.collector.leases import LEASE_ERRORS, Held, LeaseTable
from services.collector.membership import Membership
from shared.inventory import Device

log = logging.getLogger(__name__)

START_SPACING_S = 0.03
"""First polls of freshly claimed devices are spread at about this spacing (and over at
most one interval), so a collector that claims 2,000 devices does not log in to all of
them at once and then poll them all in the same second of every interval."""
CLAIM_CHUNK = 200  # concurrent KV writes per batch

_T = TypeVar("_T")
_R = TypeVar("_R")


class Runnable(Protocol):
    """What a poller must offer: `run(stop)` polls until `stop` is set, then closes."""

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set."""


@dataclass(slots=True)
class _Running:
    device: Device
    held: Held
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class SharedPolling:
    """Claims a fair share of `devices`, keeps their leases, and polls only those."""

    def __init__(
        self,
        *,
        devices: Sequence[Device],
        leases: LeaseTable,
        members: Membership,
        make_poller: Callable[[Device], Runnable],
        slack: int = 1,
        stop_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._devices = {d.name: d for d in devices}
        self._leases = leases
        self._members = members
        self._make_poller = make_poller
        self._slack = slack
        self._stop_timeout = stop_timeout
        self._clock = clock
        self._running: dict[str, _Running] = {}
        shortest = min((d.poll_interval for d in devices), default=1.0)
        self.tick = min(1.0, max(0.05, shortest / 8))

    @property
    def held(self) -> set[str]:
        """Devices this collector currently holds and polls."""
        return set(self._running)

    async def run(self, stop: asyncio.Event) -> None:
        """Share the polling with other collectors until `stop`, then release every lease."""
        try:
            while not stop.is_set():
                await self.round()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.tick)
        finally:
            await self._drop(list(self._running), release=True)

    async def round(self) -> None:
        """One pass: renew, drop lost or finished pollers, then claim or release."""
        try:
            await self._renew_due()
            lapsed, ended = self._invalid()
            await self._drop(lapsed, release=False)
            await self._drop(ended, release=True)
            decision = plan(
                collector_id=self._leases.owner, devices=self._devices.keys(),
                held=self._running.keys(), claimable=self._claimable(),
                live_collectors=len(self._members.live()), slack=self._slack,
            )
            await self._drop(list(decision.release), release=True)
            await self._claim(decision.claim)
        except LEASE_ERRORS as exc:  # bus trouble: leases lapse on their own, try next round
            log.warning("lease round failed: %s", exc)
        self._members.devices_held = len(self._running)

    def _claimable(self) -> Iterable[str]:
        for name, device in self._devices.items():
            if name not in self._running and self._leases.claimable(
                name, lease_ttl(device.poll_interval)
            ):
                yield name

    async def _renew_due(self) -> None:
        now = self._clock()
        due = [r for r in self._running.values()
               if now - r.held.renewed_at >= renew_period(r.device.poll_interval)]
        lost: list[str] = []
        for chunk in _chunks(due, CLAIM_CHUNK):
            results = await _gather_safe(self._leases.renew(r.held) for r in chunk)
            lost += [r.device.name for r, ok in zip(chunk, results, strict=True) if ok is False]
        for name in lost:
            log.warning("lease on %s was taken over; stopping its poller", name)
        await self._drop(lost, release=False)

    def _invalid(self) -> tuple[list[str], list[str]]:
        """Held devices whose lease may have lapsed, and those whose poller ended by itself."""
        now = self._clock()
        lapsed, ended = [], []
        for name, running in self._running.items():
            interval = running.device.poll_interval
            # Stop one renewal period before others could judge the lease stale.
            valid_until = running.held.renewed_at + lease_ttl(interval) - renew_period(interval)
            if now >= valid_until:
                lapsed.append(name)
            elif running.task is not None and running.task.done():
                ended.append(name)
        return lapsed, ended

    async def _claim(self, names: Sequence[str]) -> None:
        spread = len(names) * START_SPACING_S
        for chunk in _chunks(list(names), CLAIM_CHUNK):
            results = await _gather_safe(self._leases.claim(n) for n in chunk)
            for held in results:
                if isinstance(held, Held):
                    self._start(held, spread)

    def _start(self, held: Held, spread: float) -> None:
        device = self._devices[held.device]
        running = _Running(device=device, held=held)
        delay = _first_poll_delay(device, held, spread)
        running.task = asyncio.create_task(
            self._poll(running, delay), name=f"poll-{device.name}"
        )
        self._running[device.name] = running
        log.debug("claimed %s (first poll in %.2f s)", device.name, delay)

    async def _poll(self, running: _Running, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(running.stop.wait(), timeout=delay)
        if not running.stop.is_set():
            await self._make_poller(running.device).run(running.stop)

    async def _drop(self, names: Sequence[str], *, release: bool) -> None:
        """Stop the pollers of `names` (all at once), then hand their leases back."""
        dropped = [self._running.pop(n) for n in names if n in self._running]
        for running in dropped:
            running.stop.set()
        await _gather_safe(self._finish(r) for r in dropped)
        if release:
            await _gather_safe(self._leases.release(r.held) for r in dropped)

    async def _finish(self, running: _Running) -> None:
        if running.task is None:
            return
        try:
            await asyncio.wait_for(running.task, timeout=self._stop_timeout)
        except TimeoutError:
            log.warning("poller of %s did not stop in %.0f s; cancelled",
                        running.device.name, self._stop_timeout)
        except Exception:  # loop top: one broken poller must not stop the others' release
            log.exception("poller of %s failed", running.device.name)


def _first_poll_delay(device: Device, held: Held, spread: float) -> float:
    """Keep a released device's pace; spread fresh ones; poll a taken-over one at once."""
    previous = held.previous
    interval = device.poll_interval
    if previous is not None and previous.released_at is not None:
        # Not before one interval after its last poll, then at the device's own phase:
        # devices released together must not all land in the same second of every interval.
        earliest = max(0.0, previous.released_at + interval - time.time())
        return earliest + (start_offset(device.name, interval) - earliest) % interval
    if previous is None or not previous.owner:
        return start_offset(device.name, min(device.poll_interval, spread))
    return 0.0  # its holder went silent a whole TTL ago: its last poll is an interval old


def _chunks(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def _gather_safe(awaitables: Iterable[Awaitable[_R]]) -> list[_R | BaseException]:
    """Run concurrently; a failure is returned in place (logged once) instead of raised."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception)]
    if failures:
        log.warning("%d lease operations failed, first: %s", len(failures), failures[0])
    return results
