"""Three collector processes share 60 simulated devices through KV leases; one is SIGKILLed.

Timing tolerances (the machine may be a loaded 2-core box running the simulator, three
collectors and nats-server at once):
- "once per interval": between two consecutive batches of a device lie at least 0.75 and
  at most 1.5 poll intervals (an honest poller keeps a near-exact cadence; a second poller
  would have to be in phase within a quarter interval to hide, and a missed poll shows as
  a 2-interval gap);
- "resume within two intervals": a dead collector's device publishes again within two
  intervals of the kill, plus 1 s for the SSH login and poll on a busy machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest
from nats.aio.msg import Msg
from nats.js.errors import BucketNotFoundError, NoKeysError, NotFoundError
from nats.js.kv import KeyValue

from services.simulator import SimulatedFleet
from shared.bus import Bus
from shared.inventory import dump_inventory
from shared.settings import NatsSettings

pytestmark = pytest.mark.integration

DEVICES = 60
INTERVAL = 2.0
COLLECTORS = 3
REPO = Path(__file__).resolve().parents[3]


class Batches:
    """Publication times (the collector's `collected_at`, epoch seconds) of each device."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self._arrived = asyncio.Event()

    async def on_msg(self, msg: Msg) -> None:
        body = json.loads(msg.data)
        at = datetime.fromisoformat(body["collected_at"]).timestamp()
        self.times[body["device"]].append(at)
        self._arrived.set()

    def gaps(self, device: str, since: float, until: float = float("inf")) -> list[float]:
        seen = [t for t in self.times[device] if since <= t <= until]
        return [b - a for a, b in zip(seen, seen[1:], strict=False)]

    async def wait_for(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                self._arrived.clear()
                await self._arrived.wait()


class Collectors:
    """Collector subprocesses; every one is killed by pid at teardown."""

    def __init__(self, tmp_path: Path, nats_url: str, inventory: Path) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self._tmp = tmp_path
        self._env = {
            **os.environ, "NETVIGIL_NATS__URL": nats_url, "NETVIGIL_LOG_LEVEL": "WARNING",
            "NETVIGIL_COLLECTOR__INVENTORY": str(inventory),
        }

    def start(self, count: int) -> None:
        for n in range(count):
            data_dir = self._tmp / f"collector-{n}"
            data_dir.mkdir()
            log = (data_dir / "out.log").open("wb")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "services.collector"], cwd=REPO,
                env={**self._env, "NETVIGIL_DATA_DIR": str(data_dir)},
                stdout=log, stderr=subprocess.STDOUT,
            ))
            log.close()

    def logs(self) -> str:
        return "\n".join(
            (self._tmp / f"collector-{n}" / "out.log").read_text()[-2000:]
            for n in range(len(self.procs))
        )

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture
async def fleet() -> AsyncIterator[SimulatedFleet]:
    async with SimulatedFleet(count=DEVICES, poll_interval=INTERVAL) as running:
        yield running


async def lease_owners(bus: Bus) -> dict[str, str]:
    """Device -> collector id, read straight from the lease bucket."""
    kv = await bus.js.key_value(bus.subjects.collector_leases_bucket())
    owners = {}
    for key in await _keys(kv):
        entry = await kv.get(key)
        owner = json.loads(entry.value or b"{}").get("owner") if entry.value else None
        if owner:
            owners[key] = owner
    return owners


async def _keys(kv: KeyValue) -> list[str]:
    try:
        return await kv.keys()
    except NoKeysError:
        return []


async def collector_pids(bus: Bus) -> dict[str, int]:
    """Collector id -> pid, from the heartbeats in the membership bucket."""
    kv = await bus.js.key_value(bus.subjects.collector_members_bucket())
    return {key: json.loads((await kv.get(key)).value or b"{}")["pid"] for key in await _keys(kv)}


async def wait_balanced(bus: Bus, collectors: int, timeout: float) -> dict[str, str]:
    """Lease owners once every device is held and each collector holds its fair share."""
    share = -(-DEVICES // collectors)
    async with asyncio.timeout(timeout):
        while True:
            try:
                owners = await lease_owners(bus)
            except (BucketNotFoundError, NotFoundError):  # not created yet
                owners = {}
            counts = Counter(owners.values())
            if (len(owners) == DEVICES and len(counts) == collectors
                    and all(share - 1 <= c <= share + 1 for c in counts.values())):
                return owners
            await asyncio.sleep(0.25)


async def test_collectors_poll_each_device_once_per_interval_when_one_is_killed(
    tmp_path: Path, bus: Bus, nats_settings: NatsSettings, fleet: SimulatedFleet
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(dump_inventory(fleet.inventory()))
    batches = Batches()
    sub = await bus.nc.subscribe(bus.subjects.metrics("*"), cb=batches.on_msg)
    await bus.nc.flush()
    collectors = Collectors(tmp_path, nats_settings.url, inventory)
    try:
        collectors.start(COLLECTORS)
        try:
            owners = await wait_balanced(bus, COLLECTORS, timeout=25)
        except TimeoutError:
            pytest.fail(f"collectors never balanced: {Counter((await lease_owners(bus)).values())}"
                        f"\n{collectors.logs()}")
        # Let handed-over devices take their first poll, then watch three intervals.
        await asyncio.sleep(INTERVAL * 1.5)
        steady_from = time.time()
        await asyncio.sleep(INTERVAL * 3)
        steady_to = time.time()
        for name in owners:
            gaps = batches.gaps(name, steady_from - INTERVAL, steady_to)
            assert len(gaps) >= 2, (name, gaps, collectors.logs())
            assert all(0.75 * INTERVAL <= g <= 1.5 * INTERVAL for g in gaps), (name, gaps)

        owners = await lease_owners(bus)
        pids = await collector_pids(bus)
        victim_id = next(iter(Counter(owners.values())))
        orphans = [d for d, o in owners.items() if o == victim_id]
        victim = next(p for p in collectors.procs if p.pid == pids[victim_id])
        victim.send_signal(signal.SIGKILL)
        killed_at = time.time()

        def resumed() -> bool:
            return all(any(t > killed_at for t in batches.times[d]) for d in orphans)

        await batches.wait_for(resumed, timeout=4 * INTERVAL + 5)
        for name in orphans:
            first_after = min(t for t in batches.times[name] if t > killed_at)
            assert first_after - killed_at <= 2 * INTERVAL + 1.0, (name, first_after - killed_at)
        await asyncio.sleep(INTERVAL * 2)
        after = await wait_balanced(bus, COLLECTORS - 1, timeout=10)
    finally:
        collectors.kill_all()
        await sub.unsubscribe()

    assert victim_id not in after.values()
    # No double polls from the kill on: survivors never overlap with each other or the dead.
    for name in owners:
        gaps = batches.gaps(name, steady_from - INTERVAL, time.time())
        assert all(g >= 0.75 * INTERVAL for g in gaps), (name, gaps)
        # An orphan's one long gap runs from its last poll before the kill (up to an
        # interval earlier) to its first poll after.
        assert max(gaps) <= (3 * INTERVAL + 1.0 if name in orphans else 1.5 * INTERVAL), (
            name, gaps)
