"""Background upkeep of the SQLite store: rollups, then pruning by age and by size.

Everything walks time forward in small transactions (`_Stepper` adapts the span of each
step so one step touches about `chunk_rows` rows), taking the writer lock per step, so
ingest never waits for more than one small transaction. Progress lives in the `marks`
table and commits with the rows it describes, so a crash resumes where it stopped:

- `watermark_1m` / `watermark_1h`: every bucket before it is rolled up;
- `floor_raw` / `floor_1m` / `floor_1h`: everything before it was pruned at that resolution.

A sample written late into a minute that is already rolled up is recorded in
`rollup_dirty` by the write path, and its minute (and hour) is rolled up again here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import aiosqlite

from services.storage.aggregate import bucket_start
from services.storage.store import MaintenanceReport, RetentionPolicy

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
# A minute is rolled up this long after it ended, so batches still in flight land first.
GRACE_MS = 30_000
_MAX_STEPS = 100_000
_SIZE_ROUNDS = 100

_ROLL_1M = """
WITH agg AS (
  SELECT sa.series_id AS sid, sa.ts - sa.ts % 60000 AS b, min(sa.value) AS mn,
         max(sa.value) AS mx, sum(sa.value) AS sm, count(*) AS n, max(sa.ts) AS lt
  FROM series AS se JOIN samples AS sa ON sa.series_id = se.id AND sa.ts >= ? AND sa.ts < ?
  GROUP BY sa.series_id, b)
INSERT OR REPLACE INTO rollup_1m (series_id, start, min, max, sum, count, last, last_ts)
SELECT agg.sid, agg.b, agg.mn, agg.mx, agg.sm, agg.n, sa.value, agg.lt
FROM agg JOIN samples AS sa ON sa.series_id = agg.sid AND sa.ts = agg.lt
"""
_ROLL_1H = """
WITH agg AS (
  SELECT r.series_id AS sid, r.start - r.start % 3600000 AS b, min(r.min) AS mn,
         max(r.max) AS mx, sum(r.sum) AS sm, sum(r.count) AS n, max(r.last_ts) AS lt
  FROM series AS se JOIN rollup_1m AS r ON r.series_id = se.id AND r.start >= ? AND r.start < ?
  GROUP BY r.series_id, b)
