"""The current status of every device, restored from JetStream and kept live from the bus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from shared.bus import Bus
from shared.events import DeviceStatus
from shared.subjects import STREAM_EVENTS

log = logging.getLogger(__name__)


class StatusBoard:
    """Newest DeviceStatus per device.

    The collector publishes a status only when it changes, so the newest message per
    subject in the EVENTS stream is each device's current state. The board subscribes
    first and reads the stream second, so no change falls in between; whichever copy of a
    status arrives later, the newer event (by `occurred_at`) wins.
    """

    def __init__(self, *, bus: Bus) -> None:
        self._bus = bus
        self._statuses: dict[str, DeviceStatus] = {}
        self._changed = asyncio.Condition()
        self._sub: Subscription | None = None

    async def start(self) -> None:
        """Subscribe to live changes, then load the last stored status of each device."""
        subject = self._bus.subjects.device_status("*")
        self._sub = await self._bus.nc.subscribe(subject, cb=self._on_message)
        count = await self.resync()
        log.info("device status restored for %d device(s) from %s", count, STREAM_EVENTS)
        # Changes published while the connection was down never reach the subscription.
        self._bus.on_reconnect(self.resync)

    async def resync(self) -> int:
        """Apply the newest stored status of every device; return how many were read."""
        stored = await self._bus.last_per_subject(
            STREAM_EVENTS, self._bus.subjects.device_status("*")
        )
        for msg in stored:
            await self._apply_raw(msg.data, origin="stream")
        return len(stored)

    async def stop(self) -> None:
        """Stop following changes; a closed connection has nothing left to unsubscribe."""
        sub, self._sub = self._sub, None
        if sub is not None and not self._bus.nc.is_closed:
            await sub.unsubscribe()

    def get(self, device: str) -> DeviceStatus | None:
        """The current status of `device`, or None when none was ever seen."""
        return self._statuses.get(device)

    def all(self) -> dict[str, DeviceStatus]:
        """A snapshot of every known status, by device name."""
        return dict(self._statuses)

    async def apply(self, status: DeviceStatus) -> bool:
        """Record `status` unless a newer one is already known; return whether it was kept."""
        current = self._statuses.get(status.device)
        if current is not None and current.occurred_at > status.occurred_at:
            return False
        self._statuses[status.device] = status
        async with self._changed:
            self._changed.notify_all()
        return True

    async def wait_until(self, predicate: Callable[[StatusBoard], bool], timeout: float) -> None:
        """Wait until `predicate(board)` holds; raise TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    async def _on_message(self, msg: Msg) -> None:
        await self._apply_raw(msg.data, origin=msg.subject)

    async def _apply_raw(self, data: bytes, *, origin: str) -> None:
        # A bad payload must not end the subscription: callback errors only reach error_cb.
        try:
            status = DeviceStatus.model_validate_json(data)
        except ValidationError as exc:
            log.warning("ignoring invalid DeviceStatus from %s: %s", origin, exc)
            return
        await self.apply(status)
