"""Background upkeep of the PostgreSQL store: daily rollups, partition drops, size limits.

Rollups are built one complete UTC day at a time (a day is complete `GRACE_MS` after it
ends), in one transaction that locks the day's partition in SHARE mode, so a late insert
into that day waits for the roll-up and then marks the day for rolling again (the write
path deletes its `rolled_days` row in the same transaction as the samples).

Raw retention drops whole day partitions, and only days already rolled up; rollup
retention deletes rows. `marks` holds `floor_raw`, `floor_1m`, `floor_1h`: everything
before a floor was pruned at that resolution (queries pick a coarser one there).
Only one store instance maintains a schema at a time (a session advisory lock).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

from services.storage.pg_query import floor_sql
from services.storage.pg_schema import DAY_MS, existing_partitions, partition_name
from services.storage.store import MaintenanceReport, RetentionPolicy

log = logging.getLogger(__name__)

# A day is rolled up this long after it ended, so batches still in flight land first.
GRACE_MS = 30_000
_SIZE_ROUNDS = 100

_ROLL_1M = f"""
INSERT INTO rollup_1m (series_id, start, min, max, sum, count, last, last_ts)
SELECT series_id, {floor_sql("ts", 60_000)} AS b, min(value), max(value), sum(value), count(*),
       (array_agg(value ORDER BY ts DESC))[1], max(ts)
FROM samples WHERE ts >= $1 AND ts < $2 GROUP BY series_id, b
"""
_ROLL_1H = f"""
INSERT INTO rollup_1h (series_id, start, min, max, sum, count, last, last_ts)
SELECT series_id, {floor_sql("start", 3_600_000)} AS b, min(min), max(max), sum(sum),
       sum(count), (array_agg(last ORDER BY last_ts DESC))[1], max(last_ts)
FROM rollup_1m WHERE start >= $1 AND start < $2 GROUP BY series_id, b
"""
DISK_BYTES = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r'
"""


class PgMaintenance:
    """Rolls up and prunes one PostgreSQL metric schema."""

    def __init__(self, *, pool: asyncpg.Pool, schema: str, policy: RetentionPolicy) -> None:
        self._pool = pool
        self._lock_key = "netvigil-maintain:" + schema
        self._policy = policy

    async def run(self, now_ms: int) -> MaintenanceReport:
        """One pass: roll up complete days, prune by age, then by size, then old event ids."""
        async with self._pool.acquire() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._lock_key):
                log.debug("another store instance is maintaining this schema")
                return MaintenanceReport()
            try:
                return await self._pass(conn, now_ms)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", self._lock_key)

    async def _pass(self, conn: asyncpg.Connection, now_ms: int) -> MaintenanceReport:
        p = self._policy
        rolled_1m = rolled_1h = 0
        for day in await self._days_to_roll(conn, now_ms):
            minute, hour = await self._roll_day(conn, day)
            rolled_1m, rolled_1h = rolled_1m + minute, rolled_1h + hour
        pruned_raw = await self._drop_raw(conn, now_ms - _ms(p.raw))
        pruned_1m = await self._delete_rollups(conn, "1m", now_ms - _ms(p.minute))
        pruned_1h = await self._delete_rollups(conn, "1h", now_ms - _ms(p.hour))
        pruned_raw += await self._prune_to_size(conn)
        status = await conn.execute(
            "DELETE FROM ingested_events WHERE ingested_at < $1", now_ms - _ms(p.events)
        )
        return MaintenanceReport(
            rolled_1m=rolled_1m,
            rolled_1h=rolled_1h,
            pruned_raw=pruned_raw,
            pruned_1m=pruned_1m,
            pruned_1h=pruned_1h,
            pruned_events=_count(status),
        )

    async def _days_to_roll(self, conn: asyncpg.Connection, now_ms: int) -> list[int]:
        rolled = {row[0] for row in await conn.fetch("SELECT day FROM rolled_days")}
        days = await existing_partitions(conn)
        return sorted(d for d in days - rolled if d + DAY_MS + GRACE_MS <= now_ms)

    async def _roll_day(self, conn: asyncpg.Connection, day: int) -> tuple[int, int]:
        end = day + DAY_MS
        async with conn.transaction():
            # SHARE conflicts with inserts: the day cannot change while it is rolled up.
            await conn.execute(f"LOCK TABLE {partition_name(day)} IN SHARE MODE")
            for table in ("rollup_1m", "rollup_1h"):
                await conn.execute(
                    f"DELETE FROM {table} WHERE start >= $1 AND start < $2", day, end
                )
            minute = _count(await conn.execute(_ROLL_1M, day, end))
            hour = _count(await conn.execute(_ROLL_1H, day, end))
            await conn.execute(
                "INSERT INTO rolled_days (day) VALUES ($1) ON CONFLICT DO NOTHING", day
            )
        return minute, hour

    async def _drop_raw(self, conn: asyncpg.Connection, cut: int) -> int:
        """Drop the rolled-up day partitions that end at or before `cut`; return their rows."""
        rolled = {row[0] for row in await conn.fetch("SELECT day FROM rolled_days")}
        doomed = sorted(d for d in await existing_partitions(conn) if d + DAY_MS <= cut)
        total = 0
        for day in doomed:
            if day not in rolled:
                break  # never drop raw data that no rollup holds yet
            total += await self._drop_day(conn, day)
        return total

    async def _drop_day(self, conn: asyncpg.Connection, day: int) -> int:
        name = partition_name(day)
        async with conn.transaction():
            rows = int(await conn.fetchval(f"SELECT count(*) FROM {name}"))
            await conn.execute(f"DROP TABLE {name}")
            await _raise_floor(conn, "floor_raw", day + DAY_MS)
        log.info("dropped sample partition %s (%d rows)", name, rows)
        return rows

    async def _delete_rollups(self, conn: asyncpg.Connection, level: str, cut: int) -> int:
        async with conn.transaction():
            deleted = _count(
                await conn.execute(f"DELETE FROM rollup_{level} WHERE start < $1", cut)
            )
            if deleted:
                await _raise_floor(conn, f"floor_{level}", cut)
        return deleted

    async def _prune_to_size(self, conn: asyncpg.Connection) -> int:
        """Drop the oldest rolled-up raw day, then the oldest 1m day, until the schema fits."""
        if self._policy.max_bytes is None:
            return 0
        total = 0
        for _ in range(_SIZE_ROUNDS):
            if await conn.fetchval(DISK_BYTES) <= self._policy.max_bytes:
                break
            rolled = sorted(row[0] for row in await conn.fetch("SELECT day FROM rolled_days"))
            raw_days = await existing_partitions(conn)
            droppable = [d for d in rolled if d in raw_days]
            if droppable:
                total += await self._drop_day(conn, droppable[0])
                continue
            oldest = await conn.fetchval("SELECT min(start) FROM rollup_1m")
            if oldest is None or not rolled or oldest >= rolled[-1] + DAY_MS:
                break  # only data not yet rolled up is left: never drop that
            day = oldest - oldest % DAY_MS
            await self._delete_rollups(conn, "1m", day + DAY_MS)
        return total


async def _raise_floor(conn: asyncpg.Connection, name: str, value: int) -> None:
    await conn.execute(
        "INSERT INTO marks (name, value) VALUES ($1, $2)"
        " ON CONFLICT (name) DO UPDATE SET value = greatest(marks.value, excluded.value)",
        name,
        value,
    )


def _count(status: str) -> int:
    """The row count of a command status such as 'INSERT 0 12' or 'DELETE 3'."""
    return int(status.split()[-1])


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
