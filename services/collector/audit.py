"""An audit record for every command the collector sends to (or refuses for) a device.

Records are JSON lines appended to `<data_dir>/audit/commands.jsonl`:

    {"ts": "2026-12-03T17:00:00.120000Z", "device": "web1", "command": "cat /proc/stat",
     "scheduled_by": "schedule", "outcome": "ok", "duration_s": 0.012, "error": null}

`scheduled_by` is "schedule" for regular polls and "poll_fast request (<requested_by>)"
while a poll_fast request is in force; `outcome` is ok, rejected (the device answered with
an error), refused (not allow-listed: never sent), timeout, overloaded, cancelled (the
poll's deadline or shutdown cut it short) or failed.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TextIO

from shared.events import utcnow


class CommandAudit:
    """Appends one JSON line per command; a line is flushed before `record` returns."""

    def __init__(self, *, path: Path) -> None:
        self.path = path
        self._handle: TextIO | None = None
        self._lock = threading.Lock()

    def record(
        self,
        *,
        device: str,
        command: str,
        scheduled_by: str,
        outcome: str,
        duration_s: float,
        error: str | None = None,
    ) -> None:
        """Write one record."""
        line = json.dumps({
            "ts": utcnow().isoformat().replace("+00:00", "Z"), "device": device,
            "command": command, "scheduled_by": scheduled_by, "outcome": outcome,
            "duration_s": round(duration_s, 6), "error": error,
        })
        with self._lock:
            handle = self._open()
            handle.write(line + "\n")
            handle.flush()

    def _open(self) -> TextIO:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        return self._handle

    def close(self) -> None:
        """Close the file; a later record opens it again."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()
