"""`nv.rpc.collector.poll_fast`: poll a device faster for a while, on request.

Every collector subscribes without a queue group, because only the collector currently
polling the device can act; the others stay silent, so the requester gets exactly one
answer (or a timeout when no collector polls that device). A malformed request is answered
with error code 400 by every collector; the requester takes the first.
"""

from __future__ import annotations

import logging
from typing import Protocol

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from shared.bus import ERROR_CODE_HEADER, ERROR_HEADER, Bus
from shared.events import PollFastReply, PollFastRequest, RpcErrorReply

log = logging.getLogger(__name__)


class FastPollable(Protocol):
    """What the service needs of a poller (DevicePoller)."""

    @property
    def running(self) -> bool:
        """Whether the poller is polling its device right now."""
        ...

    def poll_fast(
        self, *, duration: float, interval: float | None, requested_by: str
    ) -> PollFastReply:
        """Poll faster for a while."""
        ...


class PollFastService:
    """Answers poll_fast requests for the devices this collector polls."""

    def __init__(self, *, bus: Bus, max_duration: float) -> None:
        self._bus = bus
        self._max_duration = max_duration
        self._pollers: dict[str, FastPollable] = {}
        self._sub: Subscription | None = None

    def track(self, name: str, poller: FastPollable) -> None:
        """Route requests for device `name` to `poller` (replacing an earlier one)."""
        self._pollers[name] = poller

    async def start(self) -> None:
        """Subscribe to the request subject."""
        subject = self._bus.subjects.rpc_collector("poll_fast")
        self._sub = await self._bus.nc.subscribe(subject, cb=self._on_request)

    async def stop(self) -> None:
        """Stop answering."""
        sub, self._sub = self._sub, None
        if sub is not None:
            await sub.unsubscribe()

    async def _on_request(self, msg: Msg) -> None:
        try:
            request = PollFastRequest.model_validate_json(msg.data)
        except ValidationError as exc:
            await self._reply_error(msg, 400, str(exc.errors()[0]["msg"]))
            return
        poller = self._pollers.get(request.device)
        if poller is None or not poller.running:
            return  # another collector polls it, or nobody does
        reply = poller.poll_fast(
            duration=min(request.duration_s, self._max_duration),
            interval=request.interval_s, requested_by=request.requested_by,
        )
        await msg.respond(reply.model_dump_json().encode())

    async def _reply_error(self, msg: Msg, code: int, text: str) -> None:
        if not msg.reply:
            return
        body = RpcErrorReply(code=code, error=text).model_dump_json().encode()
        headers = {ERROR_HEADER: text.replace("\n", " ")[:500], ERROR_CODE_HEADER: str(code)}
        await self._bus.nc.publish(msg.reply, body, headers=headers)
