"""A simulated Linux host: state that advances with the clock, and the text of its /proc files.

`LinuxHost.snapshot()` moves the host forward to the current time and returns what it now
"is" (`LinuxSnapshot`); the `render_*` functions turn a snapshot into the exact text the
real command prints. Tests parse the text and compare it with the snapshot.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

HZ = 100  # USER_HZ: /proc/stat counts hundredths of a second
CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
# How busy time splits over the busy fields (user, nice, system, irq, softirq).
BUSY_SPLIT = {"user": 0.68, "nice": 0.02, "system": 0.25, "irq": 0.01, "softirq": 0.04}
IOWAIT_SHARE = 0.02  # share of the not-busy time spent waiting for I/O


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """Counters of one interface; fractional parts accumulate, the file shows integers."""

    name: str
    rx_bytes: float
    rx_packets: float
    rx_errs: float
    rx_drop: float
    tx_bytes: float
    tx_packets: float
    tx_errs: float
    tx_drop: float


@dataclass(frozen=True, slots=True)
class InterfaceRates:
    """Per-second growth of an interface's counters."""

    rx_bytes: float
    tx_bytes: float
    packet_size: float = 800.0
    errs: float = 0.0
    drop: float = 0.0


@dataclass(frozen=True, slots=True)
class FilesystemState:
    """One mounted filesystem in KiB; `reserved_kib` is root's reserve, neither used nor free."""

    device: str
    mountpoint: str
    blocks_kib: int
    used_kib: float
    reserved_kib: int = 0

    @property
    def avail_kib(self) -> int:
        """What df shows as Available."""
        return max(0, self.blocks_kib - int(self.used_kib) - self.reserved_kib)


@dataclass(frozen=True, slots=True)
class MemoryState:
    """Memory in KiB; `used_kib` is what applications hold (MemTotal - MemAvailable)."""

    total_kib: int
    used_kib: int
    buffers_kib: int
    cached_kib: int

    @property
    def free_kib(self) -> int:
        """MemFree: what nothing uses at all."""
        return self.total_kib - self.used_kib - self.buffers_kib - self.cached_kib

    @property
    def available_kib(self) -> int:
        """MemAvailable, defined so that MemTotal - MemAvailable is exactly `used_kib`."""
        return self.total_kib - self.used_kib


@dataclass(frozen=True, slots=True)
class LinuxSnapshot:
    """Everything the host shows at one moment, and how busy its CPUs were in the last step."""

    at: float
    uptime: float
    ncpu: int
    cpu: dict[str, float]
    cpu_step_utilization: float
    load: tuple[float, float, float]
    memory: MemoryState
    interfaces: tuple[InterfaceState, ...]
    filesystems: tuple[FilesystemState, ...]
    last_pid: int


def diurnal_utilization(at: float) -> float:
    """Busy share by time of day (UTC): quiet at night, a peak in the afternoon."""
    hours = (at % 86_400) / 3600
    return 0.35 + 0.25 * math.sin(2 * math.pi * (hours - 9) / 24)


class LinuxHost:
    """One simulated Linux machine whose counters grow consistently as the clock moves."""

    def __init__(
        self,
        *,
        seed: int,
        clock: Callable[[], float] = time.time,
        ncpu: int = 2,
        rates: dict[str, InterfaceRates] | None = None,
    ) -> None:
        self._rng = random.Random(seed)
        self._clock = clock
        self.rates = rates or default_rates(self._rng)
        self._state = _boot_state(self._rng, clock(), ncpu, self.rates)

    def snapshot(self) -> LinuxSnapshot:
        """Advance to the clock's time (never backwards) and return the current state."""
        now = self._clock()
        if now > self._state.at:
            self._state = _advance(self._state, now, self._rng, self.rates)
        return self._state


def default_rates(rng: random.Random) -> dict[str, InterfaceRates]:
    """Traffic of lo, eth0 and eth1 in bytes per second."""
    return {
        "lo": InterfaceRates(rx_bytes=2_000.0, tx_bytes=2_000.0, packet_size=200.0),
        "eth0": InterfaceRates(
            rx_bytes=rng.uniform(0.5e6, 2e6), tx_bytes=rng.uniform(0.2e6, 1e6), drop=0.05
        ),
        "eth1": InterfaceRates(rx_bytes=rng.uniform(1e4, 1e5), tx_bytes=5_000.0, errs=0.01),
    }


