"""An interactive CLI session for network devices, behind DeviceSession's interface.

`CliSession` is a `DeviceSession` (same constructor, `connect`/`run`/`close`, the same
allow-list, audit and error mapping through `mapped_asyncssh_errors`) that types commands
into one shell channel with a terminal instead of opening an exec channel per command:

    connect: SSH login, open a shell, send two newlines and learn the prompt from the
             line that then repeats (banners drawn with '#' and '>' do not repeat),
             then turn paging off with the platform's setup commands
    run:     type the command, read until the prompt returns, pressing space at any
             pager prompt the device still shows; strip ANSI, CR, echo and prompt;
             when structured output is refused, type the text form instead
    close:   close the shell, then the connection

`session_factory(driver)` tells the poller which class to build for a driver.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncssh

from services.collector.cli_text import (
    at_pager,
    at_prompt,
    command_output,
    learned_prompt,
)
from services.collector.drivers.base import Driver
from services.collector.drivers.network import NetworkDriver
from services.collector.ssh import DeviceSession, audit_outcome, mapped_asyncssh_errors
from shared.errors import CommandRejected, DeviceError, DeviceUnreachable

log = logging.getLogger(__name__)

MAX_OUTPUT_CHARS = 32 * 1024 * 1024  # no single show command of ours prints this much
MAX_PAGES = 100_000
WINDOW_CHARS = 8192
TERMINAL = ("vt100", (511, 24))  # wide, so devices that ignore `terminal width` wrap late


class CliSession(DeviceSession):
    """A DeviceSession that runs commands in one interactive shell (see module docstring)."""

    def __init__(self, *, driver: NetworkDriver, **session: Any) -> None:
        super().__init__(**session)
        self._driver = driver
        self._process: asyncssh.SSHClientProcess[str] | None = None
        self.prompt: str | None = None

    @property
    def connected(self) -> bool:
        """Whether the connection and its shell are both open."""
        process = self._process
        return super().connected and process is not None and not process.is_closing()

    async def connect(self) -> None:
        """Log in, open the shell, learn the prompt and turn paging off."""
        if self.connected:
            return
        await super().connect()
        try:
            with mapped_asyncssh_errors(self.device.name, what="open the CLI"):
                await asyncio.wait_for(self._open_shell(), self._connect_timeout)
            await self._set_up_terminal()
        except BaseException:
            await self.close()
            raise

    async def _open_shell(self) -> None:
        assert self._conn is not None
        term_type, term_size = TERMINAL
        self._process = await self._conn.create_process(
            term_type=term_type, term_size=term_size, encoding="utf-8"
        )
        self._process.stdin.write("\n\n")
        self.prompt = learned_prompt(await self._read(lambda raw: learned_prompt(raw) is not None))
        log.debug("prompt of %s is %r", self.device.name, self.prompt)

    async def _set_up_terminal(self) -> None:
        """Turn paging off; each command has a command's deadline, as a slow device needs."""
        for command in self._driver.dialect.setup:
            output = await self._typed(command, scheduled_by="session setup")
            if self._driver.dialect.is_error(output):
                log.info("%s refused %r; the pager will be answered instead",
                         self.device.name, command)

    async def _run(self, command: str) -> str:
        """Type `command` (or its text form) and return what it printed."""
        if self._process is None:
            raise DeviceUnreachable(self.device.name, "not connected")
        sent = self._driver.to_send(command)
        # The caller audits `command`; a different text actually typed is audited too.
        if sent == command:
            output = await self._timed(sent)
        else:
            output = await self._typed(sent, scheduled_by=f"text form of {command!r}")
        fallback = self._driver.structured_refused(sent, output)
        if fallback is not None and self.allows(fallback):
            output = await self._typed(fallback, scheduled_by=f"fallback for {command!r}")
        return output

    async def _typed(self, command: str, *, scheduled_by: str) -> str:
        """Type a line the caller did not ask for by name, with its own audit record."""
        started = self._clock()
        try:
            output = await self._timed(command)
        except DeviceError as exc:
            self._record(command, scheduled_by, started, audit_outcome(exc), exc.reason)
            raise
        self._record(command, scheduled_by, started, "ok", None)
        return output

    async def _timed(self, command: str) -> str:
        try:
            with mapped_asyncssh_errors(self.device.name, what=f"run {command!r}"):
                return await asyncio.wait_for(self._exchange(command), self._command_timeout)
        except BaseException:
            # A half-read answer leaves the shell out of step: never type into it again.
            await self._close_shell()
            raise

    async def _exchange(self, command: str) -> str:
        """Type one line and return its output once the prompt is back."""
        assert self._process is not None and self.prompt is not None
        prompt = self.prompt
        self._process.stdin.write(command + "\n")
        raw = await self._read(lambda window: at_prompt(window, prompt))
        return command_output(raw, command, prompt)

    async def _read(self, done: Callable[[str], bool]) -> str:
        """Read until `done` holds for the end of the output, answering pager prompts."""
        assert self._process is not None
        raw, pages, pressed_at = "", 0, 0
        while len(raw) <= MAX_OUTPUT_CHARS and pages <= MAX_PAGES:
            data = await self._process.stdout.read(65536)
            if not data:
                raise DeviceUnreachable(self.device.name, "the device closed the CLI session")
            raw += data
            window = raw[-WINDOW_CHARS:]  # prompt and pager are at the end: read only that
            if done(window):
                return raw
            # One key per pager prompt: a new prompt comes after at least one new line,
            # while a prompt half-erased by the last key press does not.
            if at_pager(window) and "\n" in raw[pressed_at:]:
                pages += 1
                pressed_at = len(raw)
                self._process.stdin.write(" ")
        raise CommandRejected(self.device.name, "output too long; stopped reading")

    async def _close_shell(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.close()
            await process.wait_closed()

    async def close(self) -> None:
        """Close the shell, then the connection."""
        await self._close_shell()
        await super().close()


def session_factory(driver: Driver | None) -> Callable[..., DeviceSession]:
    """The session class to build for `driver`: a CLI shell for network drivers."""
    if isinstance(driver, NetworkDriver) and driver.transport == "shell":
        network: NetworkDriver = driver

        def build(**session: Any) -> DeviceSession:
            return CliSession(driver=network, **session)

        return build
    return DeviceSession
