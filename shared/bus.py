"""A thin wrapper over nats-py: connect, streams, JetStream publish, request/reply.

Domain code receives a connected `Bus` and never connects by itself. Every JetStream
publish sets `Nats-Msg-Id` to the event id so the server drops duplicate publishes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError
from pydantic import BaseModel, ValidationError

from shared.errors import QueryError, RpcError, RpcTimeout
from shared.events import Event, RpcErrorReply
from shared.settings import NatsSettings
from shared.subjects import STREAM_EVENTS, STREAM_METRICS, Subjects

log = logging.getLogger(__name__)

ReplyT = TypeVar("ReplyT", bound=BaseModel)
RequestT = TypeVar("RequestT", bound=BaseModel)

ERROR_HEADER = "Nats-Service-Error"
ERROR_CODE_HEADER = "Nats-Service-Error-Code"


async def _log_error(exc: Exception) -> None:
    log.error("nats error: %s", exc)


class Bus:
    """Connected NATS client plus the subject table and JetStream context."""

    def __init__(
        self,
        *,
        nc: NATS,
        subjects: Subjects,
        request_timeout: float = 5.0,
        reconnect_hooks: list[Callable[[], Awaitable[None]]] | None = None,
    ) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.subjects = subjects
        self.request_timeout = request_timeout
        # Shared with the connection's reconnected callback, which runs each hook.
        self._reconnect_hooks = reconnect_hooks if reconnect_hooks is not None else []

    @classmethod
    async def connect(cls, settings: NatsSettings, *, name: str) -> Bus:
        """Connect with an error callback and endless reconnects."""
        hooks: list[Callable[[], Awaitable[None]]] = []

        async def reconnected() -> None:
            log.info("%s: connection to the bus re-established", name)
            for hook in list(hooks):
                try:
                    await hook()
                except Exception:  # one hook's failure must not starve the others
                    log.exception("%s: reconnect hook failed", name)

        nc = await nats.connect(
            servers=[settings.url],
            name=name,
            error_cb=_log_error,
            reconnected_cb=reconnected,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=5,
        )
        return cls(
            nc=nc,
            subjects=Subjects(settings.subject_prefix),
            request_timeout=settings.request_timeout,
            reconnect_hooks=hooks,
        )

    def on_reconnect(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` after every reconnect, e.g. to re-read what was missed meanwhile."""
        self._reconnect_hooks.append(hook)

    async def close(self) -> None:
        """Drain subscriptions and close the connection."""
        if self.nc.is_closed:
            return
        try:
            await self.nc.drain()
        except (nats.errors.Error, OSError) as exc:  # server already gone: just close
            log.warning("drain failed (%s); closing the connection", exc)
            await self.nc.close()

    async def ensure_streams(self, *, metrics_max_age_s: float = 86_400) -> None:
        """Create or update the streams; safe to call from every service at start."""
        subjects = self.subjects.stream_subjects()
        configs = [
            StreamConfig(
                name=STREAM_METRICS,
                subjects=subjects[STREAM_METRICS],
                storage=StorageType.FILE,
                max_age=metrics_max_age_s,
                duplicate_window=120,
            ),
            StreamConfig(
                name=STREAM_EVENTS,
                subjects=subjects[STREAM_EVENTS],
                storage=StorageType.FILE,
                max_age=7 * 86_400,
                duplicate_window=120,
            ),
        ]
        for config in configs:
            await self._add_or_update(config)

    async def _add_or_update(self, config: StreamConfig) -> None:
        try:
            await self.js.add_stream(config=config)
        except BadRequestError:
            await self.js.update_stream(config=config)

    async def publish(self, subject: str, event: Event) -> None:
        """Publish an event to JetStream and wait for the server's ack."""
        await self.js.publish(
            subject,
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(event.event_id)},
        )

    async def pull_subscription(
        self,
        *,
        stream: str,
        durable: str,
        subject: str,
        max_ack_pending: int = 10_000,
        ack_wait: float = 30.0,
    ) -> JetStreamContext.PullSubscription:
        """A durable pull consumer with explicit acks (created if missing)."""
        config = ConsumerConfig(ack_wait=ack_wait, max_ack_pending=max_ack_pending)
        return await self.js.pull_subscribe(
            subject, durable=durable, stream=stream, config=config
        )

    async def last_per_subject(self, stream: str, subject: str) -> list[Msg]:
        """The newest stored message on each subject matching `subject`."""
        try:
            info = await self.js.stream_info(stream, subjects_filter=subject)
        except NotFoundError:
            return []
        msgs = []
        for name in (info.state.subjects or {}):
            try:
                msgs.append(await self.js.get_last_msg(stream, name))
            except NotFoundError:
                continue
        return msgs  # type: ignore[return-value]

    async def request(self, subject: str, body: BaseModel, reply_model: type[ReplyT]) -> ReplyT:
        """Send a request; raise RpcTimeout when nobody answers, RpcError on an error reply."""
        try:
            msg = await self.nc.request(
                subject, body.model_dump_json().encode(), timeout=self.request_timeout
            )
        except (NatsTimeoutError, NoRespondersError) as exc:
            raise RpcTimeout(
                f"no answer on {subject} within {self.request_timeout} s "
                "(is the service running?)"
            ) from exc
        headers = msg.headers or {}
        if ERROR_HEADER in headers:
            raise RpcError(int(headers.get(ERROR_CODE_HEADER, "500")), headers[ERROR_HEADER])
        return reply_model.model_validate_json(msg.data)

    async def serve(
        self,
        subject: str,
        *,
        queue: str,
        request_model: type[RequestT],
        handler: Callable[[RequestT], Awaitable[BaseModel]],
    ) -> Subscription:
        """Answer requests on `subject` in a queue group; errors go back as error headers."""

        async def on_request(msg: Msg) -> None:
            try:
                request = request_model.model_validate_json(msg.data)
                reply = await handler(request)
            except ValidationError as exc:
                await _reply_error(msg, 400, _validation_summary(exc))
            except QueryError as exc:
                await _reply_error(msg, 400, str(exc))
            except Exception as exc:  # loop top: the requester must always get an answer
                log.exception("handler for %s failed", subject)
                await _reply_error(msg, 500, f"{type(exc).__name__}: {exc}")
            else:
                await msg.respond(reply.model_dump_json().encode())

        return await self.nc.subscribe(subject, queue=queue, cb=on_request)


async def _reply_error(msg: Msg, code: int, text: str) -> None:
    body = RpcErrorReply(code=code, error=text).model_dump_json().encode()
    headers = {ERROR_HEADER: text.replace("\n", " ")[:1000], ERROR_CODE_HEADER: str(code)}
    await msg._client.publish(msg.reply, body, headers=headers)


def _validation_summary(exc: ValidationError) -> str:
    """One line per field problem: 'field.path: message'."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
