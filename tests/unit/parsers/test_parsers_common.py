"""Shared parser helpers: output normalisation, durations, numbers, states, sections."""

from __future__ import annotations

from pathlib import Path

import pytest
from ntc_templates.parse import parse_output
from parser_expect import raw_files, read

from services.collector.parsers import readings as rd
from services.collector.parsers.common import (
    ParseResult,
    asplain,
    finish,
    normalise_output,
    number,
    parse_blocks,
    parse_duration,
    percent,
    quantity,
    size_bytes,
    split_sections,
)
from services.collector.parsers.textfsm_util import parse_template
from shared.errors import ParseError

pytestmark = pytest.mark.unit

D, H, M = 86400, 3600, 60


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1d21h", 1 * D + 21 * H),  # IOS interface "Last input"
        ("3w0d", 21 * D),  # IOS BGP Up/Down
        ("1y10w", 365 * D + 70 * D),  # a year counts 365 days
        ("19w5d", 138 * D),
        ("9w2d 5:23:37", 65 * D + 5 * H + 23 * M + 37),  # Junos BGP Last Up/Dwn
        ("40week(s) 5day(s)", 285 * D),  # NX-OS "Last link flapped"
        ("123 day(s), 5 hour(s), 15 minute(s), 19 second(s)", 123 * D + 5 * H + 15 * M + 19),
        ("2 years, 31 weeks, 6 days, 9 hours, 55 minutes",
         730 * D + 217 * D + 6 * D + 9 * H + 55 * M),  # IOS show version
        ("1 minute", 60),  # singular
        ("1 hour and 5 minutes", H + 5 * M),  # Arista show version
        ("2 days, 15 hours and 56 minutes", 2 * D + 15 * H + 56 * M),
        ("up 41+06:26:24", 41 * D + 6 * H + 26 * M + 24),  # Junos top: days+hh:mm:ss
        ("787.8H", 787.8 * H),  # Junos top TIME column
        ("22w0d 19:16 ago", 154 * D + 19 * H + 16 * M),  # two-part clock is hours:minutes
        ("up 154 days, 19:16", 154 * D + 19 * H + 16 * M),
        ("208 days, 23 hours, 14 minutes, 9 seconds", 208 * D + 23 * H + 14 * M + 9),
        ("up 16:03", 16 * H + 3 * M),  # Linux uptime
        ("1087 days, 21:24:36", 1087 * D + 21 * H + 24 * M + 36),  # Arista PSU uptime
        ("02:49:40", 2 * H + 49 * M + 40),  # Arista BGP Up/Down
        ("28 weeks, 1 day, 8 hours, 1 minute ", 197 * D + 8 * H + 60),  # trailing blank
    ],
)
def test_parse_duration_gives_seconds_when_grammar_varies(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["never", "", "abc", "5 parsecs", "3 months"])
def test_parse_duration_raises_when_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_normalise_output_strips_terminal_noise_when_session_is_live() -> None:
    raw = (
        "\r\nedge1#show ip bgp summary\r\n"  # echo after a prompt, CRLF
        "\x1b[1mNeighbor\x1b[0m  V\r\n"  # ANSI bold
        "10.0.0.1  4\r\n"
        " --More-- \r          \r10.0.0.2  4\r\n"  # pager prompt erased by CR and blanks
        "Bx\x08GP done\r\n"  # backspace overstrike
        "edge1#"  # next prompt, no final newline
    )
    assert normalise_output(raw, "show ip bgp summary") == (
        "Neighbor  V\n10.0.0.1  4\n10.0.0.2  4\nBGP done\n"
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("user@mx1> show bgp summary\nPeer\n\n{master:0}\nuser@mx1> ", "Peer\n"),  # Junos
        ("show version\nUptime: 1 hour\n", "Uptime: 1 hour\n"),  # echo without a prompt
        ("a\n---(more 45%)---\nb\n", "a\nb\n"),  # Junos pager line
        (" --More-- Gi0/1 is up\n", "Gi0/1 is up\n"),  # IOS pager, no erase
        ("Banner # with hash\nrow\n", "Banner # with hash\nrow\n"),  # not a prompt: blanks
        ("row\nSW1(config)#\n\n", "row\n"),
        ("", ""),
    ],
)
def test_normalise_output_keeps_only_data_when_wrapped(raw: str, clean: str) -> None:
    assert normalise_output(raw) == clean


def test_normalise_output_keeps_first_line_when_it_is_not_the_command() -> None:
    assert normalise_output("show-like data\nx\n", "show version") == "show-like data\nx\n"


def test_parse_template_equals_ntc_parse_output_when_reading_every_capture(
    corpus: Path,
) -> None:
    # Our cached runner against the library's own entry point, on all 4 platforms' files.
    checked = 0
    for platform in ("cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos"):
        for raw in raw_files(platform):
            command = raw.parent.name.replace("_", " ")
            text = read(raw)
            expected = parse_output(platform=platform, command=command, data=text)
            assert parse_template(platform, command, text) == expected, raw.name
            checked += 1
    assert checked >= 60


