"""The background loop that keeps rollups current and prunes old data."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from services.storage.store import MetricStore
from shared.errors import StorageError
from shared.events import utcnow

log = logging.getLogger(__name__)


async def run_maintenance(
    store: MetricStore,
    *,
    interval_s: float,
    stop: asyncio.Event,
    now: Callable[[], datetime] = utcnow,
) -> None:
    """Call `store.maintain` every `interval_s` until `stop` is set; failures are retried."""
    failing = False
    while not stop.is_set():
        try:
            report = await store.maintain(now=now())
        except StorageError as exc:
            if not failing:
                log.error("storage maintenance failed, will retry: %s", exc)
            failing = True
        except Exception:  # loop top: maintenance must outlive one bad pass
            log.exception("storage maintenance pass failed")
        else:
            if failing:
                log.info("storage maintenance recovered")
            failing = False
            log.debug("storage maintenance: %s", report)
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except TimeoutError:
            pass
