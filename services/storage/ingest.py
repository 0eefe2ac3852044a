"""Ingest: the durable JetStream consumer that moves metric batches into the store.

One round fetches up to `batch_messages` messages, decodes them, writes every batch in
one transaction and acks only after the commit. A crash between commit and ack makes
JetStream redeliver; the store recognises the event ids and writes nothing twice.
A message that is not a valid `MetricBatch` is terminated (never redelivered), so one
poison message cannot block the stream. Fetching only after the previous write is the
back-pressure: unacked work is bounded by one round.

Memory is bounded the same way: the client holds at most `batch_messages` messages (each
at most the server's max_payload) plus their decoded batches; a backlog waits in the
stream on the server's disk, never in this process, and shows up as `lag().pending`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from services.storage.store import MetricStore
from shared.bus import Bus
from shared.errors import StorageError
from shared.events import IngestLag, MetricBatch
from shared.settings import StorageSettings
from shared.subjects import STREAM_METRICS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestRound:
    """What one fetch-write-ack round did."""

    acked: int = 0
    terminated: int = 0
    samples: int = 0
    redelivered: int = 0


class MetricIngest:
    """Moves metric batches from a durable pull consumer into a `MetricStore`."""

    def __init__(
        self,
        *,
        store: MetricStore,
        subscription: JetStreamContext.PullSubscription,
        batch_messages: int,
        fetch_timeout: float = 1.0,
        retry_delay: float = 2.0,
    ) -> None:
        self._store = store
        self._sub = subscription
        self._batch_messages = batch_messages
        self._fetch_timeout = fetch_timeout
        self._retry_delay = retry_delay
        self._failing = False

    @classmethod
    async def subscribe(
        cls, *, bus: Bus, store: MetricStore, settings: StorageSettings
    ) -> MetricIngest:
        """Bind (creating if missing) the durable consumer on every device's metrics."""
        subscription = await bus.pull_subscription(
            stream=STREAM_METRICS,
            durable=settings.durable_name,
            subject=bus.subjects.metrics("*"),
            max_ack_pending=max(10_000, 2 * settings.batch_messages),
            ack_wait=settings.ack_wait_s,
        )
        return cls(store=store, subscription=subscription, batch_messages=settings.batch_messages)

    async def lag(self) -> IngestLag:
        """How far this consumer is behind its stream, from JetStream consumer info."""
        info = await self._sub.consumer_info()
        delivered = info.delivered.stream_seq if info.delivered else 0
        pending = info.num_pending or 0
        return IngestLag(
            pending=pending,
            ack_pending=info.num_ack_pending or 0,
            redelivered=info.num_redelivered or 0,
            stream_last_seq=delivered + pending,
            ack_floor_seq=info.ack_floor.stream_seq if info.ack_floor else 0,
        )

    async def close(self) -> None:
        """Stop receiving; unacked messages go back to JetStream after ack_wait."""
        await self._sub.unsubscribe()

    async def run(self, stop: asyncio.Event) -> None:
        """Ingest until `stop` is set; a failing store is retried after a pause."""
        while not stop.is_set():
            try:
                await self.ingest_once(stop)
            except StorageError as exc:
                self._report_failure(str(exc))
                await _wait(stop, self._retry_delay)
            except Exception:  # loop top: ingest must outlive one bad round
                log.exception("metric ingest round failed")
                await _wait(stop, self._retry_delay)

    async def ingest_once(self, stop: asyncio.Event | None = None) -> IngestRound:
        """Fetch one round of messages, store them, then ack them; `stop` cuts the fetch short."""
        msgs = await self._fetch(stop)
        if not msgs:
            return IngestRound()
        good: list[Msg] = []
        batches: list[MetricBatch] = []
        for msg in msgs:
            batch = await _decode_or_terminate(msg)
            if batch is not None:
                good.append(msg)
                batches.append(batch)
        try:
            samples = await self._store.write_batches(batches)
        except StorageError:
            for msg in good:
                await msg.nak(delay=self._retry_delay)
            raise
        for msg in good:
            await msg.ack()
        self._report_recovery()
        redelivered = sum(1 for msg in msgs if msg.metadata.num_delivered > 1)
        if redelivered:
            # Expected after a crash or a failed write; the event ids keep them from duplicating.
            log.info("%d of %d messages were redeliveries", redelivered, len(msgs))
        return IngestRound(
            acked=len(good),
            terminated=len(msgs) - len(good),
            samples=samples,
            redelivered=redelivered,
        )

    async def _fetch(self, stop: asyncio.Event | None) -> list[Msg]:
        fetch = asyncio.ensure_future(
            self._sub.fetch(self._batch_messages, timeout=self._fetch_timeout)
        )
        if stop is not None:
            # Only the fetch is ever cancelled, never a write: messages it had received stay
            # unacked and JetStream redelivers them after ack_wait.
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not fetch.done():
                fetch.cancel()
                await asyncio.wait({fetch})  # let it unwind; wait() never raises
                return []
        try:
            return await fetch
        except TimeoutError:
            # An idle stream. nats-py raises its own TimeoutError (a subclass) or, when the
            # time runs out in its first wait, asyncio's plain one: both mean "nothing yet".
            return []

    def _report_failure(self, reason: str) -> None:
        # Log a failing store once, not once per retry.
        if not self._failing:
            log.error("storing metrics failed, will retry: %s", reason)
        self._failing = True

    def _report_recovery(self) -> None:
        if self._failing:
            log.info("storing metrics recovered")
        self._failing = False


async def _decode_or_terminate(msg: Msg) -> MetricBatch | None:
    """The batch a message carries, or None after terminating a message that is not one."""
    try:
        return MetricBatch.model_validate_json(msg.data)
    except ValidationError as exc:
        log.error(
            "terminating invalid metric batch on %s (stream seq %s, %d bytes): %s",
            msg.subject,
            msg.metadata.sequence.stream,
            len(msg.data),
            "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()),
        )
        await msg.term()
        return None


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, waking early when `stop` is set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
