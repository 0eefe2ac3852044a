"""Helpers every platform parser shares: cleaning raw output, numbers, durations, results.

Real SSH output carries terminal noise that the corpus captures do not (TRICKY_FEATURES #7):
CR and CRLF, ANSI colour codes, backspace overstrikes, pager prompts, the echoed command
and the next prompt. `normalise_output` removes all of it before any parser looks at the
text, so parsers only ever see what a clean capture would hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from services.collector.drivers.base import Reading
from shared.errors import ParseError

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_OVERSTRIKE = re.compile(r"[^\x08\n]\x08")
_PAGER = re.compile(
    r"\s*(?:-{2,3}\s*\(?more(?:\s+\d+%)?\)?\s*-{2,3}|<-+\s*more\s*-+>)\s*", re.IGNORECASE
)
# A prompt line: a host name-like word ending in # or > and nothing after it
# ("edge1-rt#", "user@mx1>", "switch(config)#", "RP/0/RSP0/CPU0:xr#").
_PROMPT = re.compile(r"^[\w.\-@:/()\[\]~]+[#>]\s*$")
_PROMPT_PREFIX = re.compile(r"^[\w.\-@:/()\[\]~]+[#>]\s*")
_ECHO = re.compile(r"^(?:[\w.\-@:/()\[\]~]+[#>%$]\s*)?(show|display|bash)\b", re.IGNORECASE)
# Junos prints the RE role in braces before its prompt: "{master:0}", "{backup:node1}".
_JUNOS_ROLE = re.compile(r"^\{\w+(?::[\w\-]+)*\}\s*$")
_ERROR_LINE = re.compile(
    r"^\s*(% ?Invalid input|% ?Incomplete command|% ?Ambiguous command|"
    r"syntax error|error: |% ?Unrecognized command|Invalid command)",
    re.IGNORECASE,
)


def normalise_output(text: str, command: str | None = None) -> str:
    """Return `text` as a clean capture would hold it: LF lines, no terminal noise."""
    text = _ANSI.sub("", text)
    while _OVERSTRIKE.search(text):
        text = _OVERSTRIKE.sub("", text)
    text = text.replace("\r\n", "\n")
    # A lone CR returns the carriage: what follows overwrites the line (pager erasure).
    lines = [line.split("\r")[-1] for line in text.split("\n")]
    lines = [kept for line in lines if (kept := _drop_pager(line)) is not None]
    lines = [line for line in lines if not _JUNOS_ROLE.match(line)]
    lines = _drop_echo(lines, command)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _PROMPT.match(lines[-1].strip()):
        lines.pop()
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _drop_pager(line: str) -> str | None:
    """Remove a pager prompt; None when the line held nothing else."""
    match = _PAGER.search(line)
    if not match:
        return line
    cleaned = _PAGER.sub(" ", line) if match.start() else _PAGER.sub("", line, count=1)
    return cleaned if cleaned.strip() else None


def _drop_echo(lines: list[str], command: str | None) -> list[str]:
    """Drop blank leading lines and the echoed command line if there is one."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and _is_echo(lines[start].strip(), command):
        start += 1
    return lines[start:]


def _is_echo(first: str, command: str | None) -> bool:
    """True when `first` is the command we sent, alone or after a prompt."""
    if command is None:
        return bool(_ECHO.match(first))
    wanted = squash(command)
    return squash(first) == wanted or squash(_PROMPT_PREFIX.sub("", first, count=1)) == wanted


def check_not_error(text: str, what: str) -> None:
    """Raise ParseError when the device answered with an error message instead of data."""
    for line in text.splitlines()[:3]:
        if _ERROR_LINE.match(line):
            raise ParseError(f"{what}: device answered with an error: {line.strip()!r}")


def clean_output(text: str, command: str) -> str:
    """`command`'s output normalised; ParseError when the device answered with an error."""
    cleaned = normalise_output(text, command)
    check_not_error(cleaned, command)
    return cleaned


# ---------------------------------------------------------------- results


