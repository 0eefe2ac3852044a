"""What the file metric store keeps in memory about its day directories, and how it is rebuilt.

Opening the store scans every segment once (`load_state`): torn tails are truncated, and
the index of ingested event ids, per-day sample counts and time bounds, and each series'
newest instant are rebuilt. Queries then read only the days their range touches, and only
up to each segment's committed size, so a write in progress is never half-read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from services.storage.file_segments import SegmentRecord, read_records, recover_lines
from services.storage.store import from_millis

DAY_MS = 86_400_000
SEGMENT_GLOB = "segment-*.jsonl"


@dataclass(slots=True)
class Day:
    """What memory knows of one day directory."""

    start: int
    sizes: dict[Path, int] = field(default_factory=dict)  # committed bytes, segment order
    samples: int = 0
    bounds: tuple[int, int] | None = None  # oldest and newest sample instant
    points: set[tuple[int, int]] | None = None  # (series id, ts), loaded only when needed

    def add(self, record: SegmentRecord) -> None:
        """Account for a record appended to this day."""
        self.samples += len(record.samples)
        if record.samples:
            low, high = self.bounds or (record.ts, record.ts)
            self.bounds = (min(low, record.ts), max(high, record.ts))
        if self.points is not None:
            self.points.update((sid, record.ts) for sid, _ in record.samples)


@dataclass(slots=True)
class StoreState:
    """Everything rebuilt from the files at open."""

    days: dict[int, Day] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)  # event id -> day start
    last_ts: dict[int, int] = field(default_factory=dict)  # series id -> newest ts

    def add(self, day: Day, record: SegmentRecord) -> None:
        """Account for a record appended to `day`."""
        day.add(record)
        self.events[record.event] = day.start
        for sid, _ in record.samples:
            if record.ts > self.last_ts.get(sid, record.ts - 1):
                self.last_ts[sid] = record.ts

    def forget(self, day_start: int) -> int:
        """Drop a day from memory; return how many event ids went with it."""
        del self.days[day_start]
        before = len(self.events)
        self.events = {e: d for e, d in self.events.items() if d != day_start}
        return before - len(self.events)


def load_state(root: Path) -> StoreState:
    """Scan every day directory under `root`, recovering torn segment tails."""
    state = StoreState()
    for path in sorted(root.iterdir()):
        day_start = parse_day(path.name) if path.is_dir() else None
        if day_start is None:
            continue
        day = Day(start=day_start)
        state.days[day_start] = day
        for segment in sorted(path.glob(SEGMENT_GLOB)):
            records, size = recover_lines(segment)
            day.sizes[segment] = size
            for record in records:
                state.add(day, record)
    return state


def read_day(sizes: dict[Path, int]) -> list[SegmentRecord]:
    """Every committed record of a day, given its segments' committed sizes (blocking I/O)."""
    records: list[SegmentRecord] = []
    for path, size in sizes.items():
        try:
            records += read_records(path, size)
        except FileNotFoundError:
            continue  # retention deleted the day while a query was reading it
    return records


def day_of(ts: int) -> int:
    """The first millisecond of the UTC day holding `ts`."""
    return ts - ts % DAY_MS


def day_name(day_start: int) -> str:
    """The directory name of a day: YYYY-MM-DD."""
    return from_millis(day_start).strftime("%Y-%m-%d")


def parse_day(name: str) -> int | None:
    """The day start a directory or file stem names, or None when it is not a day."""
    try:
        day = datetime.strptime(name, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(day.timestamp()) * 1000
