"""Fixtures of the storage contract suite: one empty store per test, on every backend.

PostgreSQL tests use the server at NETVIGIL_TEST_POSTGRES_DSN (default
postgresql://postgres@127.0.0.1:5432/test). The session creates its own database there,
gives each test a fresh schema in it, and drops the database at the end. Where no server
answers, the postgres cases skip and say why.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import pytest

from services.storage.filestore import FileStore
from services.storage.postgres import PostgresStore
from services.storage.sqlite import SqliteStore
from services.storage.store import MetricStore, QueryLimits, RetentionPolicy

BACKENDS = ["sqlite", "postgres", "file"]
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def _with_database(dsn: str, database: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{database}"


async def _admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A DSN of a database created for this test session (dropped afterwards)."""
    admin_dsn = os.environ.get("NETVIGIL_TEST_POSTGRES_DSN", DEFAULT_DSN)
    database = f"netvigil_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(admin_dsn, f"CREATE DATABASE {database}"))
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        pytest.skip(
            f"no PostgreSQL reachable at {admin_dsn} ({exc.__class__.__name__}: {exc}); "
            "set NETVIGIL_TEST_POSTGRES_DSN to a server where this user may create databases"
        )
    yield _with_database(admin_dsn, database)
    asyncio.run(_admin(admin_dsn, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))


@pytest.fixture
def own_database_dsn(postgres_dsn: str) -> Iterator[str]:
    """A DSN of a database of this test alone, for code that uses the `public` schema."""
    admin_dsn = os.environ.get("NETVIGIL_TEST_POSTGRES_DSN", DEFAULT_DSN)
    database = f"netvigil_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_dsn, f"CREATE DATABASE {database}"))
    yield _with_database(admin_dsn, database)
    asyncio.run(_admin(admin_dsn, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))


class StoreHandle:
    """An open store of one backend that a test can close and open again at the same place."""

    def __init__(self, *, backend: str, location: Path | str) -> None:
        self.backend = backend
        self._location = location
        self._store: MetricStore | None = None

    @property
    def store(self) -> MetricStore:
        """The store opened last."""
        assert self._store is not None, "open() first"
        return self._store

    async def open(
        self, *, policy: RetentionPolicy | None = None, limits: QueryLimits | None = None
    ) -> MetricStore:
        """Open the backend at this handle's location."""
        store: MetricStore
        if self.backend == "sqlite":
            assert isinstance(self._location, Path)
            path = self._location / "metrics.db"
            store = await SqliteStore.open(path, policy=policy, limits=limits)
        elif self.backend == "file":
            assert isinstance(self._location, Path)
            path = self._location / "metrics"
            store = await FileStore.open(path, policy=policy, limits=limits)
        else:
            assert isinstance(self._location, str)
            dsn, _, schema = self._location.partition("#")
            store = await PostgresStore.open(dsn, schema=schema, policy=policy, limits=limits)
        self._store = store
        return store

    async def reopen(
        self, *, policy: RetentionPolicy | None = None, limits: QueryLimits | None = None
    ) -> MetricStore:
        """Close the store and open it again, as a restarted service would."""
        await self.close()
        return await self.open(policy=policy, limits=limits)

    async def close(self) -> None:
        """Close the store if it is open."""
        if self._store is not None:
            await self._store.close()
            self._store = None


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test."""
    return str(request.param)


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where the test's store lives: a fresh directory, or a fresh PostgreSQL schema."""
    if backend != "postgres":
        return tmp_path
    # Requested here, in a plain fixture: the session fixture runs its own event loop.
    dsn = request.getfixturevalue("postgres_dsn")
    return f"{dsn}#t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def handle(backend: str, location: Path | str) -> AsyncIterator[StoreHandle]:
    """An empty, open store of `backend`, closed after the test."""
    opened = StoreHandle(backend=backend, location=location)
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def store(handle: StoreHandle) -> MetricStore:
    """The open store of the handle."""
    return handle.store
