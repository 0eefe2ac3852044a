"""Append-only segment files of the file metric store: line format, durable appends, recovery.

One line is one stored batch, a JSON object ending in a newline:

    {"event":"<uuid>","device":"r1","ts":1767225600000,"samples":[[1,0.25],[2,100.0]]}

where each sample is `[series id, value]` (ids are defined in `series.jsonl`). A line is
the unit of atomicity: it is written with one append and fsynced before the write
returns, so after a crash only the last line of a file can be incomplete. Recovery keeps
the longest prefix of whole, parseable lines and truncates the rest.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SegmentRecord:
    """One stored batch: its event, device, instant and (series id, value) samples."""

    event: str
    device: str
    ts: int
    samples: list[tuple[int, float]]


def encode_record(record: SegmentRecord) -> bytes:
    """The record as one line of compact JSON."""
    body = {
        "event": record.event,
        "device": record.device,
        "ts": record.ts,
        "samples": [[series_id, value] for series_id, value in record.samples],
    }
    return (json.dumps(body, separators=(",", ":"), allow_nan=False) + "\n").encode()


def decode_record(line: bytes) -> SegmentRecord:
    """Parse one line; ValueError (or KeyError/TypeError) when it is not a whole record."""
    body = json.loads(line)
    return SegmentRecord(
        event=str(body["event"]),
        device=str(body["device"]),
        ts=int(body["ts"]),
        samples=[(int(sid), float(value)) for sid, value in body["samples"]],
    )


def iter_records(data: bytes) -> Iterator[tuple[int, SegmentRecord | None]]:
    """(end offset, record) of each newline-terminated line; None for a line that is damaged."""
    start = 0
    while True:
        newline = data.find(b"\n", start)
        if newline < 0:
            return
        try:
            record: SegmentRecord | None = decode_record(data[start:newline])
        except (ValueError, KeyError, TypeError):
            record = None
        yield newline + 1, record
        start = newline + 1


def recover_lines(path: Path) -> tuple[list[SegmentRecord], int]:
    """Read a segment after a possible crash, truncating a torn tail; return records and size."""
    data = path.read_bytes()
    records: list[SegmentRecord] = []
    good_end = 0
    damaged = 0
    for end, record in iter_records(data):
        if record is None:
            damaged += 1
            continue
        if damaged:
            # Damage followed by whole lines is not a torn append: keep the data, say so.
            log.warning("%s: skipped %d damaged lines before offset %d", path, damaged, end)
            damaged = 0
        records.append(record)
        good_end = end
    if good_end < len(data):
        log.warning("%s: dropping %d bytes of an incomplete last write", path, len(data) - good_end)
        with path.open("r+b") as handle:
            handle.truncate(good_end)
            os.fsync(handle.fileno())
    return records, good_end


def read_records(path: Path, size: int) -> list[SegmentRecord]:
    """The whole records in the first `size` (committed) bytes of a segment."""
    with path.open("rb") as handle:
        data = handle.read(size)
    return [record for _, record in iter_records(data) if record is not None]


def append_durably(path: Path, data: bytes) -> int:
    """Append `data` to `path` and fsync; on failure cut the file back. Return the new size."""
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        before = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            # A half-written line must not stay in front of the next append.
            os.ftruncate(fd, before)
            raise
        size = before + len(data)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)
    return size


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (new files, removed files) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
