"""Three collector processes share 60 simulated devices through KV leases; one is SIGKILLed.

Timing tolerances (the machine may be a loaded 2-core box running the simulator, three
collectors and nats-server at once):
- no double polls, no tolerance: between the starts of two consecutive polls of a device
  lie at least half an interval (an honest poller keeps its cadence to within scheduling
  jitter; a second poller shows as a gap under half an interval unless nearly in phase);
- missed polls (a gap over 1.5 intervals): at most 5 % of the expected polls. A poller
  that cannot finish in time skips a slot by design, which happens when a busy machine
  starves the three collectors and the 60 simulated devices; it is not a sharing fault;
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
# Long enough that scheduling jitter on a loaded 2-core box stays inside the tolerances.
INTERVAL = 3.0
COLLECTORS = 3
REPO = Path(__file__).resolve().parents[3]


class Batches:
    """When each device's polls started (epoch s): the batch's `collected_at` minus its
    `netvigil.poll.duration`, so a slow poll on a busy machine does not look like a late one."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self._arrived = asyncio.Event()

    async def on_msg(self, msg: Msg) -> None:
        body = json.loads(msg.data)
        duration = next(
            s["value"] for s in body["samples"] if s["metric"] == "netvigil.poll.duration"
        )
        at = datetime.fromisoformat(body["collected_at"]).timestamp() - duration
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
            pytest.fail(f"collectors never balanced\n{collectors.logs()}")
        # Handed-over devices first poll within two intervals; then watch three intervals.
        await asyncio.sleep(INTERVAL * 2.5)
        steady_from = time.time()
        await asyncio.sleep(INTERVAL * 3)
        steady_to = time.time()
        steady = {name: batches.gaps(name, steady_from - INTERVAL, steady_to) for name in owners}
        assert all(steady.values()), (steady, collectors.logs())
        assert doubles(steady) == {}
        assert missed(steady) <= 0.05 * DEVICES * 3, steady

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
    whole = {name: batches.gaps(name, steady_from - INTERVAL, time.time()) for name in owners}
    assert doubles(whole) == {}
    others = {name: gaps for name, gaps in whole.items() if name not in orphans}
    assert missed(others) <= 0.05 * len(others) * 7, others


def doubles(gaps: dict[str, list[float]]) -> dict[str, list[float]]:
    """Devices polled twice within half an interval, with their gaps."""
    return {name: g for name, g in gaps.items() if any(x < 0.5 * INTERVAL for x in g)}


def missed(gaps: dict[str, list[float]]) -> int:
    """Poll slots skipped: a gap of n intervals (n >= 2) skipped n - 1 slots."""
    return sum(round(x / INTERVAL) - 1 for g in gaps.values() for x in g if x > 1.5 * INTERVAL)
