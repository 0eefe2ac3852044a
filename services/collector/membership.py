"""Which collectors are alive: each writes a heartbeat to a KV bucket, all watch it.

Liveness is judged like leases (see `leases.py`): a collector whose heartbeat revision has
not changed for `misses` periods on this collector's own clock is gone. The bucket's TTL
only tidies up keys of collectors that died long ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable

from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict

from services.collector.leases import LEASE_ERRORS

log = logging.getLogger(__name__)

BUCKET_TTL_S = 300.0


def new_collector_id() -> str:
    """A unique, KV-key-safe id: host name, process id and a random suffix."""
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


class Heartbeat(BaseModel):
    """What a collector writes about itself every period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    collector_id: str
    pid: int
    devices: int = 0
    at: float  # wall clock, for people reading the bucket


class Membership:
    """Keeps this collector's heartbeat fresh and tells which collectors are alive."""

    def __init__(
        self,
        *,
        kv: KeyValue,
        collector_id: str,
        period: float = 0.5,
        misses: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.collector_id = collector_id
        self.period = period
        self.devices_held = 0
        self._kv = kv
        self._expiry = period * misses
        self._clock = clock
        self._seen: dict[str, tuple[int, float]] = {}  # id -> (revision, first seen)
        self._watcher: KeyValue.KeyWatcher | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Announce this collector and start heartbeating and watching the others."""
        await self._beat()
        self._watcher = await self._kv.watchall()
        self._tasks = [
            asyncio.create_task(self._follow(self._watcher), name="members-watch"),
            asyncio.create_task(self._heartbeats(), name="members-beat"),
        ]

    def live(self) -> set[str]:
        """Ids of collectors heard from recently; always includes this one."""
        now = self._clock()
        alive = {cid for cid, (_, seen) in self._seen.items() if now - seen <= self._expiry}
        return alive | {self.collector_id}

    async def stop(self) -> None:
        """Stop heartbeating and remove this collector's key so others rebalance at once."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._watcher is not None:
            with contextlib.suppress(*LEASE_ERRORS):
                await self._watcher.stop()  # type: ignore[no-untyped-call]
        with contextlib.suppress(*LEASE_ERRORS):
            await self._kv.delete(self.collector_id)

    async def _heartbeats(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.period)
            try:
                await self._beat()
            except LEASE_ERRORS as exc:
                if not failing:
                    log.warning("collector heartbeat failed: %s", exc)
                failing = True
                continue
            if failing:
                log.info("collector heartbeat recovered")
            failing = False

    async def _beat(self) -> None:
        beat = Heartbeat(collector_id=self.collector_id, pid=os.getpid(),
                         devices=self.devices_held, at=time.time())
        await self._kv.put(self.collector_id, beat.model_dump_json().encode())

    async def _follow(self, watcher: KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is None:
                continue
            if entry.operation is not None:  # deleted: that collector left cleanly
                self._seen.pop(entry.key, None)
                continue
            revision = entry.revision or 0
            previous = self._seen.get(entry.key)
            if previous is None or revision > previous[0]:
                self._seen[entry.key] = (revision, self._clock())
