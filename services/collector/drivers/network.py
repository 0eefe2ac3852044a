"""What the network-device drivers share: the CLI dialect, JSON first with a text fallback,
and counter widths.

A network driver is polled over an interactive CLI session (`transport = "shell"`), not
one exec channel per command: most network operating systems either lack exec or give
it a different, unpaged and sometimes restricted command set.

Structured output (`| json`, `| display json`) is asked for first. Software too old to
have it answers with the platform's error text; the session then sends the text form of
the same command, and the driver remembers, per device and command, to send the text
form from then on and to read it with the text parser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import ClassVar

from services.collector.cli_text import render, strip_ansi
from services.collector.drivers.base import CommandSpec, Driver, Reading
from services.collector.parsers.common import ParseResult
from services.collector.rates import SeriesKey, series_key

log = logging.getLogger(__name__)

NARROW_BITS = 32
_NARROW = 2**NARROW_BITS
_QUARTER = _NARROW // 4


@dataclass(frozen=True, slots=True, kw_only=True)
class CliDialect:
    """How one platform's CLI is driven: paging off, the structured suffix, error texts."""

    setup: tuple[str, ...]
    json_suffix: str | None
    error_markers: tuple[str, ...]

    def is_error(self, output: str) -> bool:
        """Whether `output` is the platform's answer to a command it does not accept."""
        lines = [line.strip().lower() for line in render(strip_ansi(output)) if line.strip()]
        return any(line.startswith(self.error_markers) for line in lines[:3])


class CounterWidths:
    """Learns which interface counters are 32 bits wide from the way they wrap.

    CLI output does not say how wide a counter is. Modern software keeps 64-bit
    counters; some line cards and older releases still wrap at 2^32. A counter that
    has never exceeded 2^32 and drops from the top quarter of that range into the
    bottom quarter is taken to be 32 bits wide (rates.py then computes the wrap); a
    later value above 2^32 proves it 64 bits wide again. A reboot that happens at such
    a value is still handled, because a falling uptime discards every old value.
    """

    def __init__(self) -> None:
        self._last: dict[SeriesKey, float] = {}
        self._narrow: set[SeriesKey] = set()

    def apply(self, readings: list[Reading]) -> list[Reading]:
        """The readings, with counter_bits=32 on counters seen wrapping at 2^32."""
        out = [self._one(r) if r.counter_bits is not None else r for r in readings]
        problems = readings.problems if isinstance(readings, ParseResult) else ()
        return ParseResult(out, problems)

    def _one(self, reading: Reading) -> Reading:
        key = series_key(reading.metric, reading.attributes)
        previous = self._last.get(key)
        self._last[key] = reading.value
        if reading.value >= _NARROW:
            self._narrow.discard(key)
        elif previous is not None and previous >= _NARROW - _QUARTER and reading.value < _QUARTER:
            self._narrow.add(key)
        return replace(reading, counter_bits=NARROW_BITS) if key in self._narrow else reading


class NetworkDriver(Driver):
    """Base of the IOS, NX-OS, EOS and Junos drivers; subclasses declare data only."""

    transport: ClassVar[str] = "shell"
    dialect: ClassVar[CliDialect]
    # Every text command the driver may fall back to, with its parser.
    text_commands: ClassVar[tuple[CommandSpec, ...]] = ()

    def __init__(self) -> None:
        self._text_only: set[str] = set()
        self._widths = CounterWidths()

    @classmethod
    def allowed_commands(cls) -> frozenset[str]:
        """The polled commands, their text fallbacks and the session setup commands."""
        fallbacks = {spec.command for spec in cls.text_commands}
        return super().allowed_commands() | fallbacks | set(cls.dialect.setup)

    @classmethod
    def fallback(cls, command: str) -> CommandSpec | None:
        """The text command that replaces structured `command`, if it is structured."""
        suffix = cls.dialect.json_suffix
        if suffix is None or not command.endswith(suffix):
            return None
        text = command.removesuffix(suffix)
        return next((spec for spec in cls.text_commands if spec.command == text), None)

    def to_send(self, command: str) -> str:
        """The command to type for `command`: its text form once JSON was refused."""
        spec = self.fallback(command) if command in self._text_only else None
        return spec.command if spec is not None else command

    def structured_refused(self, sent: str, output: str) -> str | None:
        """When the device refused structured `sent`, remember it and name the text form."""
        spec = self.fallback(sent)
        if spec is None or not self.dialect.is_error(output):
            return None
        self._text_only.add(sent)
        log.info("%r is not supported (%s); falling back to %r", sent,
                 output.strip().splitlines()[-1][:80] if output.strip() else "", spec.command)
        return spec.command

    def parse(self, spec: CommandSpec, output: str) -> list[Reading]:
        """Parse with the text parser once JSON was refused; mark 32-bit counters."""
        fallback = self.fallback(spec.command) if spec.command in self._text_only else None
        return self._widths.apply((fallback or spec).parser(output))
