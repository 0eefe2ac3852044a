"""Collector benchmark: a simulated fleet, the raw asyncssh ceiling, and the real collector.

    python bench/collect.py                      # 2,000 devices every 60 s for 150 s
    python bench/collect.py --quick              # smoke run, about 20 s

Three processes share the machine: a nats-server, the simulated fleet (bench/simfleet.py)
and the collector (bench/collector_probe.py: the real service plus parse-CPU and memory
accounting). In order, on the same simulator:
1. raw: a bare asyncssh client runs the driver's commands back to back over 1 and over
   100 persistent connections (the ceiling);
2. scale: the collector polls every device at --interval for --duration seconds;
3. saturation: a fresh collector polls as many devices every --sat-interval seconds as
   make --sat-load times the raw 100-connection rate, with pacing and slow-device
   back-off turned off; its command rate once every device has logged in and had its
   first poll (`steady_commands_per_s`) is compared with the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nats  # noqa: E402

from bench.pollstats import PollLog, Summary, steady_command_rate, summarise  # noqa: E402
from bench.rawssh import command_rate  # noqa: E402
from services.collector.drivers.linux import LinuxDriver  # noqa: E402
from shared.inventory import Inventory, dump_inventory, load_inventory  # noqa: E402
from shared.natsserver import NatsServer  # noqa: E402

COMMANDS = [spec.command for spec in LinuxDriver.commands]
SATURATION_ENV = {  # measure the machinery, not the politeness policies
    "NETVIGIL_COLLECTOR__COMMANDS_PER_SECOND": "100000",
    "NETVIGIL_COLLECTOR__SLOW_POLL_SHARE": "1",
    "NETVIGIL_COLLECTOR__MAX_BACKOFF_FACTOR": "1",
    "NETVIGIL_COLLECTOR__POLL_TIMEOUT_SHARE": "1",
}


@dataclass(frozen=True, slots=True)
class Options:
    """One benchmark run, bounded in devices and seconds."""

    devices: int
    interval: float
    duration: float
    raw_seconds: float
    sat_interval: float
    sat_duration: float
    sat_load: float
    commands_per_second: float
    workdir: Path | None = None


def parse_options(argv: list[str] | None = None) -> Options:
    """Command-line options; --quick replaces the defaults with a ~20 s smoke run."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=2000)
    p.add_argument("--interval", type=float, default=60.0)
    p.add_argument("--duration", type=float, default=150.0)
    p.add_argument("--raw-seconds", type=float, default=10.0)
    p.add_argument("--sat-interval", type=float, default=5.0)
    p.add_argument("--sat-duration", type=float, default=40.0)
    p.add_argument("--sat-load", type=float, default=1.0)
    p.add_argument("--commands-per-second", type=float, default=1000.0,
                   help="collector pacer for the scale run (the default 100 is for AAA servers)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="keep logs and files here instead of a temporary directory")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.quick:
        a.devices, a.interval, a.duration, a.raw_seconds = min(a.devices, 20), 2.0, 5.0, 1.5
        a.sat_interval, a.sat_duration = 1.0, 4.0
    if not (1 <= a.devices <= 5000 and a.duration <= 1800 and a.sat_duration <= 600):
        p.error("bounds: 1..5000 devices, duration <= 1800 s, sat-duration <= 600 s")
    return Options(a.devices, a.interval, a.duration, a.raw_seconds, a.sat_interval,
                   a.sat_duration, a.sat_load, a.commands_per_second, a.workdir)


class Child:
    """A subprocess started by the benchmark, stopped by pid (SIGTERM, then SIGKILL)."""

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path) -> None:
        with log.open("wb") as out:
            self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)
        self.log = log

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


async def wait_for_file(path: Path, child: Child, timeout: float) -> None:
    """Wait until `child` has written `path`; fail early if it died."""
    async with asyncio.timeout(timeout):
        while not path.exists():
            if child.proc.poll() is not None:
                raise RuntimeError(f"{child.log} ended early:\n{child.log.read_text()[-2000:]}")
            await asyncio.sleep(0.2)


async def run_collector(
    tmp: Path, name: str, nats_url: str, inventory: Inventory, seconds: float,
    extra_env: dict[str, str],
) -> tuple[PollLog, dict[str, float], float, float]:
    """Run one collector for `seconds`; return its polls, probe stats and the time window."""
    inv_path = tmp / f"{name}.yaml"
    inv_path.write_text(dump_inventory(inventory))
    stats = tmp / f"{name}-stats.json"
    env = {**os.environ, **extra_env, "NETVIGIL_NATS__URL": nats_url,
           "NETVIGIL_COLLECTOR__INVENTORY": str(inv_path), "NETVIGIL_LOG_LEVEL": "WARNING",
           "NETVIGIL_DATA_DIR": str(tmp / f"{name}-data")}
    polls = PollLog()
    nc = await nats.connect(nats_url, name="bench")
    await nc.subscribe("nv.metrics.>", cb=polls.on_msg)
    await nc.flush()
    child = Child([sys.executable, str(REPO / "bench" / "collector_probe.py"), "--stats",
                   str(stats)], env=env, log=tmp / f"{name}.log")
    try:
        began = time.time()
        await wait_for_file(stats, child, timeout=30)
        await asyncio.sleep(max(0.0, seconds - (time.time() - began)))
        ended = time.time()
        probe = json.loads(stats.read_text())
    finally:
        child.stop()
        await nc.drain()
    return polls, probe, began, ended


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_interval(inventory: Inventory, count: int, interval: float) -> Inventory:
    """The first `count` devices of `inventory`, polled every `interval` seconds."""
    devices = inventory.devices[:count]
    return Inventory(devices=tuple(d.model_copy(update={"poll_interval": interval})
                                   for d in devices))


