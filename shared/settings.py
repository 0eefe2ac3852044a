"""netvigil settings: defaults, then a YAML config file, then NETVIGIL_* environment variables.

Nested fields use a double underscore: `NETVIGIL_API__PORT=9000`,
`NETVIGIL_NATS__URL=nats://10.0.0.5:4222`. The config file is named by `--config` or
`NETVIGIL_CONFIG`. Settings are built once in a main and passed down; there is no
module-level instance.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


class NatsSettings(BaseModel):
    """How to reach the bus, and the embedded server `netvigil up` may start."""

    url: str = "nats://127.0.0.1:4222"
    subject_prefix: str = Field(default="nv", pattern=r"^[a-z][a-z0-9_]*$")
    request_timeout: float = Field(default=5.0, gt=0)
    embedded: bool = True
    embedded_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    metrics_max_age_hours: float = Field(default=24.0, gt=0)


class StorageSettings(BaseModel):
    """Where metrics are kept and how ingest batches them."""

    backend: Literal["sqlite", "postgres", "file"] = "sqlite"
    sqlite_path: Path | None = Field(default=None, description="default: <data_dir>/metrics.db")
    postgres_dsn: str | None = Field(
        default=None, description="e.g. postgresql://netvigil@db.example/metrics; backend postgres"
    )
    file_dir: Path | None = Field(default=None, description="default: <data_dir>/metrics")
    batch_messages: int = Field(default=100, ge=1, le=10_000)
    durable_name: str = "storage"
    ack_wait_s: float = Field(
        default=30.0, gt=0, description="seconds before an unacked metric batch is redelivered"
    )
    raw_retention_h: float = Field(default=48.0, gt=0, description="hours raw samples are kept")
    rollup_1m_retention_d: float = Field(default=30.0, gt=0, description="days 1-minute rollups")
    rollup_1h_retention_d: float = Field(default=400.0, gt=0, description="days 1-hour rollups")
    max_db_bytes: int | None = Field(
        default=None, ge=1_000_000, description="prune the oldest raw samples above this size"
    )
    maintenance_interval_s: float = Field(default=30.0, gt=0)
    maintenance_chunk_rows: int = Field(
        default=20_000, ge=100, le=1_000_000, description="rows per rollup/prune transaction"
    )
    query_max_series: int = Field(default=10_000, ge=1)
    query_max_points: int = Field(
        default=2_000_000, ge=1, description="samples one aggregate may read"
    )
    query_max_range_d: float = Field(default=400.0, gt=0)
    query_timeout_s: float = Field(
        default=4.0, gt=0, description="below nats.request_timeout, so the caller hears why"
    )


class ApiSettings(BaseModel):
    """Where the HTTP gateway listens."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)


class RetrySettings(BaseModel):
    """When to try a device again after a failed poll."""

    strategy: Literal["exponential", "fixed"] = "exponential"
    initial_s: float | None = Field(default=None, gt=0, description="default: poll interval")
    max_s: float = Field(default=300.0, gt=0)
    multiplier: float = Field(default=2.0, ge=1.0)
    jitter: float = Field(default=0.2, ge=0, le=1, description="+/- share of each delay")
    auth_retry_s: float = Field(default=300.0, gt=0, description="wait after refused login")
    auth_attempts_per_hour: int = Field(
        default=2, ge=1, description="login attempts per device per hour once one was refused"
    )


class BreakerSettings(BaseModel):
    """Circuit breakers per device and per credential set."""

    device_failures: int = Field(default=5, ge=1, description="failed polls in a row to open")
    device_open_s: float = Field(default=120.0, gt=0)
    credential_failures: int = Field(
        default=3, ge=1, description="refused logins with one credential set to open"
    )
    credential_window_s: float = Field(default=3600.0, gt=0)
    credential_open_s: float = Field(default=900.0, gt=0)


class CollectorSettings(BaseModel):
    """How devices are polled."""

    inventory: Path | None = None
    connect_timeout: float = Field(default=10.0, gt=0)
    command_timeout: float = Field(default=10.0, gt=0)
    max_concurrent_logins: int = Field(default=20, ge=1)
    known_hosts: Path | None = Field(
        default=None, description="known_hosts to verify against; default trust-on-first-use"
    )
    poll_timeout_share: float = Field(
        default=0.9, gt=0, le=1, description="a whole poll's deadline, as a share of its interval"
    )
    commands_per_second: float = Field(default=100.0, gt=0, description="all devices together")
    keepalive_interval: float = Field(default=30.0, gt=0)
    keepalive_count_max: int = Field(default=3, ge=1)
    max_session_age: float = Field(default=3600.0, gt=0, description="reconnect after this")
    slow_poll_share: float = Field(
        default=0.5, gt=0, le=1, description="a poll longer than this share of its interval is slow"
    )
    max_backoff_factor: float = Field(default=8.0, ge=1, description="slow devices: interval cap")
    poll_fast_max_s: float = Field(default=3600.0, gt=0)
    audit_commands: bool = Field(default=True, description="<data_dir>/audit/commands.jsonl")
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()


class NetvigilSettings(BaseSettings):
    """All settings of one netvigil process."""

    model_config = SettingsConfigDict(
        env_prefix="NETVIGIL_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key for encrypted device passwords (NETVIGIL_SECRET_KEY)"
    )
    secret_key_file: Path | None = Field(default=None, description="file holding that key")
    nats: NatsSettings = NatsSettings()
    storage: StorageSettings = StorageSettings()
    api: ApiSettings = ApiSettings()
    collector: CollectorSettings = CollectorSettings()

    @property
    def sqlite_path(self) -> Path:
        """The metric database file."""
        return self.storage.sqlite_path or self.data_dir / "metrics.db"

    @property
    def metric_file_dir(self) -> Path:
        """The directory of the file metric store's day directories."""
        return self.storage.file_dir or self.data_dir / "metrics"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit arguments win, then the environment, then the YAML file."""
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls))


def load_settings(config_file: Path | None = None, **overrides: object) -> NetvigilSettings:
    """Build settings from `config_file` (or $NETVIGIL_CONFIG), the environment and overrides."""
    path = config_file or os.environ.get("NETVIGIL_CONFIG")
    if path is not None and not Path(path).is_file():
        from shared.errors import ConfigError

        raise ConfigError(f"config file {path} does not exist")

    class _FromFile(NetvigilSettings):
        # the title names the settings in validation errors, not this helper class
        model_config = SettingsConfigDict(yaml_file=path, title="netvigil settings")

    return _FromFile(**overrides)  # type: ignore[arg-type]
