"""The series catalog of the file metric store: `series.jsonl`, one series per line.

Each line is `[id, device, metric, attributes]` with the attributes as canonical JSON text.
Ids grow in the order series were first stored, which is the tie-break order of queries.
New series are appended and fsynced before any segment line refers to them, so a crash
can leave a series without samples but never a sample without its series.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

SeriesKey = tuple[str, str, str]


class SeriesCatalog:
    """Series ids by (device, metric, canonical attributes), and back."""

    def __init__(self, *, path: Path, keys: dict[int, SeriesKey]) -> None:
        self._path = path
        self._keys = keys
        self._ids = {key: series_id for series_id, key in keys.items()}

    @classmethod
    def load(cls, path: Path) -> SeriesCatalog:
        """Read the catalog at `path` (missing means empty), dropping a torn last line."""
        if not path.exists():
            return cls(path=path, keys={})
        data = path.read_bytes()
        keys: dict[int, SeriesKey] = {}
        good_end = 0
        for line in data.splitlines(keepends=True):
            entry = _decode(line) if line.endswith(b"\n") else None
            if entry is None:
                break
            keys[entry[0]] = entry[1]
            good_end += len(line)
        if good_end < len(data):
            log.warning("%s: dropping %d bytes of an incomplete write", path, len(data) - good_end)
            with path.open("r+b") as handle:
                handle.truncate(good_end)
                os.fsync(handle.fileno())
        return cls(path=path, keys=keys)

    def __len__(self) -> int:
        return len(self._keys)

    def id_of(self, key: SeriesKey) -> int | None:
        """The id of a known series, or None."""
        return self._ids.get(key)

    def key_of(self, series_id: int) -> SeriesKey:
        """The (device, metric, attributes) of a series id."""
        return self._keys[series_id]

    def items(self) -> list[tuple[int, SeriesKey]]:
        """Every (id, key), in id order."""
        return sorted(self._keys.items())

    @property
    def path(self) -> Path:
        """The catalog file."""
        return self._path

    def plan(self, keys: Sequence[SeriesKey]) -> tuple[dict[int, SeriesKey], bytes]:
        """Ids for the unknown keys (in the order given) and the lines that record them."""
        fresh = [key for key in dict.fromkeys(keys) if key not in self._ids]
        first = max(self._keys, default=0) + 1
        assigned = {first + offset: key for offset, key in enumerate(fresh)}
        lines = b"".join(
            (json.dumps([sid, *key], ensure_ascii=False) + "\n").encode()
            for sid, key in assigned.items()
        )
        return assigned, lines

    def commit(self, assigned: dict[int, SeriesKey]) -> None:
        """Make planned ids known, once their lines are durable in the file."""
        self._keys.update(assigned)
        self._ids.update({key: sid for sid, key in assigned.items()})


def _decode(line: bytes) -> tuple[int, SeriesKey] | None:
    try:
        series_id, device, metric, attributes = json.loads(line)
        return int(series_id), (str(device), str(metric), str(attributes))
    except (ValueError, TypeError):
        return None
