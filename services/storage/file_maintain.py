"""Background upkeep of the file metric store: daily rollups, then pruning by age and size.

A complete day (`GRACE_MS` after its end) is read without holding the write lock, rolled up
with the shared `aggregate` helpers, and its rollup files are written under the write lock
only if no batch reached that day meanwhile (otherwise the next pass tries again). Raw
days are deleted as whole directories, and only once rolled up; rollup files by day.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from services.storage.aggregate import Sample, merge_rollups, rollups_of
from services.storage.file_days import DAY_MS, StoreState, day_name, read_day
from services.storage.file_rollups import Floors, RollupFiles
from services.storage.file_segments import fsync_dir
from services.storage.store import MaintenanceReport, RetentionPolicy

log = logging.getLogger(__name__)

MINUTE_MS, HOUR_MS = 60_000, 3_600_000
# A day is rolled up this long after it ended, so batches still in flight land first.
GRACE_MS = 30_000
_SIZE_ROUNDS = 100


class FileMaintenance:
    """Rolls up and prunes one file metric store; shares its memory and write lock."""

    def __init__(
        self,
        *,
        root: Path,
        state: Callable[[], StoreState],
        rolled: set[int],
        rollups: RollupFiles,
        floors: Floors,
        policy: RetentionPolicy,
        write_lock: asyncio.Lock,
    ) -> None:
        self._root = root
        self._state = state
        self._rolled = rolled
        self._rollups = rollups
        self._floors = floors
        self._policy = policy
        self._lock = write_lock

    async def run(self, now_ms: int) -> MaintenanceReport:
        """One pass: roll up complete days, prune by age, then by size."""
        p = self._policy
        rolled_1m = rolled_1h = 0
        days = self._state().days
        for day in sorted(d for d in days if d not in self._rolled and _complete(d, now_ms)):
            minute, hour = await self._roll(day)
            rolled_1m, rolled_1h = rolled_1m + minute, rolled_1h + hour
        pruned_raw, pruned_events = await self._drop_raw(now_ms - _ms(p.raw))
        pruned_1m = await self._prune_level("1m", now_ms - _ms(p.minute))
        pruned_1h = await self._prune_level("1h", now_ms - _ms(p.hour))
        size_raw, size_events = await self._prune_to_size()
        return MaintenanceReport(
            rolled_1m=rolled_1m,
            rolled_1h=rolled_1h,
            pruned_raw=pruned_raw + size_raw,
            pruned_1m=pruned_1m,
            pruned_1h=pruned_1h,
            pruned_events=pruned_events + size_events,
        )

    async def _roll(self, day: int) -> tuple[int, int]:
        snapshot = dict(self._state().days[day].sizes)
        records = await asyncio.to_thread(read_day, snapshot)
        per_series: dict[int, list[Sample]] = {}
        for record in records:
            for sid, value in record.samples:
                per_series.setdefault(sid, []).append((record.ts, value))
        minute = {sid: rollups_of(samples, MINUTE_MS) for sid, samples in per_series.items()}
        hour = {sid: merge_rollups(rollups, HOUR_MS) for sid, rollups in minute.items()}
        async with self._lock:
            current = self._state().days.get(day)
            if current is None or current.sizes != snapshot:
                return 0, 0  # a late batch arrived while we read: roll it next pass
            await asyncio.to_thread(self._rollups.write_day, day, {"1m": minute, "1h": hour})
            self._rolled.add(day)
        return sum(map(len, minute.values())), sum(map(len, hour.values()))

    async def _drop_raw(self, cut: int) -> tuple[int, int]:
        """Delete rolled-up raw days that end at or before `cut`; return samples and events."""
        samples = events = 0
        for day in sorted(self._state().days):
            if day + DAY_MS <= cut and day in self._rolled:
                dropped = await self._drop_day(day)
                samples, events = samples + dropped[0], events + dropped[1]
        return samples, events

    async def _drop_day(self, day: int) -> tuple[int, int]:
        async with self._lock:
            state = self._state()
            samples = state.days[day].samples
            await asyncio.to_thread(self._remove_dir, self._root / day_name(day))
            events = state.forget(day)
            await asyncio.to_thread(self._floors.raise_to, "floor_raw", day + DAY_MS)
        log.info("deleted raw metric day %s (%d samples)", day_name(day), samples)
        return samples, events

    def _remove_dir(self, path: Path) -> None:
        shutil.rmtree(path)
        fsync_dir(self._root)

    async def _prune_level(self, level: str, cut: int) -> int:
        total = 0
        for day in await asyncio.to_thread(self._rollups.days, level):
            if day + DAY_MS > cut:
                break
            total += await self._delete_rollup_day(level, day)
        return total

    async def _delete_rollup_day(self, level: str, day: int) -> int:
        async with self._lock:
            rows = await asyncio.to_thread(self._rollups.delete, level, day)
            if level == "1h":
                self._rolled.discard(day)
            await asyncio.to_thread(self._floors.raise_to, f"floor_{level}", day + DAY_MS)
        return rows

    async def _prune_to_size(self) -> tuple[int, int]:
        """Delete the oldest rolled-up raw day, then the oldest 1m day, until the store fits."""
        limit = self._policy.max_bytes
        samples = events = 0
        for _ in range(_SIZE_ROUNDS if limit is not None else 0):
            if await asyncio.to_thread(disk_bytes, self._root) <= (limit or 0):
                break
            raw_rolled = sorted(d for d in self._state().days if d in self._rolled)
            if raw_rolled:
                dropped = await self._drop_day(raw_rolled[0])
                samples, events = samples + dropped[0], events + dropped[1]
                continue
            minute_days = await asyncio.to_thread(self._rollups.days, "1m")
            if not minute_days:
                break  # only data not yet rolled up is left: never drop that
            await self._delete_rollup_day("1m", minute_days[0])
        return samples, events


def disk_bytes(root: Path) -> int:
    """Bytes of every file under `root` (blocking I/O)."""
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(folder, name))
            except FileNotFoundError:
                continue  # deleted while we walked
    return total


def _complete(day: int, now_ms: int) -> bool:
    return day + DAY_MS + GRACE_MS <= now_ms


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
