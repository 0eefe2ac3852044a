"""`open_store` picks the backend that `storage.backend` names, configured from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.storage.app import open_store
from services.storage.filestore import FileStore
from services.storage.postgres import PostgresStore
from services.storage.sqlite import SqliteStore
from shared.errors import ConfigError
from shared.events import MetricQuery
from shared.settings import NetvigilSettings, StorageSettings
from tests.contract.storage.fleet import CPU, at, batch

pytestmark = pytest.mark.integration


async def test_open_store_opens_sqlite_when_backend_unset(tmp_path: Path) -> None:
    store = await open_store(NetvigilSettings(data_dir=tmp_path))
    try:
        assert isinstance(store, SqliteStore)
        assert (tmp_path / "metrics.db").is_file()
    finally:
        await store.close()


async def test_open_store_opens_file_store_in_data_dir_when_backend_file(tmp_path: Path) -> None:
    settings = NetvigilSettings(data_dir=tmp_path, storage=StorageSettings(backend="file"))
    store = await open_store(settings)
    try:
        assert isinstance(store, FileStore)
        assert await store.write_batches([batch("r1", at(0), (CPU, 0.5, {}))]) == 1
    finally:
        await store.close()
    assert [p.name for p in (tmp_path / "metrics").iterdir() if p.is_dir()] == ["2026-01-01"]


async def test_open_store_uses_file_dir_when_set(tmp_path: Path) -> None:
    storage = StorageSettings(backend="file", file_dir=tmp_path / "elsewhere")
    store = await open_store(NetvigilSettings(data_dir=tmp_path / "data", storage=storage))
    await store.close()
    assert (tmp_path / "elsewhere" / "LOCK").is_file()


async def test_open_store_raises_config_error_when_postgres_has_no_dsn(tmp_path: Path) -> None:
    settings = NetvigilSettings(data_dir=tmp_path, storage=StorageSettings(backend="postgres"))
    with pytest.raises(ConfigError, match="POSTGRES_DSN"):
        await open_store(settings)


async def test_open_store_opens_postgres_when_backend_postgres(
    postgres_dsn: str, tmp_path: Path
) -> None:
    storage = StorageSettings(backend="postgres", postgres_dsn=postgres_dsn)
    store = await open_store(NetvigilSettings(data_dir=tmp_path, storage=storage))
    try:
        assert isinstance(store, PostgresStore)
        await store.write_batches([batch("r1", at(0), (CPU, 0.5, {}))])
        assert [p.value for p in (await store.query(MetricQuery())).points] == [0.5]
    finally:
        await store.close()


def test_settings_read_backend_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETVIGIL_STORAGE__BACKEND", "postgres")
    monkeypatch.setenv("NETVIGIL_STORAGE__POSTGRES_DSN", "postgresql://nv@127.0.0.1/metrics")
    monkeypatch.setenv("NETVIGIL_STORAGE__FILE_DIR", "/var/lib/netvigil/metrics")
    storage = NetvigilSettings().storage
    assert (storage.backend, storage.postgres_dsn, storage.file_dir) == (
        "postgres",
        "postgresql://nv@127.0.0.1/metrics",
        Path("/var/lib/netvigil/metrics"),
    )
