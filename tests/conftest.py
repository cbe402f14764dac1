"""Fixtures shared by the whole suite. Engine-specific fixtures live in the sub-conftests."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nautilus.testkit.services import (
    REDIS_URL,
    postgres_available,
    redis_available,
    temporary_postgres_database,
)

_EXIT_STATUS = pytest.StashKey[int]()

# Keep numeric libraries from fighting over the two cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def _require(available: bool, what: str) -> None:
    # In CI the services must be up (.ci/run starts them); a missing one is a failure there.
    if not available:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not reachable but CI requires it")
        pytest.skip(f"{what} is not reachable")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database on the real server, dropped after the test."""
    _require(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    _require(redis_available(), "Redis at 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def unique() -> str:
    """A unique token for Redis keys, stream names, usernames."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "nautilus-data"
    d.mkdir()
    return d


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without interpreter teardown once pytest is done and has printed its summary.

    With Ray, ArcticDB/LMDB, numba and Playwright all loaded in one process, native teardown
    at interpreter exit has crashed (SIGSEGV) after every test had passed, turning a green run
    red. The exit status pytest computed is kept exactly.
    """
    status = config.stash.get(_EXIT_STATUS, None)
    if status is None or os.environ.get("NAUTILUS_TEST_NORMAL_EXIT"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
