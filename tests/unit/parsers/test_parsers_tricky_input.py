"""Real captures made hard the way live sessions are (TRICKY_FEATURES.md), and broken ones.

The corpus is clean: contributors strip pagers, ANSI codes and prompts (TRICKY #7). These
tests wrap real captures in that noise and require the same readings as the clean file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from parser_expect import key, read, values

from services.collector.drivers.base import Reading
from services.collector.parsers import arista_eos, cisco_ios, cisco_nxos, juniper_junos
from services.collector.parsers.common import ParseResult
from shared.errors import ParseError

pytestmark = pytest.mark.unit

NOISY_CASES = [
    ("cisco_ios/show_interfaces/cisco_ios_show_interfaces4.raw", "show interfaces",
     cisco_ios.parse_show_interfaces, "sw1#"),
    ("cisco_ios/show_ip_bgp_summary/cisco_ios_show_ip_bgp_summary.raw", "show ip bgp summary",
     cisco_ios.parse_show_ip_bgp_summary, "rtr-1#"),
    ("cisco_nxos/show_interface/cisco_nxos_show_interface3.raw", "show interface",
     cisco_nxos.parse_show_interface, "n9k(config)#"),
    ("arista_eos/show_environment_cooling/arista_eos_show_environment_cooling.raw",
     "show environment cooling", arista_eos.parse_show_environment_cooling, "leaf1>"),
    ("juniper_junos/show_bgp_summary/show_bgp_summary.raw", "show bgp summary",
     juniper_junos.parse_show_bgp_summary, "admin@mx1>"),
]


def live_session(clean: str, command: str, prompt: str) -> str:
    """The capture as an SSH channel delivers it: echo, CRLF, colour, a pager, a prompt."""
    lines = clean.splitlines()
    middle = len(lines) // 2
    lines[1] = f"\x1b[32m{lines[1]}\x1b[0m"
    lines.insert(middle, " --More-- \r          \r" + lines.pop(middle))
    body = "\r\n".join(lines)
    return f"{prompt}{command}\r\n{body}\r\n\r\n{prompt} "


@pytest.mark.parametrize(("path", "command", "parser", "prompt"), NOISY_CASES,
                         ids=[case[0].split("/")[-1] for case in NOISY_CASES])
def test_parser_reads_same_values_when_capture_arrives_through_live_session(
    path: str, command: str, parser: object, prompt: str, corpus: Path
) -> None:
    clean = read(corpus / "ntc-templates" / path)
    assert callable(parser)
    expected = parser(clean)
    assert expected  # the clean capture gives readings to compare with
    assert parser(live_session(clean, command, prompt)) == expected


def test_nxos_show_version_reads_crlf_capture_when_file_uses_crlf(corpus: Path) -> None:
    raw = corpus / "ntc-templates/cisco_nxos/show_version/cisco_nxos_show_version5.raw"
    text = read(raw)
    assert "\r\n" in text  # TRICKY #1
    assert cisco_nxos.parse_show_version(text) == cisco_nxos.parse_show_version(
        text.replace("\r\n", "\n"))


def test_nxos_show_processes_cpu_reads_last_line_when_no_final_newline(corpus: Path) -> None:
    raw = corpus / "ntc-templates/cisco_nxos/show_processes_cpu/cisco_nxos_show_processes_cpu.raw"
    text = read(raw)
    assert not text.endswith("\n")  # TRICKY #2
    assert cisco_nxos.parse_show_processes_cpu(text) == cisco_nxos.parse_show_processes_cpu(
        text + "\n")


def test_ios_bgp_summary_ignores_prompt_when_capture_ends_with_one(corpus: Path) -> None:
    raw = (corpus / "ntc-templates/cisco_ios/show_ip_bgp_summary"
           / "cisco_ios_show_ip_bgp_summary_with_dot_peer_as.raw")
    text = read(raw)
    assert text.rstrip().endswith("edge1-rt#")  # TRICKY #4
    peers = {r.attributes["peer"] for r in cisco_ios.parse_show_ip_bgp_summary(text)}
    assert peers == {"100.127.255.1", "100.127.255.7", "100.127.255.9", "192.88.99.1"}


def test_ios_interfaces_report_broken_block_when_header_is_mangled(corpus: Path) -> None:
    raw = corpus / "ntc-templates/cisco_ios/show_interfaces/cisco_ios_show_interfaces4.raw"
    clean = read(raw)
    good = cisco_ios.parse_show_interfaces(clean)
    first_line = clean.splitlines()[0]  # "FastEthernet1 is up, line protocol is ..."
    name = first_line.split()[0]
    broken = clean.replace(first_line, f"{name} is up, line protcol is up", 1)
    result = cisco_ios.parse_show_interfaces(broken)
    assert isinstance(result, ParseResult)
    assert len(result.problems) == 1 and name in result.problems[0]
    assert "line protocol" in result.problems[0]  # says what it expected
    assert result == [r for r in good if r.attributes.get("interface") != name]


def test_ios_interfaces_raise_when_every_block_is_broken() -> None:
    text = "Gi0/1 is up, line protcol is up\n  5 packets input, 9 bytes\n"
    with pytest.raises(ParseError, match="nothing could be parsed.*Gi0/1"):
        cisco_ios.parse_show_interfaces(text)


@pytest.mark.parametrize(
    "parser",
    [cisco_ios.parse_show_interfaces, cisco_nxos.parse_show_interface,
     arista_eos.parse_show_interfaces, juniper_junos.parse_show_interfaces,
     cisco_ios.parse_show_processes_cpu, juniper_junos.parse_show_system_uptime],
)
def test_parser_raises_parse_error_when_device_answers_with_error(parser: object) -> None:
    assert callable(parser)
    with pytest.raises(ParseError):
        parser("% Invalid input detected at '^' marker.\n")


def test_eos_power_gives_no_reading_when_no_supply_is_connected(corpus: Path) -> None:
    raw = (corpus / "ntc-templates/arista_eos/show_environment_power"
           / "arista_eos_show_environment_power4.raw")
    assert "no power supplies" in read(raw)  # TRICKY #6: a sentence instead of a table
    assert arista_eos.parse_show_environment_power(read(raw)) == []


def test_eos_cooling_leaves_speed_out_when_slot_says_na(corpus: Path) -> None:
    raw = (corpus / "ntc-templates/arista_eos/show_environment_cooling"
           / "arista_eos_show_environment_cooling.raw")
    readings = arista_eos.parse_show_environment_cooling(read(raw))
    ratios = values(readings, "hw.fan.speed_ratio")
    # "PowerSupply5     Not Inserted                 N/A              N/A" (TRICKY #12)
    assert key(sensor="PowerSupply5") not in ratios
    assert ratios[key(sensor="PowerSupply4/1")] == pytest.approx(0.69)


def test_junos_uptime_names_nodes_when_output_is_wrapped_per_engine(corpus: Path) -> None:
    folder = corpus / "ntc-templates/juniper_junos/show_system_uptime"
    first = read(folder / "juniper_junos_show_system_uptime.raw")
    second = read(folder / "juniper_junos_show_system_uptime_2.raw")
    rule = "-" * 74
    wrapped = f"re0:\n{rule}\n{first}\n\nre1:\n{rule}\n{second}\n\n{{master}}\n"
    readings = juniper_junos.parse_show_system_uptime(wrapped)
    # Hand-computed: 2021-08-31 08:48:11 - 2021-03-29 13:32:05 = 154 d 19:16:06, and
    # 2021-08-31 12:29:34 - 2021-02-26 18:30:12 = 185 d 17:59:22.
    assert values(readings, "system.uptime") == {
        key(node="re0"): 154 * 86400 + 19 * 3600 + 16 * 60 + 6,
        key(node="re1"): 185 * 86400 + 17 * 3600 + 59 * 60 + 22,
    }


def test_junos_uptime_reports_broken_node_when_other_node_is_fine(corpus: Path) -> None:
    folder = corpus / "ntc-templates/juniper_junos/show_system_uptime"
    good = read(folder / "juniper_junos_show_system_uptime.raw")
    rule = "-" * 74
    wrapped = f"node0:\n{rule}\n{good}\nnode1:\n{rule}\nerror: node1 did not answer\n"
    result = juniper_junos.parse_show_system_uptime(wrapped)
    assert isinstance(result, ParseResult)
    assert [r.attributes for r in result] == [{"node": "node0"}]
    assert len(result.problems) == 1 and "node1" in result.problems[0]


def test_junos_top_header_reads_mixed_units_when_line_mixes_m_and_g(corpus: Path) -> None:
    # "Mem: 3977M Active, 14G Inact, 1815M Wired, 504M Buf, 74G Free" (TRICKY #17)
    raw = (corpus / "ntc-templates/juniper_junos/show_system_processes_summary"
           / "juniper_junos_show_system_processes_summary.raw")
    usage = values(juniper_junos.parse_show_system_processes_summary(read(raw)),
                   "system.memory.usage")
    assert usage[key(state="free")] == 74 * 2**30
    assert usage[key(state="used")] == (3977 + 1815) * 2**20


def readings_of(parser: object, text: str) -> list[Reading]:
    assert callable(parser)
    result = parser(text)
    assert isinstance(result, list)
    return result


def test_nxos_environment_keeps_other_rows_when_template_rejects_placeholders() -> None:
    # The ntc template's Error rule rejects a row with "--" or "N/A" (TRICKY #12); the
    # row is skipped and reported, and the rows around it are still read.
    text = (
        "Temperature:\n"
        "--------------------------------------------------------------------\n"
        "Module   Sensor        MajorThresh   MinorThres   CurTemp     Status\n"
        "                       (Celsius)     (Celsius)    (Celsius)\n"
        "--------------------------------------------------------------------\n"
        "1        FRONT           70              42          24         Ok\n"
        "1        BACK            --              --          26         Ok\n"
        "1        SIDE            80              70          N/A        Fail\n"
        "2        FRONT           71              43          25         Ok\n"
    )
    result = readings_of(cisco_nxos.parse_show_environment, text)
    assert values(result, "hw.temperature") == {
        key(sensor="Module 1 FRONT"): 24, key(sensor="Module 2 FRONT"): 25}
    assert isinstance(result, ParseResult)
    assert [p.split("'")[1].split()[1] for p in result.problems] == ["BACK", "SIDE"]


def test_eos_temperature_names_sensor_by_number_when_system_has_no_cards() -> None:
    text = (
        "System temperature status is: Ok\n\n"
        "                                                                 Alert  Critical\n"
        "                                               Temp    Setpoint  Limit     Limit\n"
        "Sensor  Description                             (C)         (C)    (C)       (C)\n"
        "------- ----------------------------------- ------- ----------- ------ ---------\n"
        "1       Cpu temp sensor                        41.0   (80) 78.8     90       100\n"
    )
    readings = readings_of(arista_eos.parse_show_environment_temperature, text)
    assert values(readings, "hw.temperature") == {key(sensor="1 Cpu temp sensor"): 41.0}
    assert values(readings, "hw.temperature.limit") == {
        key(sensor="1 Cpu temp sensor", limit_type="high.degraded"): 90,
        key(sensor="1 Cpu temp sensor", limit_type="high.critical"): 100,
    }
