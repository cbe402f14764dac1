from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nautilus.config import PlatformConfig
from nautilus.core.errors import ConfigurationError, ValidationError
from nautilus.security import hash_password, jwt_key_path, load_jwt_key, verify_password
from nautilus.security.passwords import check_password_policy, needs_rehash


def test_argon2id_hash_verifies_and_is_salted() -> None:
    h1 = hash_password("correct horse battery")
    h2 = hash_password("correct horse battery")
    assert h1.startswith("$argon2id$")
    assert h1 != h2  # fresh salt each time
    assert verify_password(h1, "correct horse battery")
    assert not verify_password(h1, "correct horse batterz")
    assert not verify_password("not-a-hash", "correct horse battery")
    assert not needs_rehash(h1)
    assert needs_rehash("not-a-hash")


def test_password_policy_rejects_short_passwords() -> None:
    with pytest.raises(ValidationError) as exc:
        check_password_policy("short")
    assert exc.value.code == "weak_password"
    assert check_password_policy("long enough") == "long enough"


def test_generated_jwt_key_is_private_and_reused(tmp_path: Path) -> None:
    config = PlatformConfig(data_dir=tmp_path)
    key = load_jwt_key(config)
    path = jwt_key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(key) >= 64
    assert load_jwt_key(PlatformConfig(data_dir=tmp_path)) == key  # after a "restart"


def test_loose_key_file_mode_is_tightened(tmp_path: Path) -> None:
    key = load_jwt_key(PlatformConfig(data_dir=tmp_path))
    path = jwt_key_path(tmp_path)
    os.chmod(path, 0o644)
    assert load_jwt_key(PlatformConfig(data_dir=tmp_path)) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_empty_key_file_is_refused(tmp_path: Path) -> None:
    path = jwt_key_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("")
    with pytest.raises(ConfigurationError):
        load_jwt_key(PlatformConfig(data_dir=tmp_path))


def test_configured_jwt_secret_wins_over_file(tmp_path: Path) -> None:
    secret = "k" * 20 + "0123456789abcdef"
    assert load_jwt_key(PlatformConfig(data_dir=tmp_path, jwt_secret=secret)) == secret
    assert not jwt_key_path(tmp_path).exists()


@pytest.mark.parametrize("field", ["admin_password", "jwt_secret"])
@pytest.mark.parametrize("value", ["admin", "changeme", "Password", " secret "])
def test_default_secrets_refused_outside_demo(tmp_path: Path, field: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as exc:
        PlatformConfig(data_dir=tmp_path, **{field: value}).check_secrets()
    assert exc.value.code == "default_secret"
    PlatformConfig(data_dir=tmp_path, demo=True, **{field: value}).check_secrets()
