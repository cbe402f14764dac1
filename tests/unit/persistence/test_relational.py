from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from nautilus.persistence.db import Database
from nautilus.persistence.tables import JobRow, UserRow

FOUNDATION_TABLES = {"users", "refresh_tokens", "api_keys", "login_failures", "jobs", "audit_log"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/sub/dir/n.db"
    else:
        url = request.getfixturevalue("pg_url")
    database = Database(url)
    database.migrate()
    yield database
    database.dispose()


def test_migrations_create_tables_and_are_idempotent(db: Database) -> None:
    names = set(inspect(db.engine).get_table_names())
    assert FOUNDATION_TABLES <= names
    assert "alembic_version" in names
    db.migrate()  # second run is a no-op
    with db.engine.connect() as conn:
        versions = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(db.alembic_config()).get_heads())
    assert versions == heads  # every branch applied up to its head


def test_session_commits_and_rolls_back(db: Database) -> None:
    with db.session() as s:
        s.add(UserRow(id="u1", username="ada", password_hash="h", role="admin"))
    with pytest.raises(RuntimeError):
        with db.session() as s:
            s.add(UserRow(id="u2", username="bob", password_hash="h", role="viewer"))
            s.flush()
            raise RuntimeError("abort")
    with db.session() as s:
        assert [u.username for u in s.scalars(select(UserRow))] == ["ada"]


def test_json_and_timestamps_round_trip(db: Database) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.session() as s:
        s.add(
            JobRow(
                id="j1",
                kind="k",
                owner_id=None,
                state="queued",
                params={"a": [1, 2.5]},
                progress=0.0,
                backend="local",
                created_at=now,
            )
        )
    with db.session() as s:
        row = s.get(JobRow, "j1")
        assert row is not None and row.params == {"a": [1, 2.5]}
        assert row.created_at.replace(tzinfo=UTC) == now


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/w.db")
    db.migrate()
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.health() == {"healthy": True, "dialect": "sqlite"}


def test_health_reports_an_unreachable_server() -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    health = db.health()
    assert health["healthy"] is False and health["dialect"] == "postgresql"
    assert health["error"]
