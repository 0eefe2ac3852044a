"""Per-device poll leases in a JetStream KV bucket, changed only by compare-and-set.

Key = device name, value = `Lease` (who holds it). A holder renews by writing a new
revision on top of the one it wrote last (`kv.update(..., last=revision)`); anyone else
may take a device only by writing on top of the revision it saw, so two collectors can
never both succeed. Expiry is judged on each collector's own monotonic clock: a revision
first seen at `seen_at` that has not changed for one TTL is stale. The observer sees a
write after it happened, so it always judges a lease stale later than the holder does;
no clocks are compared across machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)

LEASE_ERRORS = (nats.errors.Error, OSError)
"""What a KV write can fail with besides losing the race: bus down, timeout, no stream."""


class Lease(BaseModel):
    """The value of a lease key: who polls the device, or when its last holder let go."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str = ""
    released_at: float | None = None  # wall clock: the last holder's polls ended by then


@dataclass(slots=True)
class LeaseView:
    """What this collector last saw of one lease key, and when it first saw that revision."""

    lease: Lease | None  # None: deleted or unreadable, free to take
    revision: int
    seen_at: float


@dataclass(slots=True)
class Held:
    """A lease this collector holds: the revision it wrote and when it started writing it."""

    device: str
    revision: int
    renewed_at: float
    previous: Lease | None  # the value it replaced when claimed


async def open_bucket(js: JetStreamContext, bucket: str, *, ttl: float | None = None) -> KeyValue:
    """Create the bucket if missing (same config is a no-op) and return it."""
    config = KeyValueConfig(bucket=bucket, history=1, storage=StorageType.FILE, ttl=ttl)
    return await js.create_key_value(config=config)


class LeaseTable:
    """This collector's view of every lease, kept current by a KV watcher, plus CAS writes."""

    def __init__(
        self, *, kv: KeyValue, owner: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.owner = owner
        self._kv = kv
        self._clock = clock
        self.views: dict[str, LeaseView] = {}
        self._watcher: KeyValue.KeyWatcher | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, *, timeout: float = 10.0) -> None:
        """Start watching and return once the current state of the bucket is loaded."""
        self._watcher = await self._kv.watchall()
        loaded = asyncio.Event()
        self._task = asyncio.create_task(self._follow(self._watcher, loaded), name="lease-watch")
        async with asyncio.timeout(timeout):
            await loaded.wait()

    async def stop(self) -> None:
        """Stop watching."""
        if self._watcher is not None:
            with contextlib.suppress(*LEASE_ERRORS):
                await self._watcher.stop()  # type: ignore[no-untyped-call]
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self, watcher: KeyValue.KeyWatcher, loaded: asyncio.Event) -> None:
        async for entry in watcher:
            if entry is None:  # end of the initial state
                loaded.set()
                continue
            self._observe(entry.key, _decode(entry), entry.revision or 0)
            if entry.delta == 0:
                loaded.set()

    def _observe(self, device: str, lease: Lease | None, revision: int) -> None:
        view = self.views.get(device)
        if view is None or revision > view.revision:
            self.views[device] = LeaseView(lease=lease, revision=revision, seen_at=self._clock())

    def claimable(self, device: str, ttl: float) -> bool:
        """Whether `device` is free: never leased, released, or not renewed for `ttl`."""
        view = self.views.get(device)
        if view is None or view.lease is None or not view.lease.owner:
            return True
        # Also for our own name: the caller asks only about devices it does not run, so a
        # lease still naming us is a leftover (a renewal whose answer was lost).
        return self._clock() - view.seen_at > ttl

    def owner_of(self, device: str) -> str | None:
        """Who holds `device` as far as this collector has seen."""
        view = self.views.get(device)
        return view.lease.owner or None if view and view.lease else None

    async def claim(self, device: str) -> Held | None:
        """Take `device` on top of the revision seen; None when someone else was faster."""
        view = self.views.get(device)
        started = self._clock()
        body = Lease(owner=self.owner).model_dump_json().encode()
        try:
            if view is None:
                revision = await self._kv.create(device, body)
            else:
                revision = await self._kv.update(device, body, last=view.revision)
        except KeyWrongLastSequenceError:
            return None
        self._observe(device, Lease(owner=self.owner), revision)
        return Held(device=device, revision=revision, renewed_at=started,
                    previous=view.lease if view else None)

    async def renew(self, held: Held) -> bool:
        """Extend a held lease; False when it was taken over (the caller must stop polling)."""
        started = self._clock()
        body = Lease(owner=self.owner).model_dump_json().encode()
        try:
            held.revision = await self._kv.update(held.device, body, last=held.revision)
        except KeyWrongLastSequenceError:
            return False
        held.renewed_at = started
        self._observe(held.device, Lease(owner=self.owner), held.revision)
        return True

    async def release(self, held: Held) -> None:
        """Hand a lease back, recording when its polls ended so the next holder keeps pace."""
        body = Lease(owner="", released_at=time.time()).model_dump_json().encode()
        with contextlib.suppress(KeyWrongLastSequenceError, *LEASE_ERRORS):
            await self._kv.update(held.device, body, last=held.revision)


def _decode(entry: KeyValue.Entry) -> Lease | None:
    if entry.operation is not None or not entry.value:  # DEL / PURGE markers
        return None
    try:
        return Lease.model_validate_json(entry.value)
    except ValidationError:
        log.warning("ignoring unreadable lease for %s", entry.key)
        return None