def test_parse_template_raises_parse_error_when_device_rejects_command() -> None:
    text = "show ip bgp summary\n              ^\n% Invalid input detected at '^' marker.\n"
    with pytest.raises(ParseError, match="Invalid input"):
        parse_template("cisco_ios", "show ip bgp summary", text)


@pytest.mark.parametrize(
    ("token", "value"),
    [("42", 42.0), (" 36.0 ", 36.0), ("--", None), ("N/A", None), ("n/a", None),
     ("-", None), ("never", None), ("", None), (None, None), (7, 7.0)],
)
def test_number_gives_none_when_token_is_placeholder(token: str | None, value: float) -> None:
    assert number(token) == value


@pytest.mark.parametrize(
    ("token", "expected"),
    [("3977M", 3977 * 2**20), ("14G", 14 * 2**30), ("0B", 0), ("308K", 308 * 1024),
     ("3981336k", 3981336 * 1024), ("12", 12), ("4.6G", 4.6 * 2**30)],
)
def test_size_bytes_reads_binary_units_when_mixed(token: str, expected: float) -> None:
    assert size_bytes(token) == pytest.approx(expected)


def test_quantity_and_percent_read_glued_units_when_present() -> None:
    assert quantity("500W", "W") == 500
    assert quantity("101 W", "W") == 101
    assert quantity("22C", "C") == 22
    assert quantity("--", "W") is None
    assert percent("35%") == pytest.approx(0.35)
    assert percent("N/A") is None


@pytest.mark.parametrize(
    ("asn", "plain"),
    [("64496", 64496), ("65000.1000", 65000 * 65536 + 1000), ("662.47492", 662 * 65536 + 47492),
     ("4233316914", 4233316914)],
)
def test_asplain_converts_asdot_when_number_looks_like_float(asn: str, plain: int) -> None:
    assert asplain(asn) == plain


@pytest.mark.parametrize(
    ("state", "code"),
    [("Idle (Admin)", 0), ("Idle(Admin)", 0), ("Shut (Admin)", 0), ("Idle", 1), ("Connect", 2),
     ("Active", 3), ("OpenSent", 4), ("OpenConfirm", 5), ("Established", 6), ("Establ", 6),
     ("Estab", 6), ("Idle (PfxCt)", 1)],
)
def test_bgp_state_code_follows_bgp4_mib_when_spelled_per_vendor(state: str, code: int) -> None:
    assert rd.bgp_state_code(state) == code


def test_bgp_state_code_raises_when_state_unknown() -> None:
    with pytest.raises(ValueError):
        rd.bgp_state_code("Dancing")


@pytest.mark.parametrize(
    ("status", "state"),
    [("Ok", "ok"), ("good", "ok"), ("GREEN", "ok"), ("Powered-Up", "ok"),
     ("Not Present", "absent"), ("Not Inserted", "absent"), ("No Input Power", "failed"),
     ("err-disable", "failed"), ("Failed", "failed"), ("Check", "degraded"), ("???", "unknown")],
)
def test_hw_state_maps_vendor_words_when_reading_status(status: str, state: str) -> None:
    assert rd.hw_state(status) == state


def test_hw_status_sets_one_state_when_component_reports() -> None:
    readings = rd.hw_status("fan", "Fan1", "Failed")
    assert {r.attributes["state"]: r.value for r in readings} == {
        "ok": 0.0, "degraded": 0.0, "failed": 1.0, "absent": 0.0}


def test_parse_blocks_keeps_good_blocks_when_one_block_fails() -> None:
    def parse_one(block: str) -> list[rd.Reading]:
        return rd.uptime(float(block))

    result = parse_blocks([("a", "1"), ("b", "oops"), ("c", "3"), ("a", "9")], parse_one, "cmd")
    assert [r.value for r in result] == [1.0, 3.0]
    assert len(result.problems) == 2
    assert result.problems[0].startswith("cmd: b: ")
    assert result.problems[1] == "cmd: a: appears again; later block ignored"


def test_finish_raises_when_every_block_failed() -> None:
    with pytest.raises(ParseError, match="nothing could be parsed: x: bad"):
        finish(ParseResult(problems=["x: bad"]), "cmd")
    assert finish(ParseResult(), "cmd") == []


@pytest.mark.parametrize(
    ("name", "nodes"),
    [
        ("juniper_junos_show_version_ex.raw", ["fpc0", "fpc1"]),  # "fpc0:" over a rule
        ("juniper_junos_show_version_srx_cluster.raw", ["node0", "node1"]),
        ("juniper_junos_show_version.raw", ["fpc0"]),  # CRLF file
        ("juniper_junos_show_system_processes_brief-evo.raw", ["fpc0", "re0", "re1"]),  # EVO
        ("juniper_junos_show_system_uptime.raw", [None]),  # not wrapped
    ],
)
def test_split_sections_finds_nodes_when_output_is_wrapped(
    name: str, nodes: list[str | None], corpus: Path
) -> None:
    raw = next(r for r in raw_files("juniper_junos") if r.name == name)
    sections = split_sections(normalise_output(read(raw)))
    assert [node for node, _ in sections] == nodes  # read by hand from each file's headers
    assert all("-----" not in body.splitlines()[0] for _, body in sections if body.strip())