def _boot_state(
    rng: random.Random, now: float, ncpu: int, rates: dict[str, InterfaceRates]
) -> LinuxSnapshot:
    uptime = rng.uniform(3, 40) * 86_400
    total = uptime * HZ * ncpu
    cpu = _split_jiffies(total, 0.2) | {"steal": 0.0}
    total_kib = 4_028_380
    memory = MemoryState(
        total_kib=total_kib, used_kib=int(total_kib * rng.uniform(0.3, 0.5)),
        buffers_kib=int(total_kib * 0.02), cached_kib=int(total_kib * 0.25),
    )
    interfaces = tuple(_grow(InterfaceState(name, *[0.0] * 8), r, uptime)
                       for name, r in rates.items())
    filesystems = (
        FilesystemState("/dev/vda1", "/", 41_152_736, 41_152_736 * rng.uniform(0.3, 0.6),
                        reserved_kib=2_057_636),
        FilesystemState("tmpfs", "/run", 402_840, 1_204.0),
        FilesystemState("/dev/mapper/vg_data-lv_archive", "/srv/archive", 524_288_000,
                        524_288_000 * rng.uniform(0.5, 0.8)),
    )
    return LinuxSnapshot(
        at=now, uptime=uptime, ncpu=ncpu, cpu=cpu, cpu_step_utilization=0.2,
        load=(0.4, 0.4, 0.4), memory=memory, interfaces=interfaces,
        filesystems=filesystems, last_pid=rng.randint(2_000, 30_000),
    )


def _advance(
    state: LinuxSnapshot, now: float, rng: random.Random, rates: dict[str, InterfaceRates]
) -> LinuxSnapshot:
    dt = now - state.at
    utilization = min(0.98, max(0.02, diurnal_utilization(now) + rng.gauss(0, 0.05)))
    step = _split_jiffies(dt * HZ * state.ncpu, utilization)
    cpu = {name: state.cpu[name] + step.get(name, 0.0) for name in CPU_FIELDS}
    return replace(
        state,
        at=now,
        uptime=state.uptime + dt,
        cpu=cpu,
        cpu_step_utilization=utilization,
        load=_load(state.load, utilization * state.ncpu + rng.gauss(0, 0.1), dt),
        memory=_drift_memory(state.memory, rng, dt),
        interfaces=tuple(_grow(i, rates[i.name], dt) for i in state.interfaces),
        filesystems=tuple(_fill(fs, dt) for fs in state.filesystems),
        last_pid=state.last_pid + int(dt * 2),
    )


def _split_jiffies(total: float, utilization: float) -> dict[str, float]:
    busy, rest = total * utilization, total * (1 - utilization)
    split = {name: busy * share for name, share in BUSY_SPLIT.items()}
    return split | {"idle": rest * (1 - IOWAIT_SHARE), "iowait": rest * IOWAIT_SHARE}


def _load(
    load: tuple[float, float, float], running: float, dt: float
) -> tuple[float, float, float]:
    """The kernel's exponentially damped averages over 1, 5 and 15 minutes."""
    running = max(0.0, running)

    def damp(avg: float, period: float) -> float:
        decay = math.exp(-dt / period)
        return avg * decay + running * (1 - decay)

    return damp(load[0], 60), damp(load[1], 300), damp(load[2], 900)


def _drift_memory(memory: MemoryState, rng: random.Random, dt: float) -> MemoryState:
    step = int(rng.gauss(0, 2_000) * math.sqrt(dt))
    low, high = int(memory.total_kib * 0.2), int(memory.total_kib * 0.6)
    return replace(memory, used_kib=min(high, max(low, memory.used_kib + step)))


def _grow(iface: InterfaceState, rates: InterfaceRates, dt: float) -> InterfaceState:
    return replace(
        iface,
        rx_bytes=iface.rx_bytes + rates.rx_bytes * dt,
        rx_packets=iface.rx_packets + rates.rx_bytes / rates.packet_size * dt,
        rx_errs=iface.rx_errs + rates.errs * dt,
        rx_drop=iface.rx_drop + rates.drop * dt,
        tx_bytes=iface.tx_bytes + rates.tx_bytes * dt,
        tx_packets=iface.tx_packets + rates.tx_bytes / rates.packet_size * dt,
        tx_errs=iface.tx_errs,
        tx_drop=iface.tx_drop,
    )


def _fill(fs: FilesystemState, dt: float) -> FilesystemState:
    """Disks fill slowly (logs, archives); tmpfs stays put."""
    if fs.device == "tmpfs":
        return fs
    return replace(fs, used_kib=min(fs.blocks_kib - fs.reserved_kib, fs.used_kib + 8 * dt))


