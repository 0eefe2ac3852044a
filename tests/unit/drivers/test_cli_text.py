"""CLI stream helpers against hand-written terminal output: pager, ANSI, banner, echo."""

from __future__ import annotations

import pytest

from services.collector.cli_text import (
    at_pager,
    at_prompt,
    command_output,
    learned_prompt,
    render_line,
    strip_ansi,
)

pytestmark = pytest.mark.unit

BANNER = (
    "################################################################\r\n"
    "# edge1> AUTHORISED ACCESS ONLY <edge1#                         #\r\n"
    "edge1#\r\n"  # a banner line that looks exactly like a prompt
    "################################################################\r\n"
    "\r\n"
)


@pytest.mark.parametrize(("raw", "shown"), [
    # IOS/EOS erase ' --More-- ' with backspaces, spaces, backspaces; text follows.
    (" --More-- " + "\b" * 10 + " " * 10 + "\b" * 10 + "Gi0/2 is up", "Gi0/2 is up"),
    # Junos returns the carriage over '---(more)---'.
    ("---(more)---\r" + " " * 12 + "\rge-0/0/1 up", "ge-0/0/1 up"),
    # CR-LF line end and trailing erase-line code.
    ("Gi0/1 is up\x1b[K\r", "Gi0/1 is up"),
    # Coloured prompt.
    ("\x1b[1;32medge1#\x1b[0m", "edge1#"),
])
def test_render_line_shows_what_a_terminal_shows_when_overwritten(raw: str, shown: str) -> None:
    assert render_line(raw) == shown


def test_strip_ansi_removes_colour_and_erase_codes_when_present() -> None:
    assert strip_ansi("\x1b[31mred\x1b[0m text\x1b[K") == "red text"


@pytest.mark.parametrize(("raw", "paging"), [
    ("line 23\r\n --More-- ", True),
    ("line 23\r\n---(more)---", True),
    ("line 23\r\n---(more 45%)---", True),
    ("line 23\r\n --More-- " + "\b" * 10 + " " * 10 + "\b" * 10, False),  # erased
    ("description --More-- is text\r\nedge1#", False),
])
def test_at_pager_detects_only_a_waiting_pager_prompt(raw: str, paging: bool) -> None:
    assert at_pager(raw) is paging


def test_learned_prompt_ignores_banner_lines_with_prompt_characters() -> None:
    assert learned_prompt(BANNER + "edge1#") is None  # seen once: could be the banner
    assert learned_prompt(BANNER + "edge1#\r\nedge1#") is None
    assert learned_prompt(BANNER + "edge1#\r\nedge1#\r\nedge1#") == "edge1#"


def test_learned_prompt_reads_junos_prompt_with_trailing_space_when_coloured() -> None:
    raw = BANNER + "\x1b[1;32mmon@mx1> \x1b[0m\r\n" * 2 + "\x1b[1;32mmon@mx1> \x1b[0m"
    assert learned_prompt(raw) == "mon@mx1>"


def test_learned_prompt_refuses_repeated_lines_that_are_not_prompts() -> None:
    assert learned_prompt("####\r\n####\r\n####\r\nbanner text") is None
    assert learned_prompt("text\r\ntext\r\ntext") is None


def test_at_prompt_needs_a_finished_line_before_the_prompt() -> None:
    assert not at_prompt("edge1#", "edge1#")
    assert at_prompt("show clock\r\n12:00\r\nedge1#", "edge1#")
    assert not at_prompt("show clock\r\nedge1#sh", "edge1#")


def test_command_output_strips_echo_pager_and_prompt_when_paged() -> None:
    raw = (
        "show interfaces\r\n"
        "Gi0/1 is up\x1b[K\r\n"
        " --More-- " + "\b" * 10 + " " * 10 + "\b" * 10 + "Gi0/2 is down\r\n"
        " --More-- Gi0/3 is up\r\n"  # a pager prompt the device did not erase
        "\x1b[1;32medge1#\x1b[0m"
    )
    assert command_output(raw, "show interfaces", "edge1#") == (
        "Gi0/1 is up\nGi0/2 is down\nGi0/3 is up\n")


def test_command_output_is_empty_when_command_prints_nothing() -> None:
    assert command_output("terminal length 0\r\nedge1#", "terminal length 0", "edge1#") == ""
