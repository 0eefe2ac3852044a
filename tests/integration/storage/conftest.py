"""Fixtures of the storage tests: a SQLite store in a fresh temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.storage.sqlite import SqliteStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's metric database lives (its directory does not exist yet)."""
    return tmp_path / "db" / "metrics.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    """An empty SQLite store."""
    opened = await SqliteStore.open(db_path)
    yield opened
    await opened.close()
