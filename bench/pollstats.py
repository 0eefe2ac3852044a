"""What the benchmark reads off the bus: each MetricBatch's device, poll start and duration."""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from nats.aio.msg import Msg


@dataclass(slots=True)
class Poll:
    """One published poll: when it started (epoch s), how long it took, groups it missed."""

    start: float
    duration: float
    missing: int


@dataclass(slots=True)
class PollLog:
    """Every poll of every device seen on `nv.metrics.>`."""

    polls: dict[str, list[Poll]] = field(default_factory=lambda: defaultdict(list))

    async def on_msg(self, msg: Msg) -> None:
        """Record one MetricBatch."""
        body = json.loads(msg.data)
        duration = next(
            s["value"] for s in body["samples"] if s["metric"] == "netvigil.poll.duration"
        )
        end = datetime.fromisoformat(body["collected_at"]).timestamp()
        missing = len(body.get("missing_groups") or {})
        self.polls[body["device"]].append(Poll(end - duration, duration, missing))

    def count(self) -> int:
        """Polls seen so far."""
        return sum(len(p) for p in self.polls.values())


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one measured run."""

    polls: int
    polls_per_s: float
    missed: int
    never_polled: int
    p50_ms: float
    p99_ms: float
    first_poll_p50_ms: float
    commands_per_s: float


def summarise(
    log: PollLog, *, devices: list[str], interval: float, began: float, ended: float,
    commands_per_poll: int,
) -> Summary:
    """Figures for polls between `began` and `ended` (epoch s).

    A device's slots are its first poll plus every interval after it; a slot counts as
    due when it began at least a quarter interval (10 s at most) before the end, so a
    poll still running at the end is not called missed.
    """
    grace = min(interval / 4, 10.0)
    missed = never = 0
    steady: list[float] = []
    first: list[float] = []
    for name in devices:
        polls = sorted(log.polls.get(name, []), key=lambda p: p.start)
        if not polls:
            never += 1
            continue
        due = math.floor((ended - grace - polls[0].start) / interval) + 1
        missed += max(0, due - len(polls))
        first.append(polls[0].duration)
        steady.extend(p.duration for p in polls[1:])
    seen = [p for name in devices for p in log.polls.get(name, [])]
    window = max(1e-9, ended - began)
    commands = sum(commands_per_poll - p.missing for p in seen)
    return Summary(
        polls=len(seen), polls_per_s=len(seen) / window, missed=missed + never,
        never_polled=never, p50_ms=_pct(steady or first, 50), p99_ms=_pct(steady or first, 99),
        first_poll_p50_ms=_pct(first, 50), commands_per_s=commands / window,
    )


def steady_command_rate(
    log: PollLog, *, devices: list[str], ended: float, commands_per_poll: int
) -> tuple[float, float]:
    """Commands/s from the moment every device had its first poll (logins done) to `ended`,
    and that moment (epoch s); (nan, nan) when some device was never polled."""
    firsts = [min((p.start for p in log.polls.get(n, [])), default=math.inf) for n in devices]
    since = max(firsts, default=math.inf)
    if not math.isfinite(since) or since >= ended:
        return float("nan"), float("nan")
    polls = [p for n in devices for p in log.polls.get(n, []) if since <= p.start <= ended]
    return sum(commands_per_poll - p.missing for p in polls) / (ended - since), since


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000
