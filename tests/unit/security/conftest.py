"""A ``Security`` on a migrated database: SQLite under tmp, or a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nautilus.config import AuthConfig, PlatformConfig
from nautilus.persistence.db import Database
from nautilus.security import Security


class SteppedClock:
    """A wall clock the test moves by hand (aware UTC)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_security(
    data_dir: Path, url: str | None, clock: SteppedClock | None = None, **auth: int
) -> tuple[Security, Database]:
    config = PlatformConfig(
        data_dir=data_dir,
        database_url=url,
        auth=AuthConfig(**auth),  # type: ignore[arg-type]
    )
    db = Database(config.sqlalchemy_url)
    db.migrate()
    kwargs = {"clock": clock} if clock is not None else {}
    return Security(config, db, **kwargs), db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest) -> str | None:
    """None (SQLite in the data dir) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def security(data_dir: Path, backend_url: str | None, clock: SteppedClock) -> Iterator[Security]:
    sec, db = make_security(data_dir, backend_url, clock)
    yield sec
    db.dispose()