class ParseResult(list[Reading]):
    """Readings from one command's output, plus the blocks that could not be read.

    It is a plain list of readings to anyone who only wants readings; the poller reads
    `problems` to publish a collection error for each skipped block.
    """

    def __init__(self, readings: Iterable[Reading] = (), problems: Iterable[str] = ()) -> None:
        super().__init__(readings)
        self.problems: list[str] = list(problems)


_T = TypeVar("_T")
BLOCK_ERRORS = (ValueError, KeyError, IndexError, TypeError, ParseError)


def parse_blocks(
    blocks: Iterable[tuple[str, _T]], parse_one: Callable[[_T], list[Reading]], what: str
) -> ParseResult:
    """Parse each (label, block) alone; a broken block becomes a problem, not a lost poll.

    A label seen before (one interface printed twice) keeps its first block: two values
    for one series would make every later rate meaningless.
    """
    result = ParseResult()
    seen: set[str] = set()
    for label, block in blocks:
        if label in seen:
            result.problems.append(f"{what}: {label}: appears again; later block ignored")
            continue
        seen.add(label)
        try:
            result.extend(parse_one(block))
        except BLOCK_ERRORS as exc:
            result.problems.append(f"{what}: {label}: {exc}")
    return finish(result, what)


def finish(result: ParseResult, what: str) -> ParseResult:
    """Return `result`, or raise ParseError when every block failed and nothing was read."""
    if not result and result.problems:
        raise ParseError(f"{what}: nothing could be parsed: " + "; ".join(result.problems))
    return result


# ---------------------------------------------------------------- numbers

PLACEHOLDERS = frozenset({"", "-", "--", "---", "n/a", "na", "none", "never", "unknown"})
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def number(token: str | float | int | None) -> float | None:
    """Read a plain number; placeholders such as '--' or 'N/A' give None."""
    if token is None:
        return None
    if isinstance(token, int | float):
        return float(token)
    cleaned = token.strip()
    if cleaned.lower() in PLACEHOLDERS:
        return None
    return float(cleaned)


def required(token: str | float | int | None, name: str) -> float:
    """Read a number that must be present; ValueError names the field otherwise."""
    value = number(token)
    if value is None:
        raise ValueError(f"{name} is missing ({token!r})")
    return value


def quantity(token: str, unit: str) -> float | None:
    """Read a number glued to its unit, '500W' or '101 W' or '22C'; placeholders give None."""
    cleaned = token.strip()
    if cleaned.lower() in PLACEHOLDERS:
        return None
    if cleaned.lower().endswith(unit.lower()):
        cleaned = cleaned[: -len(unit)].strip()
    return float(cleaned)


