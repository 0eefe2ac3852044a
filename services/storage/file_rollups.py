"""Rollup files and pruning floors of the file metric store.

    <dir>/rollups/1m/<YYYY-MM-DD>.jsonl   one line per series and minute of that day
    <dir>/rollups/1h/<YYYY-MM-DD>.jsonl   one line per series and hour of that day
    <dir>/marks.json                      floors: everything before was pruned at that level

A line is `[series id, bucket start, min, max, sum, count, last, last ts]`. A day's files
are written whole (temporary file, fsync, rename), the 1h file last, so "the 1h file
exists" is what "this day is rolled up" means, also after a crash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from services.storage.aggregate import Rollup
from services.storage.file_days import day_name, parse_day
from services.storage.file_segments import fsync_dir

LEVELS = ("1m", "1h")


class RollupFiles:
    """Reads and writes the per-day rollup files (blocking I/O; call from a thread)."""

    def __init__(self, root: Path) -> None:
        self._dir = root / "rollups"

    def path(self, level: str, day: int) -> Path:
        """The file of one level and day."""
        return self._dir / level / f"{day_name(day)}.jsonl"

    def days(self, level: str) -> list[int]:
        """The days that have a file at `level`, oldest first."""
        folder = self._dir / level
        if not folder.is_dir():
            return []
        days = (parse_day(p.stem) for p in folder.glob("*.jsonl"))
        return sorted(d for d in days if d is not None)

    def write_day(self, day: int, by_level: Mapping[str, Mapping[int, Iterable[Rollup]]]) -> int:
        """Write a day's rollups of every level (1h last); return the rows written."""
        total = 0
        for level in LEVELS:
            lines = [
                json.dumps([sid, r.start, r.min, r.max, r.sum, r.count, r.last, r.last_ts])
                for sid, rollups in sorted(by_level[level].items())
                for r in rollups
            ]
            _write_whole(self.path(level, day), "".join(line + "\n" for line in lines).encode())
            total += len(lines)
        return total

    def unroll(self, day: int) -> None:
        """Mark a day as not rolled up (its raw data changed) by removing its 1h file."""
        path = self.path("1h", day)
        if path.exists():
            path.unlink()
            fsync_dir(path.parent)

    def read(
        self, level: str, day: int, ids: set[int], lo: int, hi: int
    ) -> dict[int, list[Rollup]]:
        """Rollups of the given series with a start in [lo, hi)."""
        path = self.path(level, day)
        out: dict[int, list[Rollup]] = {}
        if not path.exists():
            return out
        for line in path.read_bytes().splitlines():
            sid, start, mn, mx, sm, n, last, last_ts = json.loads(line)
            if sid in ids and lo <= start < hi:
                out.setdefault(sid, []).append(
                    Rollup(start=start, min=mn, max=mx, sum=sm, count=n, last=last, last_ts=last_ts)
                )
        return out

    def rows(self, level: str) -> int:
        """Rows held at `level` over all days."""
        total = 0
        for day in self.days(level):
            try:
                total += self.path(level, day).read_bytes().count(b"\n")
            except FileNotFoundError:
                continue  # pruned while we counted
        return total

    def delete(self, level: str, day: int) -> int:
        """Delete one file; return the rows it held."""
        path = self.path(level, day)
        if not path.exists():
            return 0
        rows = path.read_bytes().count(b"\n")
        path.unlink()
        fsync_dir(path.parent)
        return rows


class Floors:
    """`floor_raw`, `floor_1m`, `floor_1h` in marks.json (blocking I/O on save)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self.values: dict[str, int] = json.loads(path.read_text()) if path.exists() else {}

    def raise_to(self, name: str, value: int) -> None:
        """Move a floor forward (never back) and save the marks durably."""
        self.values[name] = max(value, self.values.get(name, value))
        _write_whole(self._path, json.dumps(self.values, sort_keys=True).encode())


def _write_whole(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: temporary file, fsync, rename, fsync dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)