INSERT OR REPLACE INTO rollup_1h (series_id, start, min, max, sum, count, last, last_ts)
SELECT agg.sid, agg.b, agg.mn, agg.mx, agg.sm, agg.n, r.last, agg.lt
FROM agg JOIN rollup_1m AS r ON r.series_id = agg.sid AND r.start = agg.lt - agg.lt % 60000
"""
_PRUNE = {
    "raw": "DELETE FROM samples WHERE series_id IN (SELECT id FROM series) AND ts >= ? AND ts < ?",
    "1m": "DELETE FROM rollup_1m WHERE series_id IN (SELECT id FROM series)"
    " AND start >= ? AND start < ?",
    "1h": "DELETE FROM rollup_1h WHERE series_id IN (SELECT id FROM series)"
    " AND start >= ? AND start < ?",
}
_OLDEST = {
    "raw": "SELECT min((SELECT min(ts) FROM samples WHERE series_id = s.id)) FROM series AS s",
    "1m": "SELECT min((SELECT min(start) FROM rollup_1m WHERE series_id = s.id)) FROM series AS s",
    "1h": "SELECT min((SELECT min(start) FROM rollup_1h WHERE series_id = s.id)) FROM series AS s",
}


@dataclass(kw_only=True)
class _Stepper:
    """Walks [lo, hi) in steps sized so each touches about `target` rows."""

    target: int
    align: int
    span: int = 10 * MINUTE_MS
    steps: int = field(default=0)

    def next_hi(self, lo: int, hi: int) -> int:
        self.steps += 1
        return min(hi, bucket_start(lo + self.span, self.align) or lo + self.align)

    def adapt(self, rows: int) -> None:
        if rows > self.target:
            self.span = max(self.align, self.span // 2)
        elif rows < self.target // 4:
            self.span = min(7 * 86_400_000, self.span * 2)


class SqliteMaintenance:
    """Builds rollups and prunes one SQLite store; `marks` is shared with the store."""

    def __init__(
        self,
        *,
        db: aiosqlite.Connection,
        lock: asyncio.Lock,
        policy: RetentionPolicy,
        marks: dict[str, int],
    ) -> None:
        self._db = db
        self._lock = lock
        self._policy = policy
        self._marks = marks

    async def run(self, now_ms: int) -> MaintenanceReport:
        """One pass: roll up, re-roll dirty minutes, prune by age, then by size."""
        await self._init_watermarks(now_ms)
        rolled_1m = await self._roll_minutes(now_ms)
        rolled_1m += await self._roll_dirty()
        rolled_1h = await self._roll_hours()
        p = self._policy
        raw_cut = min(bucket_start(now_ms - _ms(p.raw), MINUTE_MS), self._marks["watermark_1m"])
        m_cut = min(bucket_start(now_ms - _ms(p.minute), MINUTE_MS), self._marks["watermark_1h"])
        pruned_raw = await self._prune("raw", raw_cut)
        pruned_1m = await self._prune("1m", m_cut)
        pruned_1h = await self._prune("1h", bucket_start(now_ms - _ms(p.hour), HOUR_MS))
        pruned_raw += await self._prune_to_size()
        return MaintenanceReport(
            rolled_1m=rolled_1m,
            rolled_1h=rolled_1h,
            pruned_raw=pruned_raw,
            pruned_1m=pruned_1m,
            pruned_1h=pruned_1h,
            pruned_events=await self._prune_events(now_ms - _ms(p.events)),
        )

    async def _init_watermarks(self, now_ms: int) -> None:
        if "watermark_1m" in self._marks:
            return
        oldest = await self._scalar(_OLDEST["raw"])
        start = bucket_start(oldest if oldest is not None else now_ms, HOUR_MS)

        async def step() -> int:
            await self._set_marks(watermark_1m=start, watermark_1h=start)
            return 0

        await self._transaction(step)

    async def _roll_minutes(self, now_ms: int) -> int:
        target = bucket_start(now_ms - GRACE_MS, MINUTE_MS)
        return await self._walk("watermark_1m", target, _ROLL_1M, MINUTE_MS)

    async def _roll_hours(self) -> int:
        target = bucket_start(self._marks["watermark_1m"], HOUR_MS)
        return await self._walk("watermark_1h", target, _ROLL_1H, HOUR_MS)

    async def _walk(self, mark: str, target: int, sql: str, align: int) -> int:
        stepper, total = _Stepper(target=self._policy.chunk_rows, align=align), 0
        while self._marks[mark] < target and stepper.steps < _MAX_STEPS:
            lo = self._marks[mark]
            hi = stepper.next_hi(lo, target)

            async def step(lo: int = lo, hi: int = hi) -> int:
                rows = await self._changes(sql, (lo, hi))
                await self._set_marks(**{mark: hi})
                return rows

            rows = await self._transaction(step)
            stepper.adapt(rows)
            total += rows
        return total

    async def _roll_dirty(self) -> int:
        rows = await self._db.execute_fetchall("SELECT start FROM rollup_dirty LIMIT 1000")
        total = 0
        for (start,) in rows:

            async def step(start: int = start) -> int:
                count = 0
                if start >= self._marks.get("floor_raw", start):  # raw still complete there
                    count = await self._changes(_ROLL_1M, (start, start + MINUTE_MS))
                    if start < self._marks["watermark_1h"]:
                        hour = bucket_start(start, HOUR_MS)
                        await self._db.execute(_ROLL_1H, (hour, hour + HOUR_MS))
                await self._db.execute("DELETE FROM rollup_dirty WHERE start = ?", (start,))
                return count

            total += await self._transaction(step)
        return total

    async def _prune(self, level: str, cut: int, *, start: int | None = None) -> int:
        floor = self._marks.get(f"floor_{level}") if start is None else start
        if floor is None:
            floor = await self._scalar(_OLDEST[level])
            if floor is None:
                return 0
        stepper, total = _Stepper(target=self._policy.chunk_rows, align=MINUTE_MS), 0
        lo = floor
        while lo < cut and stepper.steps < _MAX_STEPS:
            hi = stepper.next_hi(lo, cut)

            async def step(lo: int = lo, hi: int = hi) -> int:
                rows = (await self._db.execute(_PRUNE[level], (lo, hi))).rowcount
                floor_mark = f"floor_{level}"
                await self._set_marks(**{floor_mark: max(hi, self._marks.get(floor_mark, hi))})
                return rows

            rows = await self._transaction(step)
            stepper.adapt(rows)
            total, lo = total + rows, hi
        return total

    async def _prune_to_size(self) -> int:
        """Drop the oldest raw hour (then the oldest 1m hour) until the file fits max_bytes."""
        if self._policy.max_bytes is None:
            return 0
        total = 0
        for _ in range(_SIZE_ROUNDS):
            if await self.used_bytes() <= self._policy.max_bytes:
                break
            pruned = await self._prune_oldest_hour("raw", "watermark_1m")
            if pruned is None:
                pruned = await self._prune_oldest_hour("1m", "watermark_1h")
            if pruned is None:
                break  # only data not yet rolled up is left: never drop that
            total += pruned
        return total

    async def _prune_oldest_hour(self, level: str, rolled_mark: str) -> int | None:
        oldest = await self._scalar(_OLDEST[level])
        if oldest is None or oldest >= self._marks[rolled_mark]:
            return None
        cut = min(bucket_start(oldest, HOUR_MS) + HOUR_MS, self._marks[rolled_mark])
        return await self._prune(level, cut, start=oldest)

    async def used_bytes(self) -> int:
        """Bytes of the database in use (file pages minus free pages)."""
        pages = await self._scalar("PRAGMA page_count") or 0
        free = await self._scalar("PRAGMA freelist_count") or 0
        size = await self._scalar("PRAGMA page_size") or 0
        return (pages - free) * size

    async def _prune_events(self, cut: int) -> int:
        total, chunk = 0, self._policy.chunk_rows
        for _ in range(_MAX_STEPS):

            async def step() -> int:
                cursor = await self._db.execute(
                    "DELETE FROM ingested_events WHERE event_id IN (SELECT event_id FROM"
                    " ingested_events WHERE ingested_at < ? LIMIT ?)",
                    (cut, chunk),
                )
                return cursor.rowcount

            rows = await self._transaction(step)
            total += rows
            if rows < chunk:
                break
        return total

    async def _changes(self, sql: str, params: tuple[int, ...]) -> int:
        """Run one statement; return the rows it changed (rowcount is -1 for WITH ... INSERT)."""
        await self._db.execute(sql, params)
        return await self._scalar("SELECT changes()") or 0

    async def _set_marks(self, **values: int) -> None:
        await self._db.executemany(
            "INSERT INTO marks (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )
        self._marks.update(values)

    async def _scalar(self, sql: str) -> int | None:
        rows = list(await self._db.execute_fetchall(sql))
        return rows[0][0] if rows else None

    async def _transaction(self, work: Callable[[], Awaitable[int]]) -> int:
        async with self._lock:
            saved = dict(self._marks)
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                result = await work()
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                self._marks.clear()
                self._marks.update(saved)
                raise
        await asyncio.sleep(0)  # let ingest in between steps
        return result


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
