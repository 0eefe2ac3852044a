"""A real OpenSSH sshd on a free loopback port, with a generated host key and user key."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncssh

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")


def find_sshd() -> str | None:
    """Path of Debian's sshd, or None where openssh-server is not installed."""
    found = next((p for p in SSHD_CANDIDATES if os.access(p, os.X_OK)), None)
    return found or shutil.which("sshd")


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningSshd:
    """Where the test sshd listens and how to log in to it."""

    host: str
    port: int
    username: str
    key_file: Path
    host_public_key: str


class Sshd:
    """Start and stop one sshd process; only key authentication is enabled."""

    def __init__(self, *, workdir: Path, sshd_path: str) -> None:
        self.workdir = workdir
        self.sshd_path = sshd_path
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> RunningSshd:
        """Generate keys and config, start sshd, wait until it accepts connections."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        user_key = asyncssh.generate_private_key("ssh-ed25519")
        host_key_file = self._write_key("host_ed25519", host_key)
        user_key_file = self._write_key("user_ed25519", user_key)
        authorized = self.workdir / "authorized_keys"
        authorized.write_bytes(user_key.export_public_key())
        authorized.chmod(0o600)
        port = free_port()
        config = self._write_config(port, host_key_file, authorized)
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
        log = open(self.workdir / "sshd.log", "ab")  # noqa: SIM115
        self._proc = subprocess.Popen([self.sshd_path, "-D", "-e", "-f", str(config)],
                                      stdout=log, stderr=log)
        log.close()
        self._wait_listening(port, timeout)
        return RunningSshd(
            host="127.0.0.1", port=port, username=getpass.getuser(), key_file=user_key_file,
            host_public_key=host_key.export_public_key().decode().strip(),
        )

    def _write_key(self, name: str, key: asyncssh.SSHKey) -> Path:
        path = self.workdir / name
        path.write_bytes(key.export_private_key())
        path.chmod(0o600)
        return path

    def _write_config(self, port: int, host_key: Path, authorized: Path) -> Path:
        lines = [
            f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}",
            f"AuthorizedKeysFile {authorized}", f"PidFile {self.workdir / 'sshd.pid'}",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
            "StrictModes no", "UseDNS no", "PermitRootLogin prohibit-password",
            "MaxStartups 50:30:100", "MaxSessions 50", "LogLevel ERROR",
        ]
        path = self.workdir / "sshd_config"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _wait_listening(self, port: int, timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log = (self.workdir / "sshd.log").read_text(errors="replace")
                raise RuntimeError(f"sshd exited with {self._proc.returncode}: {log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not listen on {port} within {timeout} s")

    def stop(self) -> None:
        """Terminate the sshd we started (and with it, its session children)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
