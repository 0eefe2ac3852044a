"""The first README command: `netvigil up` shows simulated metrics, and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.sshd import free_port

pytestmark = pytest.mark.e2e


def _children(pid: int) -> list[int]:
    """PIDs whose parent is `pid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if int(ppid) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def _wait_for_metrics(base: str, proc: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + 60  # the README promises data within a minute
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "netvigil up exited early"
            try:
                body = client.get(f"{base}/api/v1/metrics",
                                  params={"metric": "system.cpu.utilization"}).json()
            except (httpx.HTTPError, ValueError):
                body = {}
            if body.get("points"):
                return body
            time.sleep(0.3)
    pytest.fail("no simulated metrics at the API within 60 s")


def test_netvigil_up_serves_simulated_metrics_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "NETVIGIL_API__PORT": str(port), "NETVIGIL_DATA_DIR": str(tmp_path)}
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "up"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    log.close()
    try:
        body = _wait_for_metrics(f"http://127.0.0.1:{port}", proc)
        devices = {p["device"] for p in body["points"]}  # type: ignore[union-attr]
        mixed = {"sim-ios-1", "sim-nxos-1", "sim-eos-1", "sim-junos-1", "sim-linux-1"}
        assert devices <= mixed and devices
        children = _children(proc.pid)
        assert children, "expected an embedded nats-server child"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [c for c in children if _alive(c)], "a child process outlived netvigil up"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = (tmp_path / "up.log").read_text()
    assert "netvigil is up" in output
    assert f"http://127.0.0.1:{port}/docs" in output
    assert "Traceback" not in output


def _start_up(tmp_path: Path, port: int, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NETVIGIL_API__PORT": str(port), "NETVIGIL_DATA_DIR": str(tmp_path)}
    log = open(tmp_path / f"up-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "up", *args], env=env,
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    log.close()
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_netvigil_up_refuses_a_data_dir_already_in_use(tmp_path: Path) -> None:
    first_port = free_port()
    first = _start_up(tmp_path, first_port)
    try:
        _wait_for_metrics(f"http://127.0.0.1:{first_port}", first)
        second_port = free_port()
        second = _start_up(tmp_path, second_port)
        try:
            assert second.wait(timeout=60) == 2
        finally:
            _stop(second)
        output = (tmp_path / f"up-{second_port}.log").read_text()
        assert f"data directory {tmp_path} is in use by netvigil pid {first.pid}" in output
        assert "Traceback" not in output
    finally:
        _stop(first)


def test_netvigil_up_exits_nonzero_when_its_nats_server_dies(tmp_path: Path) -> None:
    port = free_port()
    proc = _start_up(tmp_path, port)
    try:
        _wait_for_metrics(f"http://127.0.0.1:{port}", proc)
        [nats] = [c for c in _children(proc.pid) if "nats-server" in _cmdline(c)]
        os.kill(nats, signal.SIGKILL)
        assert proc.wait(timeout=60) == 1
    finally:
        _stop(proc)
    output = (tmp_path / f"up-{port}.log").read_text()
    assert "the embedded nats-server exited with code" in output
    assert not [c for c in _children(proc.pid) if _alive(c)]


def test_netvigil_up_stops_before_starting_anything_when_inventory_is_not_yaml(
    tmp_path: Path,
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("devices: [\n")
    port = free_port()
    proc = _start_up(tmp_path, port, "--inventory", str(inventory))
    try:
        assert proc.wait(timeout=60) == 2
    finally:
        _stop(proc)
    output = (tmp_path / f"up-{port}.log").read_text()
    assert f"netvigil: {inventory}: not valid YAML" in output
    assert "Traceback" not in output and "nats-server" not in output


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""

