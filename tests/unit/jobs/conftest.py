"""Fixtures of the job runner tests: a migrated SQLite database, a recording bus, runners."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.unit.jobs.kinds  # noqa: F401  (registers the test job kinds)
from nautilus.bus.memory import InProcessBus
from nautilus.jobs.base import JobEvent
from nautilus.jobs.local import LocalJobRunner
from nautilus.persistence.db import Database


class EventLog:
    """Every JobEvent published on ``jobs.>``, in delivery order."""

    def __init__(self, bus: InProcessBus) -> None:
        self.events: list[tuple[str, JobEvent]] = []
        self._lock = threading.Lock()
        bus.subscribe("jobs.>", self._on)

    def _on(self, topic: str, msg: Any) -> None:
        with self._lock:
            self.events.append((topic, msg))

    def for_job(self, job_id: str) -> list[JobEvent]:
        with self._lock:
            return [m for t, m in self.events if t == f"jobs.{job_id}"]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/j.db")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def bus() -> InProcessBus:
    return InProcessBus()


@pytest.fixture
def events(bus: InProcessBus) -> EventLog:
    return EventLog(bus)


@pytest.fixture
def runner(db: Database, bus: InProcessBus) -> Iterator[LocalJobRunner]:
    r = LocalJobRunner(db, bus, max_workers=2, cancel_grace=0.5)
    r.start()
    yield r
    r.stop()