def render_stat(snap: LinuxSnapshot) -> str:
    """`cat /proc/stat`: the aggregate line, one line per CPU, then the usual counters."""
    total = [int(snap.cpu[name]) for name in CPU_FIELDS]
    lines = ["cpu  " + " ".join(str(v) for v in [*total, 0, 0])]
    for n in range(snap.ncpu):
        per_cpu = [v // snap.ncpu for v in total]
        lines.append(f"cpu{n} " + " ".join(str(v) for v in [*per_cpu, 0, 0]))
    boot = int(snap.at - snap.uptime)
    lines += [
        f"intr {int(snap.uptime * 900)} 9 0 0 0 0 0 0 0 1 0 0 0 144 0 0 0",
        f"ctxt {int(snap.uptime * 1700)}",
        f"btime {boot}",
        f"processes {snap.last_pid}",
        "procs_running 2",
        "procs_blocked 0",
    ]
    return "\n".join(lines) + "\n"


def render_loadavg(snap: LinuxSnapshot) -> str:
    """`cat /proc/loadavg`."""
    one, five, fifteen = snap.load
    return f"{one:.2f} {five:.2f} {fifteen:.2f} 2/317 {snap.last_pid}\n"


def render_meminfo(snap: LinuxSnapshot) -> str:
    """`cat /proc/meminfo`, the first lines as the kernel prints them (kB meaning KiB)."""
    mem = snap.memory
    rows = [
        ("MemTotal", mem.total_kib), ("MemFree", mem.free_kib),
        ("MemAvailable", mem.available_kib), ("Buffers", mem.buffers_kib),
        ("Cached", mem.cached_kib), ("SwapCached", 0), ("Active", mem.used_kib),
        ("Inactive", mem.cached_kib // 2), ("SwapTotal", 2_097_148), ("SwapFree", 2_097_148),
    ]
    text = "".join(f"{key + ':':<16}{value:>8} kB\n" for key, value in rows)
    return text + "HugePages_Total:       0\nHugepagesize:       2048 kB\n"


def render_net_dev(snap: LinuxSnapshot) -> str:
    """`cat /proc/net/dev` with the kernel's two-line header and column widths."""
    lines = [
        "Inter-|   Receive                                                |  Transmit",
        " face |bytes    packets errs drop fifo frame compressed multicast|"
        "bytes    packets errs drop fifo colls carrier compressed",
    ]
    for i in snap.interfaces:
        rx = (i.rx_bytes, i.rx_packets, i.rx_errs, i.rx_drop)
        tx = (i.tx_bytes, i.tx_packets, i.tx_errs, i.tx_drop)
        r = [int(v) for v in rx]
        t = [int(v) for v in tx]
        lines.append(
            f"{i.name:>6}:{r[0]:>8} {r[1]:>7} {r[2]:>4} {r[3]:>4}    0     0          0"
            f"         0 {t[0]:>8} {t[1]:>7} {t[2]:>4} {t[3]:>4}    0     0       0          0"
        )
    return "\n".join(lines) + "\n"


def render_uptime(snap: LinuxSnapshot) -> str:
    """`cat /proc/uptime`: seconds up, and idle seconds summed over CPUs."""
    return f"{snap.uptime:.2f} {snap.cpu['idle'] / HZ:.2f}\n"


def render_df(snap: LinuxSnapshot) -> str:
    """`df -P -k`; a long device name pushes its row out of the columns, as df does."""
    lines = ["Filesystem     1024-blocks      Used Available Capacity Mounted on"]
    for fs in snap.filesystems:
        used, avail = int(fs.used_kib), fs.avail_kib
        capacity = math.ceil(100 * used / (used + avail)) if used + avail else 0
        lines.append(
            f"{fs.device:<14} {fs.blocks_kib:>11} {used:>9} {avail:>9} {capacity:>7}% "
            f"{fs.mountpoint}"
        )
    return "\n".join(lines) + "\n"


COMMANDS: dict[str, Callable[[LinuxSnapshot], str]] = {
    "cat /proc/stat": render_stat,
    "cat /proc/loadavg": render_loadavg,
    "cat /proc/meminfo": render_meminfo,
    "cat /proc/net/dev": render_net_dev,
    "cat /proc/uptime": render_uptime,
    "df -P -k": render_df,
}


class LinuxResponder:
    """Answers the Linux driver's commands from a `LinuxHost`."""

    def __init__(self, host: LinuxHost) -> None:
        self.host = host

    def respond(self, command: str) -> str | None:
        """The command's output, or None for a command this host does not know."""
        render = COMMANDS.get(command.strip())
        return None if render is None else render(self.host.snapshot())
