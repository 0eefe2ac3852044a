"""Serve an ASGI app with uvicorn inside a running event loop, and report where it listens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from shared.errors import ConfigError, NetvigilError

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 10.0


class ApiStartError(NetvigilError):
    """The HTTP server did not come up (its cause is logged by uvicorn)."""


class _EmbeddedServer(uvicorn.Server):
    """uvicorn that leaves signals alone: the host process owns them and sets a stop event."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiServer:
    """An app served on `host:port`; port 0 lets the kernel pick, `port` then tells which."""

    def __init__(self, *, app: FastAPI, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._app = app
        self._sock: socket.socket | None = None
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind the socket, start uvicorn and return once the app's lifespan has started."""
        # Binding here (not in uvicorn) gives a clear error for a busy port and the real
        # port number when 0 was asked for.
        self._sock = _bind(self.host, self.port)
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(self._app, log_level="warning", lifespan="on")
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._serve(self._server, self._sock), name="api-http")
        await self._wait_started(self._server, self._task)

    async def serve_until(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set (or the server ends on its own), then shut down."""
        assert self._task is not None, "start() first"
        stopper = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({stopper, self._task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            await self.stop()

    async def stop(self) -> None:
        """Ask uvicorn to finish open requests and stop; force it after a timeout."""
        server, task = self._server, self._task
        if server is None or task is None:
            return
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            log.warning("api did not stop within %s s; closing connections", SHUTDOWN_TIMEOUT_S)
            server.force_exit = True
            await task
        finally:
            self._close_socket()

    async def _serve(self, server: _EmbeddedServer, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:
            # uvicorn exits the process when the app's startup fails; here that is an error.
            raise ApiStartError("api failed to start; the cause is logged above") from exc

    async def _wait_started(self, server: _EmbeddedServer, task: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_TIMEOUT_S
        while not server.started:
            if task.done():
                self._close_socket()
                task.result()  # raises the startup failure
                raise ApiStartError("api stopped before it started")
            if loop.time() > deadline:
                await self.stop()
                raise ApiStartError(f"api did not start within {STARTUP_TIMEOUT_S} s")
            # uvicorn offers no "started" event; its own main loop ticks the same way.
            await asyncio.sleep(0.02)

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"API host {host!r} cannot be used: {exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"API cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another with NETVIGIL_API__PORT"
        ) from exc
    return sock
