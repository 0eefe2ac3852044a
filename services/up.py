"""`netvigil up`: the embedded bus, every service and, without inventory, a simulated fleet.

Each service gets its own bus connection, exactly as if it ran in its own container; they
share one stop event, and if any of them fails the others are stopped too.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

from shared.bus import Bus
from shared.errors import BusError, ConfigError
from shared.inventory import dump_inventory, load_inventory
from shared.natsserver import NatsServer
from shared.runner import ServiceRun, stop_on_signals
from shared.settings import NetvigilSettings

log = logging.getLogger("netvigil.up")


async def run_all(settings: NetvigilSettings, *, simulated_devices: int = 5) -> None:
    """Run everything until SIGINT/SIGTERM, then stop it all and leave no process behind."""
    from services.api import app as api_app
    from services.collector import app as collector_app
    from services.storage import app as storage_app

    _check_inventory(settings)  # before anything starts: a bad file fails fast and alone
    _check_port_free(settings.api.host, settings.api.port)
    stop = asyncio.Event()
    stop_on_signals(stop)
    _make_data_dir(settings)
    async with AsyncExitStack() as stack:
        stack.enter_context(_data_dir_lock(settings))
        watcher: asyncio.Task[None] | None = None
        if settings.nats.embedded:
            server = await stack.enter_async_context(_embedded_nats(settings))
            settings.nats = settings.nats.model_copy(update={"url": server.url})
            watcher = asyncio.create_task(_watch_nats(server, stop))
        if settings.collector.inventory is None:
            await stack.enter_async_context(_simulated_fleet(settings, simulated_devices))
        setup = await Bus.connect(settings.nats, name="netvigil-up")
        await setup.ensure_streams(metrics_max_age_s=settings.nats.metrics_max_age_hours * 3600)
        await setup.close()
        announce = functools.partial(_announce, settings)
        services: dict[str, ServiceRun] = {
            "storage": storage_app.run,
            "collector": collector_app.run,
            "api": functools.partial(api_app.run, on_listening=announce),
        }
        tasks = [asyncio.create_task(_run_one(name, run, settings, stop), name=name)
                 for name, run in services.items()]
        await stop.wait()
        log.info("stopping")
        results = await asyncio.gather(*tasks, return_exceptions=True)
        if watcher is not None:
            watcher.cancel()
            if server.exit_code is not None:
                raise BusError(
                    f"the embedded nats-server exited with code {server.exit_code}; "
                    f"see {server.store_dir / 'nats-server.log'}"
                )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]


async def _run_one(name: str, run: ServiceRun, settings: NetvigilSettings,
                   stop: asyncio.Event) -> None:
    bus = await Bus.connect(settings.nats, name=f"netvigil-{name}")
    try:
        await run(settings, bus, stop)
    except Exception:
        log.exception("%s failed; stopping everything", name)
        stop.set()
        raise
    finally:
        await bus.close()


@contextlib.asynccontextmanager
async def _embedded_nats(settings: NetvigilSettings) -> AsyncIterator[NatsServer]:
    server = NatsServer(store_dir=settings.data_dir / "nats", port=settings.nats.embedded_port)
    url = await server.astart()
    log.info("embedded nats-server at %s (JetStream store %s)", url, server.store_dir)
    try:
        yield server
    finally:
        await server.astop()


async def _watch_nats(server: NatsServer, stop: asyncio.Event) -> None:
    """Stop everything when the embedded bus dies: without it nothing can work."""
    while not stop.is_set():
        if server.exit_code is not None:
            log.error("the embedded nats-server exited with code %s; stopping netvigil",
                      server.exit_code)
            stop.set()
            return
        await asyncio.sleep(0.5)


def _check_inventory(settings: NetvigilSettings) -> None:
    path = settings.collector.inventory
    if path is None:
        return
    inventory = load_inventory(path, strict=False)  # raises for a file that is unusable
    if not inventory.devices:
        log.warning("inventory %s has no valid device: nothing will be polled", path)


def _make_data_dir(settings: NetvigilSettings) -> None:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data directory {settings.data_dir}: "
                          f"{exc.strerror}") from exc


@contextlib.contextmanager
def _data_dir_lock(settings: NetvigilSettings) -> Iterator[None]:
    """One `netvigil up` per data directory: two would share a database and a bus store."""
    path = settings.data_dir / ".netvigil.lock"
    try:
        handle = open(path, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise ConfigError(f"cannot write in data directory {settings.data_dir}: "
                          f"{exc.strerror}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise ConfigError(
            f"data directory {settings.data_dir} is in use by netvigil pid {owner}; "
            "stop it or choose another NETVIGIL_DATA_DIR"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        handle.close()


@contextlib.asynccontextmanager
async def _simulated_fleet(settings: NetvigilSettings, count: int) -> AsyncIterator[None]:
    from services.simulator.fleet import ALL_PLATFORMS, SimulatedFleet

    async with SimulatedFleet(count=count, platforms=ALL_PLATFORMS) as fleet:  # mixed
        path = settings.data_dir / "simulated-inventory.yaml"
        path.write_text(dump_inventory(fleet.inventory()))
        path.chmod(0o600)  # it holds the simulated devices' passwords
        settings.collector.inventory = path
        log.info("no inventory given: polling %d simulated devices (%s)", count, path)
        yield


def _announce(settings: NetvigilSettings, base: str) -> None:
    log.info(
        "netvigil is up. API: %s/api/v1/metrics  devices: %s/api/v1/devices  docs: %s/docs  "
        "NATS: %s  (Ctrl-C stops everything)", base, base, base, settings.nats.url,
    )


def _check_port_free(host: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"API port {host}:{port} is not free ({exc.strerror}); "
                "choose another with NETVIGIL_API__PORT"
            ) from exc
