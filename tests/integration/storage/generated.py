"""A seeded, generated fleet for storage tests, kept beside its samples as plain tuples.

Tests compute expected values from `Fleet.samples` with numpy or statistics, never with
the code under test.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.events import MetricBatch, MetricSample

T0 = datetime(2026, 3, 1, tzinfo=UTC)
T0_MS = 1_772_323_200_000  # 2026-03-01T00:00:00Z
IO = "system.network.io"
CPU = "system.cpu.utilization"
DEVICES = ("r1", "r2", "sw1")
INTERFACES = ("eth0", "eth1", "Gi0/1", "Gi0/2")


@dataclass(frozen=True)
class Row:
    """One generated sample."""

    device: str
    metric: str
    interface: str | None
    ts_ms: int
    value: float

    @property
    def attributes(self) -> dict[str, str]:
        return {"interface": self.interface} if self.interface else {}


@dataclass
class Fleet:
    """Every device polled every `step_s` for `duration_s`: cpu and receive rate per interface."""

    step_s: int = 10
    duration_s: int = 7200
    seed: int = 7
    batches: list[MetricBatch] = field(default_factory=list)
    samples: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        for offset in range(0, self.duration_s, self.step_s):
            for device in DEVICES:
                rows = [Row(device, CPU, None, T0_MS + offset * 1000, round(rng.random(), 4))]
                rows += [
                    # Busier interfaces have a larger scale: top-k has a clear answer.
                    Row(
                        device,
                        IO,
                        name,
                        T0_MS + offset * 1000,
                        round(rng.uniform(0, 1000) * (i + 1) * (DEVICES.index(device) + 1), 3),
                    )
                    for i, name in enumerate(INTERFACES)
                ]
                self.samples += rows
                self.batches.append(batch(device, T0 + timedelta(seconds=offset), rows))

    def select(self, **where: object) -> Iterator[Row]:
        """Samples whose fields equal every given value."""
        return (r for r in self.samples if all(getattr(r, k) == v for k, v in where.items()))


def batch(device: str, at: datetime, rows: list[Row]) -> MetricBatch:
    """The bus message one poll of `device` at `at` produces."""
    return MetricBatch(
        device=device,
        collected_at=at,
        samples=[
            MetricSample(metric=r.metric, value=r.value, attributes=r.attributes) for r in rows
        ],
    )
