"""The ``nautilus`` command through typer's CliRunner, on a tmp data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nautilus.cli.main import app
from nautilus.config import PlatformConfig
from nautilus.persistence.db import Database
from nautilus.security import Security


@pytest.fixture
def run(data_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NAUTILUS_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--data-dir", str(data_dir), *args], input=input)

    return invoke


def test_db_upgrade_users_and_keys(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("db", "upgrade").exit_code == 0
    r = run("users", "create", "alice", "--role", "trader", input="pw-alice-123\npw-alice-123\n")
    assert r.exit_code == 0, r.output
    r = run("users", "list")
    assert r.exit_code == 0 and "alice" in r.output and "trader" in r.output
    assert run("users", "set-role", "alice", "viewer").exit_code == 0
    r = run("keys", "create", "--user", "alice", "--name", "bot", "--scope", "read")
    assert r.exit_code == 0, r.output
    secret = next(line for line in r.output.splitlines() if line.startswith("nk_"))
    db = Database(PlatformConfig(data_dir=data_dir).sqlalchemy_url)
    try:
        sec = Security(PlatformConfig(data_dir=data_dir), db)
        principal = sec.authenticate_api_key(secret)
        assert principal.user.username == "alice" and principal.user.role.value == "viewer"
        key_id = principal.key_id
    finally:
        db.dispose()
    assert key_id is not None
    assert run("keys", "revoke", key_id).exit_code == 0
    assert "yes" in run("keys", "list", "--user", "alice").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "create", "bob", "--role", "god", "--password", "pw-bob-1234"), "unknown role"),
        (("users", "create", "bob", "--password", "short"), "at least 8"),
        (("users", "set-role", "nobody", "admin"), "no user"),
        (("keys", "create", "--user", "nobody", "--name", "k"), "no user"),
        (("keys", "revoke", "nope"), "no API key"),
        (("jobs", "show", "nope"), "no job"),
        (("jobs", "list", "--state", "sleeping"), "unknown state"),
    ],
)
def test_bad_input_is_a_message_and_nonzero_exit(run, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    r = run(*args)
    assert r.exit_code != 0
    assert message in r.output
    assert "Traceback" not in r.output


def test_duplicate_user_and_bad_config(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("users", "create", "carol", "--password", "pw-carol-123").exit_code == 0
    r = run("users", "create", "carol", "--password", "pw-carol-123")
    assert r.exit_code == 2 and "taken" in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[api]\nport = 'eighty'\n")
    r = CliRunner().invoke(app, ["--config", str(bad), "users", "list"])
    assert r.exit_code == 2 and "invalid input" in r.output and "Traceback" not in r.output