def size_bytes(token: str, default_unit: str = "") -> float:
    """Read a binary size such as '3977M', '14G', '0B', '308K' or '3981336k' as bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTB]?)(?:i?B)?\s*", token, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {token!r}")
    unit = (match.group(2) or default_unit).lower()
    return float(match.group(1)) * _SIZE_UNITS[unit]


def percent(token: str) -> float | None:
    """Read '35%' or '35' as the fraction 0.35; placeholders give None."""
    cleaned = token.strip().rstrip("%").strip()
    value = number(cleaned)
    return None if value is None else value / 100.0


def asplain(asn: str) -> int:
    """Turn an AS number in asplain ('64496') or asdot ('65000.1000') into asplain."""
    high, dot, low = asn.strip().partition(".")
    if not dot:
        return int(high)
    if not (0 <= int(high) <= 0xFFFF and 0 <= int(low) <= 0xFFFF):
        raise ValueError(f"not an asdot AS number: {asn!r}")
    return int(high) * 65536 + int(low)


def squash(text: str) -> str:
    """Collapse runs of whitespace: 'Front-Left  (D2)' becomes 'Front-Left (D2)'."""
    return " ".join(text.split())


# ---------------------------------------------------------------- JSON


def load_json(text: str, what: str) -> Any:
    """Parse `| json` / `| display json` output, ignoring an echo or prompt around it."""
    cleaned = normalise_output(text)
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end < start:
        check_not_error(cleaned, what)
        raise ParseError(f"{what}: no JSON object in the output")
    try:
        return json.loads(cleaned[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: invalid JSON: {exc}") from exc


def rows(table: Any, key: str) -> list[dict[str, Any]]:
    """NX-OS JSON rows: `ROW_x` is a dict when there is one row and a list when more."""
    if not isinstance(table, dict):
        return []
    value = table.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------- durations

_UNIT_SECONDS = {
    "y": 365 * 86400, "year": 365 * 86400,
    "w": 7 * 86400, "week": 7 * 86400,
    "d": 86400, "day": 86400,
    "h": 3600, "hr": 3600, "hour": 3600,
    "m": 60, "min": 60, "minute": 60,
    "s": 1, "sec": 1, "second": 1,
}
_DAYS_CLOCK = re.compile(r"(\d+)\+(\d+):(\d\d)(?::(\d\d))?")
_CLOCK = re.compile(r"(?<![\d.])(\d+):(\d\d)(?::(\d\d))?(?![\d:])")
_UNIT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(years?|y|weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|"
    r"seconds?|secs?|s)(?:\(s\))?(?![a-z])",
    re.IGNORECASE,
)
_FILLER = re.compile(r"[\s,()]|\band\b|\bup\b|\bago\b", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds in an uptime or age, in any grammar the four platforms print.

    Handles '1d21h', '3w0d', '1y10w', '9w2d 5:23:37', '40week(s) 5day(s)',
    '2 years, 31 weeks, 6 days, 9 hours, 55 minutes', '1 hour and 5 minutes',
    'up 41+06:26:24', '787.8H', 'up 154 days, 19:16', '22w0d 19:16 ago', '02:49:40'.
    A two-part clock is hours:minutes, as uptime prints it; a year counts 365 days.
    ValueError when anything but units, clocks and filler words is left over.
    """
    total, rest, found = 0.0, text, False
    for pattern, to_seconds in ((_DAYS_CLOCK, _days_clock), (_CLOCK, _clock), (_UNIT, _unit)):
        for match in pattern.finditer(rest):
            total += to_seconds(match)
            found = True
        rest = pattern.sub(" ", rest)
    if not found or _FILLER.sub("", rest):
        raise ValueError(f"not a duration: {text!r}")
    return total


def _days_clock(match: re.Match[str]) -> float:
    days, hours, minutes, seconds = match.groups()
    return int(days) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


def _clock(match: re.Match[str]) -> float:
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


def _unit(match: re.Match[str]) -> float:
    amount, unit = match.groups()
    unit = unit.lower().rstrip("s") or "s"
    return float(amount) * _UNIT_SECONDS[unit]


# ---------------------------------------------------------------- Junos wrappers

_SECTION = re.compile(
    r"^(?:-{10,}[ \t]*\n)?(?:node:[ \t]*(\S+)|([A-Za-z][\w\-]*\d+):)[ \t]*\n-{10,}[ \t]*$",
    re.MULTILINE,
)


def split_sections(text: str) -> list[tuple[str | None, str]]:
    """Split Junos multi-RE / multi-node output into (node, text) pairs.

    Junos repeats a command's output per routing engine, cluster node or FPC under a
    header such as "node0:", "fpc1:" or "re0:" over a dashed rule, or (Junos EVO)
    "node: re0" between two rules. Output without such headers is one section, node None.
    """
    matches = list(_SECTION.finditer(text))
    if not matches:
        return [(None, text)]
    sections: list[tuple[str | None, str]] = []
    if text[: matches[0].start()].strip():
        sections.append((None, text[: matches[0].start()]))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        sections.append((match.group(1) or match.group(2), text[match.end() : end]))
    return sections


SectionParser = Callable[[str, str | None], list[Reading]]


def per_section(command: str, text: str, parse_one: SectionParser) -> ParseResult:
    """Run `parse_one(section_text, node)` on each node's part; node is None when unwrapped."""
    cleaned = clean_output(text, command)
    labelled = [
        (node or "device", (body, node))
        for node, body in split_sections(cleaned)
    ]
    return parse_blocks(labelled, lambda pair: parse_one(*pair), command)
