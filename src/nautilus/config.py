"""Platform configuration: one frozen ``PlatformConfig`` built from defaults, a TOML file and
``NAUTILUS_*`` environment variables (in rising precedence).

Nothing is read at import time: call :func:`load_config`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ConfigurationError
from nautilus.risk.config import RiskConfig
from nautilus.streaming.config import StreamingConfig

# Values that must never guard a non-demo deployment.
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "",
        "admin",
        "password",
        "changeme",
        "change-me",
        "changethis",
        "secret",
        "nautilus",
        "123456",
        "default",
        "test",
        "demo",
        "letmein",
        "qwerty",
    }
)


class ApiConfig(FrozenConfig):
    host: str = Field("127.0.0.1", description="Bind address; 127.0.0.1 unless exposed on purpose.")
    port: int = Field(8000, ge=0, le=65535)
    cors_origins: tuple[str, ...] = Field((), description="Allowed CORS origins; empty = CORS off.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted request body.")
    max_page_size: int = Field(1000, ge=1, description="Largest `limit` on list endpoints.")
    serve_dashboard: bool = True


class AuthConfig(FrozenConfig):
    access_token_ttl_s: int = Field(900, ge=30, description="Access token lifetime (15 min).")
    refresh_token_ttl_s: int = Field(30 * 86400, ge=60, description="Refresh token lifetime.")
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    login_max_failures: int = Field(5, ge=1, description="Failures per user+IP before throttling.")
    login_window_s: int = Field(300, ge=1, description="Window in which failures are counted.")
    login_lockout_s: int = Field(60, ge=1, description="Throttle duration after too many failures.")


class BusConfig(FrozenConfig):
    backend: Literal["memory", "redis"] = "memory"
    stream_maxlen: int = Field(100_000, ge=100, description="Approximate cap per Redis stream.")
    consumer_group: str = Field(
        "nautilus",
        description="Processes in one group split messages (replicas); each engine set run by "
        "`serve --engines` gets its own group by default so it sees every message.",
    )
    buffer_max: int = Field(10_000, ge=0, description="Messages buffered while Redis is down.")
    claim_idle_ms: int = Field(
        30_000, ge=100, description="Reclaim pending entries idle this long."
    )


class JobsConfig(FrozenConfig):
    backend: Literal["local", "ray"] = "local"
    max_workers: int = Field(2, ge=1, description="Local process pool size.")


class TimeSeriesConfig(FrozenConfig):
    backend: Literal["arctic", "postgres"] = "arctic"
    url: str | None = Field(None, description="PostgreSQL URL for the server-side store.")


class DataConfig(FrozenConfig):
    sources: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per data source settings keyed by DATA_SOURCES name; each value is "
        "validated by that source's config model (e.g. fred.api_key).",
    )
    priority: tuple[str, ...] = Field(
        (),
        description="Bar request failover order; 'store' is the local bar storage, "
        "e.g. ('ib', 'store', 'yahoo'). Empty: store first, then configured sources.",
    )


class PlatformConfig(FrozenConfig):
    """Everything the :class:`~nautilus.platform.Platform` needs to build itself."""

    data_dir: Path = Field(Path(".nautilus"), description="Where embedded stores and secrets live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite in data_dir."
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    ray_address: str | None = Field(None, description="ray:// address; set to run jobs on Ray.")
    admin_password: str | None = Field(None, description="Initial admin password (first run).")
    jwt_secret: str | None = Field(None, description="JWT key; default generated in data_dir.")
    demo: bool = Field(False, description="Demo mode: sample data, relaxed secret checks.")
    engines: tuple[str, ...] | None = Field(None, description="Engines to run; None = all.")
    log_level: str = "INFO"
    api: ApiConfig = ApiConfig()
    auth: AuthConfig = AuthConfig()
    bus: BusConfig = BusConfig()
    jobs: JobsConfig = JobsConfig()
    timeseries: TimeSeriesConfig = TimeSeriesConfig()
    data: DataConfig = DataConfig()
    risk: RiskConfig = RiskConfig()
    streaming: StreamingConfig = StreamingConfig()

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nautilus.db').resolve()}"

    @property
    def jobs_backend(self) -> str:
        return "ray" if self.ray_address else self.jobs.backend

    def check_secrets(self) -> None:
        """Refuse known default secrets and passwords outside demo mode."""
        if self.demo:
            return
        for name in ("admin_password", "jwt_secret"):
            value = getattr(self, name)
            if value is not None and value.strip().lower() in KNOWN_DEFAULT_SECRETS:
                raise ConfigurationError(
                    f"{name} is a known default value; set a strong one (NAUTILUS_{name.upper()})",
                    code="default_secret",
                )
        if self.jwt_secret is not None and len(self.jwt_secret) < 32:
            raise ConfigurationError(
                "jwt_secret must be at least 32 characters", code="weak_secret"
            )


class Settings(BaseSettings):
    """Reads ``NAUTILUS_*`` variables (nested with ``__``, e.g. ``NAUTILUS_API__PORT``)."""

    model_config = SettingsConfigDict(
        env_prefix="NAUTILUS_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    data_dir: Path | None = None
    database_url: str | None = None
    redis_url: str | None = None
    ray_address: str | None = None
    admin_password: str | None = None
    jwt_secret: str | None = None
    demo: bool | None = None
    engines: tuple[str, ...] | None = None
    log_level: str | None = None
    api: dict[str, Any] | None = None
    auth: dict[str, Any] | None = None
    bus: dict[str, Any] | None = None
    jobs: dict[str, Any] | None = None
    timeseries: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    risk: dict[str, Any] | None = None
    streaming: dict[str, Any] | None = None


def load_config(toml_path: str | Path | None = None, **overrides: Any) -> PlatformConfig:
    """Build the config: defaults < TOML file < environment < ``overrides``.

    The TOML file is ``toml_path``, else ``$NAUTILUS_CONFIG`` if set. Unknown keys are errors.
    """
    path = toml_path or os.environ.get("NAUTILUS_CONFIG")
    file_values: dict[str, Any] = {}
    if path:
        try:
            file_values = tomllib.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise ConfigurationError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from exc
        file_values = file_values.get("nautilus", file_values)
    env_values = Settings().model_dump(exclude_none=True)
    merged = _deep_merge(_deep_merge(file_values, env_values), overrides)
    return PlatformConfig.model_validate(merged)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        if v is None:
            continue
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out
