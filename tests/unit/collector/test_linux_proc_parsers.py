"""Linux parsers against real captures: expected values come from the corpus .json files,
node_exporter's expected output, or numbers read off the raw text by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from services.collector.drivers.base import Reading
from services.collector.parsers.linux_proc import (
    CpuTimes,
    cpu_utilization,
    parse_df,
    parse_loadavg,
    parse_meminfo,
    parse_net_dev,
    parse_proc_stat,
    parse_uptime,
)
from shared.catalog import CATALOG
from shared.errors import ParseError

pytestmark = pytest.mark.unit

JC = Path("jc/tests/fixtures")
PROCFS = Path("prometheus-procfs/testdata/fixtures/proc")
NODE = Path("prometheus-node_exporter/collector/fixtures")


def read(corpus: Path, relative: Path) -> str:
    return (corpus / relative).read_text()


def expected(corpus: Path, relative: Path) -> object:
    return json.loads((corpus / relative).read_text())


def by_key(readings: list[Reading]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(r.metric, tuple(sorted(r.attributes.items()))): r.value for r in readings}


def node_value(corpus: Path, metric: str) -> float:
    for line in read(corpus, NODE / "e2e-output.txt").splitlines():
        if line.startswith(metric + " "):
            return float(line.split()[1])
    raise AssertionError(f"{metric} not in e2e-output.txt")


def test_parse_proc_stat_matches_jc_when_reading_cpu_line(corpus: Path) -> None:
    cpu = expected(corpus, JC / "linux-proc/stat.json")["cpu"]  # type: ignore[index]
    times = parse_proc_stat(read(corpus, JC / "linux-proc/stat"))
    for field in ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"):
        assert getattr(times, field) == cpu[field]


def test_parse_proc_stat_leaves_guest_out_when_line_has_ten_fields(corpus: Path) -> None:
    # node_exporter's line: 'cpu  301854 612 111922 8979004 3552 2 3944 0 44 36'
    times = parse_proc_stat(read(corpus, NODE / "proc/stat"))
    assert times.total == 301854 + 612 + 111922 + 8979004 + 3552 + 2 + 3944 + 0
    assert times.busy == 301854 + 612 + 111922 + 2 + 3944


def test_parse_proc_stat_reads_cpu_line_when_intr_line_is_huge(corpus: Path) -> None:
    # procfs' 132 kB file: 'cpu  301854 612 111922 8979004 3552 2 3944 0 0 0'
    times = parse_proc_stat(read(corpus, PROCFS / "stat"))
    assert (times.user, times.idle, times.softirq) == (301854, 8979004, 3944)


def test_parse_proc_stat_refuses_when_two_files_are_glued(corpus: Path) -> None:
    # jc's stat2 holds two hosts' files one after the other: which cpu line is current?
    with pytest.raises(ParseError, match="appears twice"):
        parse_proc_stat(read(corpus, JC / "linux-proc/stat2"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("intr 1 2 3\nctxt 5\n", "no 'cpu' summary line"),  # summary line missing
        ("cpu  1 2 3\n", "at least 4"),  # too few columns
        ("cpu  1 2 x 4\n", "'x' is not an integer"),  # garbage in a column
    ],
)
def test_parse_proc_stat_raises_when_malformed(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_proc_stat(text)


def test_cpu_utilization_is_busy_share_when_counters_grow() -> None:
    before = CpuTimes(user=100, nice=0, system=100, idle=700, iowait=100)
    after = CpuTimes(user=300, nice=0, system=200, idle=1300, iowait=200)
    # total grew 1000 jiffies, busy (user+system) grew 300
    assert cpu_utilization(before, after) == pytest.approx(0.3)


def test_cpu_utilization_is_none_when_host_rebooted() -> None:
    before = CpuTimes(user=5000, nice=0, system=100, idle=7000)
    after = CpuTimes(user=10, nice=0, system=5, idle=90)
    assert cpu_utilization(before, after) is None
    assert cpu_utilization(after, after) is None  # no time passed


@pytest.mark.parametrize(
    ("relative", "values"),
    [
        (JC / "linux-proc/loadavg", None),  # from loadavg.json
        (PROCFS / "loadavg", (0.02, 0.04, 0.05)),  # read off the raw line
        (NODE / "proc/loadavg", "node"),  # node_exporter's node_load1/5/15
    ],
)
def test_parse_loadavg_matches_expected_when_reading_corpus(
    corpus: Path, relative: Path, values: object
) -> None:
    if values is None:
        data = expected(corpus, JC / "linux-proc/loadavg.json")
        values = (data["load_1m"], data["load_5m"], data["load_15m"])  # type: ignore[index]
    elif values == "node":
        values = tuple(node_value(corpus, f"node_load{n}") for n in (1, 5, 15))
    got = by_key(parse_loadavg(read(corpus, relative)))
    names = ("1m", "5m", "15m")
    assert [got[(f"system.cpu.load_average.{n}", ())] for n in names] == list(values)  # type: ignore[arg-type]


def test_parse_loadavg_raises_when_fields_missing() -> None:
    with pytest.raises(ParseError, match="expected 5 fields"):
        parse_loadavg("0.1 0.2\n")


def test_parse_meminfo_uses_memavailable_when_present(corpus: Path) -> None:
    kib = expected(corpus, JC / "linux-proc/meminfo.json")
    got = by_key(parse_meminfo(read(corpus, JC / "linux-proc/meminfo")))
    total = kib["MemTotal"] * 1024  # type: ignore[index]
    used = (kib["MemTotal"] - kib["MemAvailable"]) * 1024  # type: ignore[index]
    assert got[("system.memory.limit", ())] == total
    assert got[("system.memory.usage", (("state", "used"),))] == used
    assert got[("system.memory.usage", (("state", "free"),))] == kib["MemFree"] * 1024  # type: ignore[index]
    assert got[("system.memory.usage", (("state", "cached"),))] == kib["Cached"] * 1024  # type: ignore[index]
    assert got[("system.memory.usage", (("state", "buffers"),))] == kib["Buffers"] * 1024  # type: ignore[index]
    assert got[("system.memory.utilization", ())] == pytest.approx(used / total)


def test_parse_meminfo_matches_node_exporter_bytes_when_kb_means_kib(corpus: Path) -> None:
    got = by_key(parse_meminfo(read(corpus, NODE / "proc/meminfo")))
    assert got[("system.memory.limit", ())] == node_value(corpus, "node_memory_MemTotal_bytes")
    free = node_value(corpus, "node_memory_MemFree_bytes")
    assert got[("system.memory.usage", (("state", "free"),))] == free


def test_parse_meminfo_falls_back_to_free_buffers_cached_when_no_memavailable(
    corpus: Path,
) -> None:
    # procfs' meminfo has no MemAvailable line; values read off the raw text (kB).
    got = by_key(parse_meminfo(read(corpus, PROCFS / "meminfo")))
    used_kib = 15666184 - (440324 + 1020128 + 12007640)
    assert got[("system.memory.usage", (("state", "used"),))] == used_kib * 1024


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("MemFree: 10 kB\n", "no MemTotal"),  # required line missing
        ("MemTotal: 10 MB\nMemFree: 1 kB\n", "unknown unit 'MB'"),  # not kB
        ("MemTotal 10 kB\n", "line 1: expected 'Key: value"),  # no colon
    ],
)
def test_parse_meminfo_raises_when_malformed(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_meminfo(text)


def test_parse_net_dev_matches_jc_when_reading_corpus(corpus: Path) -> None:
    rows = expected(corpus, JC / "linux-proc/net_dev.json")
    got = by_key(parse_net_dev(read(corpus, JC / "linux-proc/net_dev")))
    columns = {"io": "bytes", "packets": "packets", "errors": "errs", "dropped": "drop"}
    for row in rows:  # type: ignore[attr-defined]
        for direction, prefix in (("receive", "r_"), ("transmit", "t_")):
            attrs = (("direction", direction), ("interface", row["interface"]))
            for suffix, column in columns.items():
                assert got[(f"system.network.{suffix}", attrs)] == row[prefix + column]
    assert len(got) == len(rows) * 2 * 4  # type: ignore[arg-type]


def test_parse_net_dev_reads_names_glued_to_colon_when_name_is_long(corpus: Path) -> None:
    readings = parse_net_dev(read(corpus, PROCFS / "net/dev"))
    got = by_key(readings)
    veth = (("direction", "receive"), ("interface", "vethf345468"))
    assert got[("system.network.io", veth)] == 648
    assert got[("system.network.packets", veth)] == 8
    eth0_tx = (("direction", "transmit"), ("interface", "eth0"))
    assert got[("system.network.io", eth0_tx)] == 563352563
    assert {r.counter_bits for r in readings} == {64}


NET_DEV_HEADER = (
    "Inter-|   Receive |  Transmit\n face |bytes packets errs drop|bytes packets errs drop\n"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("lo: 1 2 3\n", "two-line '|' header"),  # header missing
        (
            NET_DEV_HEADER + "  lo: 1 2 3\n",
            "line 3: expected 8 counters, got 3",
        ),  # truncated row
        (
            NET_DEV_HEADER + "  lo 1 2 3 4 5 6 7 8\n",
            "no 'name:' prefix",
        ),  # no colon after the name
    ],
)
def test_parse_net_dev_raises_when_malformed(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_net_dev(text)


def test_parse_uptime_matches_jc_when_reading_corpus(corpus: Path) -> None:
    up = expected(corpus, JC / "linux-proc/uptime.json")["up_time"]  # type: ignore[index]
    assert parse_uptime(read(corpus, JC / "linux-proc/uptime")) == [Reading("system.uptime", up)]


def test_parse_uptime_raises_when_not_numbers() -> None:
    with pytest.raises(ParseError, match="'up' is not a number"):
        parse_uptime("up 3")


@pytest.mark.parametrize(
    ("out", "json_file", "size_key", "percent_key"),
    [
        ("ubuntu-18.04/df.out", "ubuntu-18.04/df.json", "1k_blocks", "use_percent"),
        (
            "generic/df-long-filesystem.out",
            "generic/df-long-filesystem.json",
            "1024_blocks",
            "capacity_percent",
        ),  # a long name shifts the columns; Type column; '-' capacity
    ],
)
def test_parse_df_matches_jc_when_reading_corpus(
    corpus: Path, out: str, json_file: str, size_key: str, percent_key: str
) -> None:
    rows = expected(corpus, JC / json_file)
    got = by_key(parse_df(read(corpus, JC / out)))
    for row in rows:  # type: ignore[attr-defined]
        attrs = {"mountpoint": row["mounted_on"], "system.device": row["filesystem"]}
        used_key = tuple(sorted({**attrs, "state": "used"}.items()))
        used = got.get(("system.filesystem.usage", used_key))
        if row[size_key] == 0:
            assert used is None  # pseudo filesystems are skipped
            continue
        free = got[("system.filesystem.usage", tuple(sorted({**attrs, "state": "free"}.items())))]
        assert (used, free) == (row["used"] * 1024, row["available"] * 1024)
        utilization = got[("system.filesystem.utilization", tuple(sorted(attrs.items())))]
        # df rounds its percentage up
        assert math.ceil(utilization * 100) == row[percent_key]


def test_parse_df_keeps_spaces_when_mountpoint_has_them() -> None:
    text = (
        "Filesystem     1024-blocks    Used Available Capacity Mounted on\n"
        "/dev/sdb1          1000       250       750      25% /media/usb stick\n"
    )
    got = by_key(parse_df(text))
    attrs = (("mountpoint", "/media/usb stick"), ("system.device", "/dev/sdb1"))
    assert got[("system.filesystem.utilization", attrs)] == 0.25


def test_parse_df_joins_rows_when_long_name_wraps() -> None:
    text = (
        "Filesystem     1K-blocks    Used Available Use% Mounted on\n"
        "/dev/mapper/very-long-volume-group-name\n"
        "                   2000     500      1500  25% /srv\n"
    )
    got = by_key(parse_df(text))
    attrs = (("mountpoint", "/srv"), ("system.device", "/dev/mapper/very-long-volume-group-name"))
    assert got[("system.filesystem.utilization", attrs)] == 0.25


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "missing the 'Filesystem"),  # empty output
        ("Filesystem 512-blocks Used Available Capacity Mounted on\n", "512-blocks"),  # no -k
        (
            "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 10 x 5 50% /\n",
            "line 2: not a filesystem row",
        ),  # garbage number
    ],
)
def test_parse_df_raises_when_malformed(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_df(text)


def test_linux_parsers_use_catalog_names_when_producing_readings(corpus: Path) -> None:
    readings = (
        parse_loadavg(read(corpus, JC / "linux-proc/loadavg"))
        + parse_meminfo(read(corpus, JC / "linux-proc/meminfo"))
        + parse_net_dev(read(corpus, JC / "linux-proc/net_dev"))
        + parse_uptime(read(corpus, JC / "linux-proc/uptime"))
        + parse_df(read(corpus, JC / "ubuntu-18.04/df.out"))
    )
    for reading in readings:
        spec = CATALOG[reading.metric]
        assert set(spec.attributes) == set(reading.attributes)
