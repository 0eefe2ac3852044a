"""Run an ntc-templates TextFSM template on command output, fast enough to poll a fleet.

`ntc_templates.parse.parse_output` reloads the template index (about 1,300 rows) on
every call, which costs milliseconds per command. We look the template up in the same
index once per (platform, command), keep its text, and run a fresh TextFSM state machine
on each output, which gives exactly what `parse_output` gives (a corpus test checks that).
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Callable

import textfsm  # type: ignore[import-untyped]
from ntc_templates.parse import _get_template_dir  # type: ignore[import-untyped]
from textfsm import clitable

from services.collector.drivers.base import Reading
from services.collector.parsers.common import ParseResult, check_not_error, normalise_output
from shared.errors import ParseError

Record = dict[str, str]


@functools.cache
def _index() -> tuple[str, clitable.CliTable]:
    """The ntc-templates directory and its parsed index, loaded once per process."""
    template_dir = _get_template_dir()
    return template_dir, clitable.CliTable("index", template_dir)


@functools.cache
def template_text(platform: str, command: str) -> str:
    """Text of the template the ntc-templates index names for this platform and command."""
    template_dir, table = _index()
    row = table.index.GetRowMatch({"Platform": platform, "Command": command})
    if not row:
        raise ParseError(f"no ntc-templates template for {platform} {command!r}")
    names = table.index.index[row]["Template"].split(":")
    if len(names) != 1:
        raise ParseError(f"{platform} {command!r}: chained templates are not supported")
    with open(os.path.join(template_dir, names[0]), encoding="utf-8") as handle:
        return handle.read()


class Records(list[Record]):
    """Template records, plus the unexpected lines that were skipped to get them."""

    def __init__(self, records: list[Record], problems: list[str]) -> None:
        super().__init__(records)
        self.problems = problems


MAX_SKIPPED_LINES = 20
_FAILED_LINE = re.compile(r"Input Line: (.*)$")


def parse_template(platform: str, command: str, text: str) -> Records:
    """Records (lower-case keys, as parse_output returns them) for one command's output.

    Many templates end in an `Error` rule that rejects the whole output for one line
    they do not know. Such a line is skipped and reported instead, and the template is
    run again, so one odd sensor row does not cost every other row.
    """
    cleaned = normalise_output(text, command)
    check_not_error(cleaned, f"{platform} {command!r}")
    problems: list[str] = []
    for _ in range(MAX_SKIPPED_LINES + 1):
        fsm = textfsm.TextFSM(io.StringIO(template_text(platform, command)))
        try:
            table = fsm.ParseText(cleaned)
        except textfsm.TextFSMError as exc:
            line = _failed_line(str(exc), cleaned)
            if line is None:
                raise ParseError(
                    f"{platform} {command!r}: template rejected the output: {exc}"
                ) from exc
            problems.append(f"{command}: unexpected line skipped: {line.strip()!r}")
            cleaned = cleaned.replace(line + "\n", "", 1)
            continue
        header = [name.lower() for name in fsm.header]
        return Records([dict(zip(header, row, strict=True)) for row in table], problems)
    raise ParseError(f"{platform} {command!r}: more than {MAX_SKIPPED_LINES} unexpected lines")


def _failed_line(message: str, text: str) -> str | None:
    """The output line a template's Error rule stopped at, as it appears in `text`."""
    match = _FAILED_LINE.search(message)
    if not match:
        return None
    wanted = match.group(1).rstrip()
    return next((line for line in text.splitlines() if line.rstrip() == wanted), None)


def parse_records(
    records: Records,
    parse_one: Callable[[Record], list[Reading]],
    describe: Callable[[Record], str],
) -> ParseResult:
    """Readings of every record; one that `parse_one` rejects becomes a problem, not a lost poll.

    The template's own problems (skipped lines) come first. Only ValueError is caught:
    it is what the number and state readers raise on a cell they cannot read. The caller
    decides with `common.finish` whether nothing read at all is an error.
    """
    result = ParseResult(problems=records.problems)
    for record in records:
        try:
            result.extend(parse_one(record))
        except ValueError as exc:
            result.problems.append(f"{describe(record)}: {exc}")
    return result
