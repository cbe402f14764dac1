from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticValidationError

from nautilus.config import PlatformConfig, load_config
from nautilus.core.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("NAUTILUS_"):
            monkeypatch.delenv(key)


def test_defaults_are_embedded_and_local() -> None:
    cfg = load_config()
    assert cfg.api.host == "127.0.0.1"
    assert cfg.bus.backend == "memory"
    assert cfg.jobs_backend == "local"
    assert cfg.timeseries.backend == "arctic"
    assert cfg.sqlalchemy_url.startswith("sqlite:///") and cfg.sqlalchemy_url.endswith(
        "nautilus.db"
    )
    assert cfg.api.cors_origins == ()


def test_precedence_file_then_env_then_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "nautilus.toml"
    toml.write_text(
        '[nautilus]\nlog_level = "DEBUG"\n[nautilus.api]\nport = 8100\nhost = "0.0.0.0"\n'
    )
    cfg = load_config(toml)
    assert (cfg.api.port, cfg.api.host, cfg.log_level) == (8100, "0.0.0.0", "DEBUG")
    monkeypatch.setenv("NAUTILUS_API__PORT", "8200")
    monkeypatch.setenv("NAUTILUS_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("NAUTILUS_RAY_ADDRESS", "ray://head:10001")
    cfg = load_config(toml)
    assert cfg.api.port == 8200 and cfg.api.host == "0.0.0.0"
    assert cfg.sqlalchemy_url == "postgresql://u@h/db"
    assert cfg.jobs_backend == "ray"
    assert load_config(toml, api={"port": 8300}).api.port == 8300


def test_unknown_keys_and_bad_files_are_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("databse_url = 'x'\n")
    with pytest.raises(PydanticValidationError):
        load_config(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[[")
    with pytest.raises(ConfigurationError):
        load_config(broken)
    with pytest.raises(ConfigurationError):
        load_config(tmp_path / "missing.toml")


def test_default_secrets_refused_outside_demo() -> None:
    for pw in ("admin", "changeme", " Password "):
        with pytest.raises(ConfigurationError) as exc:
            PlatformConfig(admin_password=pw).check_secrets()
        assert exc.value.code == "default_secret"
    with pytest.raises(ConfigurationError):
        PlatformConfig(jwt_secret="short-but-not-default").check_secrets()
    PlatformConfig(admin_password="admin", demo=True).check_secrets()
    PlatformConfig(admin_password="a-long-unique-passphrase", jwt_secret="k" * 40).check_secrets()


def test_config_is_frozen() -> None:
    cfg = PlatformConfig()
    with pytest.raises(PydanticValidationError):
        cfg.demo = True  # type: ignore[misc]
