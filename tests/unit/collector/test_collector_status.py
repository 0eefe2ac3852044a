"""Device state changes, backoff decisions and host-key trust, as pure decisions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import asyncssh
import pytest

from services.collector.hostkeys import HostKeyStore
from services.collector.status import Backoff, StatusTracker, state_for
from shared.errors import AuthFailed, DeviceTimeout, DeviceUnreachable, HostKeyMismatch
from shared.events import DeviceState

pytestmark = pytest.mark.unit

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_status_tracker_publishes_only_when_state_changes() -> None:
    tracker = StatusTracker(device="web1", now=lambda: T0)
    outcomes = [
        (DeviceState.UP, None, True),  # unknown -> up
        (DeviceState.UP, None, False),  # still up: nothing to publish
        (DeviceState.UNREACHABLE, "refused", True),
        (DeviceState.UNREACHABLE, "refused again", False),
        (DeviceState.UP, None, True),  # recovered
    ]
    for state, reason, publishes in outcomes:
        event = tracker.update(state, reason)
        assert (event is not None) == publishes
        if event is not None:
            assert (event.device, event.state, event.reason, event.since) == (
                "web1", state, reason, T0
            )


def test_status_tracker_logs_failure_and_recovery_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="services.collector.status")
    tracker = StatusTracker(device="web1", now=lambda: T0)
    tracker.update(DeviceState.UP)
    for _ in range(3):
        tracker.update(DeviceState.TIMEOUT, "run 'cat /proc/stat': timed out")
    for _ in range(3):
        tracker.update(DeviceState.UP)
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("device web1 is timeout: run 'cat /proc/stat': timed out") == 1
    assert messages.count("device web1 recovered (was timeout)") == 1


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (AuthFailed("d", "x"), DeviceState.AUTH_FAILED),
        (HostKeyMismatch("d", "x"), DeviceState.HOST_KEY_MISMATCH),
        (DeviceTimeout("d", "x"), DeviceState.TIMEOUT),
        (DeviceUnreachable("d", "x"), DeviceState.UNREACHABLE),
    ],
)
def test_state_for_names_state_when_error_raised(error: Exception, state: DeviceState) -> None:
    assert state_for(error) == state  # type: ignore[arg-type]


def test_backoff_doubles_to_cap_when_device_stays_unreachable() -> None:
    backoff = Backoff(base=10.0, cap=60.0)
    delays = [backoff.delay_after(DeviceUnreachable("d", "x")) for _ in range(5)]
    assert delays == [10.0, 20.0, 40.0, 60.0, 60.0]
    backoff.reset()
    assert backoff.delay_after(DeviceTimeout("d", "x")) == 10.0


def test_backoff_waits_five_minutes_when_credentials_refused() -> None:
    backoff = Backoff(base=1.0)
    assert backoff.delay_after(AuthFailed("d", "x")) == 300.0
    assert backoff.delay_after(HostKeyMismatch("d", "x")) == 300.0


def public_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519").convert_to_public()


def test_host_key_store_records_first_key_and_refuses_another(tmp_path: Path) -> None:
    store = HostKeyStore(path=tmp_path / "known_hosts", strict=False)
    first, second = public_key(), public_key()
    # first use: trusted and recorded
    assert store.check("10.0.0.1", "10.0.0.1", 2222, first) is None
    assert store.check("10.0.0.1", "10.0.0.1", 2222, first) is None
    refusal = store.check("10.0.0.1", "10.0.0.1", 2222, second)
    assert refusal is not None and first.get_fingerprint() in refusal
    # another port is another device
    assert store.check("10.0.0.1", "10.0.0.1", 2223, second) is None
    lines = (tmp_path / "known_hosts").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["[10.0.0.1]:2222", "[10.0.0.1]:2223"]


def test_host_key_store_refuses_unknown_key_when_strict(tmp_path: Path) -> None:
    key = public_key()
    path = tmp_path / "known_hosts"
    path.write_text(f"web1.example {key.export_public_key().decode()}")
    store = HostKeyStore(path=path, strict=True)
    assert store.check("web1.example", "192.0.2.1", 22, key) is None
    refusal = store.check("web2.example", "192.0.2.2", 22, public_key())
    assert refusal is not None and "is not in" in refusal
    assert len(path.read_text().splitlines()) == 1  # strict mode never records
