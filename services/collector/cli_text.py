"""Pure helpers for reading an interactive device CLI: screen rendering, pager, prompt, echo.

A router's shell writes for a terminal, not for a program: colour codes, CR-LF line ends,
a pager prompt that it later erases with backspaces or a carriage return, the echo of
what we typed, and the next prompt. These functions turn that stream into the lines a
person would see, and answer the questions the session asks of it: is the device waiting
at a pager, which prompt did it learn, is the command finished. No I/O happens here.
"""

from __future__ import annotations

import re

# CSI sequences (colours, erase-line), and two-character escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# `--More--`, ` --More-- `, `---(more)---`, `---(more 45%)---`, `<--- More --->`.
_PAGER = re.compile(
    r"(?:-{2,3}\s*\(?\s*more(?:\s+\d+%)?\s*\)?\s*-{2,3}|<-+\s*more\s*-+>)", re.IGNORECASE
)
# What a prompt ends with: '#' or '>' (Cisco, Arista, Junos), '$' or '%' (shells).
_PROMPT_END = re.compile(r"[#>$%]\s*$")
PROMPT_REPEATS = 3  # the login prompt plus one per newline sent to learn it


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences (colour, cursor movement, erase-line)."""
    return _ANSI.sub("", text)


def render_line(raw: str) -> str:
    """What one terminal line shows after CR and backspace overwrite what came before."""
    cells: list[str] = []
    column = 0
    for char in strip_ansi(raw):
        if char == "\r":
            column = 0
        elif char == "\b":
            column = max(0, column - 1)
        elif char.isprintable() or char == "\t":
            if column < len(cells):
                cells[column] = char
            else:
                cells.extend(" " * (column - len(cells)))
                cells.append(char)
            column += 1
    return "".join(cells).rstrip()


def render(raw: str) -> list[str]:
    """The lines a terminal shows for `raw`; the last one is the unfinished line (maybe '')."""
    return [render_line(line) for line in raw.split("\n")]


def tail(raw: str, lines: int = 1) -> list[str]:
    """The last `lines` rendered lines of `raw`, without rendering all of it."""
    cut = len(raw)
    for _ in range(lines):
        cut = raw.rfind("\n", 0, cut)
        if cut < 0:
            break
    return render(raw[cut + 1:])


def at_pager(raw: str) -> bool:
    """Whether the device stopped at a pager prompt waiting for a key."""
    return bool(_PAGER.fullmatch(tail(raw)[-1].strip()))


def drop_pager_text(line: str) -> str:
    """A line without a pager prompt the device did not erase (`--More-- next line`)."""
    return _PAGER.sub("", line, count=1).lstrip() if _PAGER.match(line.lstrip()) else line


def learned_prompt(raw: str) -> str | None:
    """The prompt, once the same prompt-like line ends the output PROMPT_REPEATS times.

    A banner or MOTD may hold '#' and '>' anywhere, even in lines that look like prompts,
    but it does not end with the same line repeated once per newline we sent, unfinished.
    """
    last = tail(raw, PROMPT_REPEATS)
    if len(last) < PROMPT_REPEATS:
        return None
    candidate = last[-1].strip()
    if not candidate or not _PROMPT_END.search(candidate):
        return None
    return candidate if all(line.strip() == candidate for line in last) else None


def at_prompt(raw: str, prompt: str) -> bool:
    """Whether the output ends with the prompt, unfinished, after at least one line."""
    return "\n" in raw and tail(raw)[-1].strip() == prompt


def squash(text: str) -> str:
    """Whitespace-collapsed text, for comparing an echo with what we typed."""
    return " ".join(text.split())


def command_output(raw: str, command: str, prompt: str) -> str:
    """The output of `command` alone: no echo, no pager text, no trailing prompt, LF lines."""
    lines = [drop_pager_text(line) for line in render(raw)]
    if lines and lines[-1].strip() == prompt:
        lines.pop()
    if lines and squash(lines[0]).endswith(squash(command)):
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""
