"""bench/collect.py in quick mode with a handful of devices prints every figure it promises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
FIGURES = [
    "raw_1conn_cmd_s", "raw_100conn_cmd_s", "raw_ratio_100_to_1", "saturation_ratio_to_raw100",
    *(f"{phase}.{name}" for phase in ("scale", "saturation") for name in (
        "polls", "polls_per_s", "missed", "p50_ms", "p99_ms", "parse_cpu_ms_per_poll",
        "rss_delta_kib_per_device", "commands_per_s",
    )),
]


def test_bench_collect_prints_every_figure_when_run_quick() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "collect.py"), "--quick", "--devices", "4"],
        cwd=REPO, capture_output=True, text=True, timeout=90, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = dict(re.findall(r"^(\S+): (\S+)$", result.stdout, flags=re.MULTILINE))
    assert [name for name in FIGURES if name not in figures] == []
    assert int(figures["scale.polls"]) > 0
    assert float(figures["raw_1conn_cmd_s"]) > 0
    assert int(figures["saturation.devices"]) <= 4
