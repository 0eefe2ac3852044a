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

import textfsm  # type: ignore[import-untyped]
from ntc_templates.parse import _get_template_dir  # type: ignore[import-untyped]
from textfsm import clitable

from services.collector.parsers.common import check_not_error, normalise_output
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


def parse_template(platform: str, command: str, text: str) -> list[Record]:
    """Records (lower-case keys, as parse_output returns them) for one command's output."""
    cleaned = normalise_output(text, command)
    check_not_error(cleaned, f"{platform} {command!r}")
    fsm = textfsm.TextFSM(io.StringIO(template_text(platform, command)))
    try:
        table = fsm.ParseText(cleaned)
    except textfsm.TextFSMError as exc:
        raise ParseError(f"{platform} {command!r}: template rejected the output: {exc}") from exc
    header = [name.lower() for name in fsm.header]
    return [dict(zip(header, row, strict=True)) for row in table]
