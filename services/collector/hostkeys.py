"""SSH host key checks: a fixed known_hosts file, or trust-on-first-use that is recorded.

With `strict=True` only keys already in the file are trusted. Otherwise the first key a
device presents is appended to the file (OpenSSH format, `[host]:port` for ports other
than 22) and every later connection must present that same key.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import asyncssh

log = logging.getLogger(__name__)


def host_pattern(host: str, port: int) -> str:
    """How OpenSSH's known_hosts names a host and port."""
    return host if port == 22 else f"[{host}]:{port}"


class HostKeyStore:
    """Decides whether a presented host key is trusted; records first sightings."""

    def __init__(self, *, path: Path, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self._lock = threading.Lock()  # asyncssh calls the check synchronously

    def check(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> str | None:
        """None when `key` is trusted for host (at IP `addr`) and port, else why it is not."""
        with self._lock:
            trusted = self._trusted_keys(host, addr, port)
            fingerprint = key.get_fingerprint()
            if trusted and any(k == key for k in trusted):
                return None
            if trusted:
                known = ", ".join(k.get_fingerprint() for k in trusted)
                return (
                    f"host key {fingerprint} differs from the recorded key {known} "
                    f"in {self.path}; if the device was reinstalled, remove its line"
                )
            if self.strict:
                return f"host key {fingerprint} is not in {self.path}"
            self._record(host, port, key)
            return None

    def _trusted_keys(self, host: str, addr: str, port: int) -> list[asyncssh.SSHKey]:
        if not self.path.is_file():
            return []
        known = asyncssh.import_known_hosts(self.path.read_text())
        found = known.match(host, addr, None if port == 22 else port)
        return list(dict.fromkeys(found[0]))  # host and address may both match one line

    def _record(self, host: str, port: int, key: asyncssh.SSHKey) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = f"{host_pattern(host, port)} {key.export_public_key().decode().strip()}\n"
        with self.path.open("a") as handle:
            handle.write(line)
        log.info("trusting %s host key %s on first use (recorded in %s)",
                 host_pattern(host, port), key.get_fingerprint(), self.path)