async def bench(opts: Options, tmp: Path) -> dict[str, object]:
    """All three phases; returns the figures."""
    server = NatsServer(store_dir=tmp / "nats")
    server.start()
    inv_path = tmp / "fleet.yaml"
    fleet = Child([sys.executable, str(REPO / "bench" / "simfleet.py"), "--devices",
                   str(opts.devices), "--interval", str(opts.interval), "--inventory",
                   str(inv_path)], env=dict(os.environ), log=tmp / "simfleet.log")
    try:
        await wait_for_file(inv_path, fleet, timeout=120)
        inventory = load_inventory(inv_path)
        raw1 = await command_rate(inventory.devices, connections=1,
                                  seconds=opts.raw_seconds, commands=COMMANDS)
        raw100 = await command_rate(inventory.devices, connections=100,
                                    seconds=opts.raw_seconds, commands=COMMANDS)
        sim = fleet.proc.pid
        scale = await measure(tmp, "scale", server.url, inventory, opts.interval, opts.duration,
                              {"NETVIGIL_COLLECTOR__COMMANDS_PER_SECOND":
                               str(opts.commands_per_second)}, sim)
        sat_devices = min(opts.devices, math.ceil(
            opts.sat_load * raw100 * opts.sat_interval / len(COMMANDS)))
        sat = await measure(tmp, "saturation", server.url,
                            with_interval(inventory, sat_devices, opts.sat_interval),
                            opts.sat_interval, opts.sat_duration, SATURATION_ENV, sim)
    finally:
        fleet.stop()
        server.stop()
    return {"raw_1conn_cmd_s": raw1, "raw_100conn_cmd_s": raw100, "raw_ratio_100_to_1":
            raw100 / raw1, "scale": scale, "saturation": {**sat, "devices": sat_devices},
            "saturation_ratio_to_raw100": float(sat["steady_commands_per_s"]) / raw100}


async def measure(
    tmp: Path, name: str, url: str, inventory: Inventory, interval: float, seconds: float,
    env: dict[str, str], simulator_pid: int,
) -> dict[str, float]:
    """One collector run and its summary, with parse CPU and memory from the probe."""
    sim_cpu = cpu_seconds(simulator_pid)
    polls, probe, began, ended = await run_collector(tmp, name, url, inventory, seconds, env)
    sim_cpu = cpu_seconds(simulator_pid) - sim_cpu
    summary: Summary = summarise(
        polls, devices=[d.name for d in inventory.devices], interval=interval, began=began,
        ended=ended, commands_per_poll=len(COMMANDS))
    count = len(inventory.devices)
    steady_rate, steady_from = steady_command_rate(
        polls, devices=[d.name for d in inventory.devices], ended=ended,
        commands_per_poll=len(COMMANDS))
    return {**asdict(summary), "devices": count, "interval_s": interval,
            "steady_commands_per_s": steady_rate, "steady_seconds": ended - steady_from,
            "parse_cpu_ms_per_poll": 1000 * probe["parse_cpu_s"] / max(1, summary.polls),
            "collector_cpu_share": probe["process_cpu_s"] / (ended - began),
            "simulator_cpu_share": sim_cpu / (ended - began),
            "load_average_1m": os.getloadavg()[0],
            "rss_delta_kib_per_device": (probe["rss_kib"] - probe["baseline_rss_kib"]) / count}


def print_report(opts: Options, figures: dict[str, object]) -> None:
    """The figures, one `name: value` per line."""
    print(f"options: {asdict(opts)}")
    for key in ("raw_1conn_cmd_s", "raw_100conn_cmd_s", "raw_ratio_100_to_1",
                "saturation_ratio_to_raw100"):
        print(f"{key}: {figures[key]:.3f}")
    for phase in ("scale", "saturation"):
        for key, value in figures[phase].items():  # type: ignore[attr-defined]
            print(f"{phase}.{key}: {value:.3f}" if isinstance(value, float)
                  else f"{phase}.{key}: {value}")


def main() -> None:
    """Run the benchmark and print its figures."""
    opts = parse_options()
    if opts.workdir is not None:
        opts.workdir.mkdir(parents=True, exist_ok=False)
        figures = asyncio.run(bench(opts, opts.workdir))
    else:
        with tempfile.TemporaryDirectory(prefix="nv-bench-") as tmp:
            figures = asyncio.run(bench(opts, Path(tmp)))
    print_report(opts, figures)


if __name__ == "__main__":
    main()
