"""The interactive CLI of a simulated device: prompt, echo, paging, errors and scenarios.

The shell reads raw characters (asyncssh's line editor is off) so it can echo like a
router, and so the pager can wait for a single key press, as `--More--` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import asyncssh

from services.simulator.vendors.commands import DIALECTS, Dialect, normalise
from services.simulator.vendors.scenarios import SessionScenarios
from services.simulator.vendors.snapshot import take_snapshot
from services.simulator.vendors.state import DeviceState

logger = logging.getLogger(__name__)

PAGE_LINES = 23  # a 24-line screen minus the pager prompt line
MAX_LINE = 4096
ANSI_PROMPT, ANSI_RESET, ANSI_EOL = "\x1b[1;32m", "\x1b[0m", "\x1b[K"


def motd(hostname: str) -> str:
    """A banner drawn with '#' and '>' so prompt detection must not match inside it."""
    rule = "#" * 64
    return "\n".join([
        rule,
        f"# {hostname}> AUTHORISED ACCESS ONLY <{hostname}#".ljust(63) + "#",
        "# >>> all sessions are logged ### disconnect now if unsure <<< #",
        rule,
        "",
    ])


@dataclass(kw_only=True)
class VendorDevice:
    """What the SSH side needs to know about one device."""

    state: DeviceState
    scenarios: SessionScenarios
    clock: Callable[[], float]
    username: str
    password: str
    closing: asyncio.Event

    @property
    def dialect(self) -> Dialect:
        """The CLI dialect of the device's platform."""
        return DIALECTS[self.state.platform]

    def answer(self, command: str) -> str | None:
        """The output of a known command, or None when the device does not know it."""
        renderer = self.dialect.commands.get(command)
        return None if renderer is None else renderer(take_snapshot(self.state, self.clock()))


class VendorShell:
    """One SSH session on a simulated device."""

    def __init__(self, *, device: VendorDevice, process: asyncssh.SSHServerProcess[str]) -> None:
        self._device = device
        self._process = process
        self._pending = ""
        self._paging = True
        self._newline = "\r\n" if process.get_terminal_type() else "\n"

    async def run(self) -> None:
        """Serve exec requests once, or an interactive session until exit or EOF."""
        try:
            if self._process.command is not None:
                await self._exec(self._process.command)
            else:
                await self._interactive()
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged, BrokenPipeError):
            pass
        except asyncssh.DisconnectError:
            logger.debug("client went away from %s", self._device.state.hostname)
        finally:
            self._process.exit(0)

    async def _exec(self, command: str) -> None:
        line = normalise(command)
        output = await self._respond(line)
        if output is not None:
            self._write(output)

    async def _interactive(self) -> None:
        self._write(motd(self._device.state.hostname) + "\n")
        while not self._device.closing.is_set():
            self._write_prompt()
            line = await self._read_line()
            if line is None:
                return
            command = normalise(line)
            if command in ("exit", "quit", "logout"):
                return
            output = await self._respond(command)
            if output:
                no_more = command.endswith(self._device.dialect.no_more_suffix)
                await self._page(output, force_off=no_more)

    async def _respond(self, command: str) -> str | None:
        """Apply scenarios and the dialect; None means the session must end now."""
        scenarios, dialect = self._device.scenarios, self._device.dialect
        if scenarios.delay_s:
            await asyncio.sleep(scenarios.delay_s)
        if command in scenarios.hang_commands:
            await self._device.closing.wait()
            return None
        if command in scenarios.drop_on_commands:
            self._process.channel.get_connection().abort()
            return None
        if not command or command in dialect.silent:
            return ""
        if command in dialect.paging_off:
            self._paging = False
            return ""
        base = command.removesuffix(" " + dialect.no_more_suffix).strip()
        output = self._device.answer(base)
        if output is None or (scenarios.json_unsupported and base.endswith(" json")):
            width = len(dialect.prompt(self._device.state.hostname, self._device.username))
            return dialect.error(base, width)
        return output

    async def _page(self, text: str, *, force_off: bool) -> None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        paging = self._device.scenarios.pager_forced or (self._paging and not force_off)
        start = 0
        while start < len(lines):
            step = PAGE_LINES if paging else len(lines)
            self._write_lines(lines[start:start + step])
            start += step
            if start >= len(lines):
                return
            key = await self._wait_key()
            if key in (None, "q", "Q"):
                return

    async def _wait_key(self) -> str | None:
        dialect = self._device.dialect
        self._process.stdout.write(dialect.more_prompt)
        key = await self._read_char()
        self._process.stdout.write(dialect.more_erase)
        return key

    def _write_lines(self, lines: list[str]) -> None:
        suffix = ANSI_EOL if self._device.scenarios.ansi_colour else ""
        self._process.stdout.write("".join(line + suffix + self._newline for line in lines))

    def _write(self, text: str) -> None:
        self._process.stdout.write(text.replace("\n", self._newline))

    def _write_prompt(self) -> None:
        prompt = self._device.dialect.prompt(self._device.state.hostname, self._device.username)
        if self._device.scenarios.ansi_colour:
            prompt = f"{ANSI_PROMPT}{prompt}{ANSI_RESET}"
        self._process.stdout.write(prompt)

    async def _read_char(self) -> str | None:
        if not self._pending:
            data = await self._process.stdin.read(1024)
            if not data:
                return None
            self._pending = data
        char, self._pending = self._pending[0], self._pending[1:]
        return char

    async def _read_line(self) -> str | None:
        """Read up to Enter, echoing as a router does; None at end of input."""
        buffer: list[str] = []
        while len(buffer) < MAX_LINE:
            char = await self._read_char()
            if char is None:
                return None
            if char in "\r\n":
                if char == "\r" and self._pending.startswith("\n"):
                    self._pending = self._pending[1:]
                self._process.stdout.write(self._newline)
                return "".join(buffer)
            if char in "\x7f\b":
                if buffer:
                    buffer.pop()
                    self._process.stdout.write("\b \b")
                continue
            if char.isprintable():
                buffer.append(char)
                self._process.stdout.write(char)
        return "".join(buffer)
