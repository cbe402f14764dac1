"""JobRepository mapping on SQLite and PostgreSQL, and the built-in ``system.checksum`` kind."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nautilus.bus.memory import InProcessBus
from nautilus.jobs.base import JOB_KINDS, JobRecord, JobState
from nautilus.jobs.local import LocalJobRunner
from nautilus.jobs.repository import JobRepository
from nautilus.persistence.db import Database
from tests.unit.jobs.conftest import EventLog


def _record(job_id: str) -> JobRecord:
    return JobRecord(
        id=job_id,
        kind="test.sum",
        owner_id="owner-1",
        state=JobState.QUEUED,
        params={"n": 7, "nested": {"a": [1.5, None]}},
        progress=0.0,
        message=None,
        result=None,
        error=None,
        backend="local",
        created_at=datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC),
        started_at=None,
        finished_at=None,
    )


def test_repository_round_trip_and_conditional_transitions(db: Database) -> None:
    repo = JobRepository(db)
    repo.add(_record("j1"))
    got = repo.get("j1")
    assert got == _record("j1")  # datetimes come back aware UTC, JSON params intact
    assert repo.find("missing") is None

    assert repo.transition("j1", [JobState.QUEUED], JobState.RUNNING, progress=0.0)
    assert not repo.transition("j1", [JobState.QUEUED], JobState.CANCELLED)
    assert repo.update_live("j1", progress=0.5, message="half")
    done = datetime(2026, 3, 4, 5, 7, 0, tzinfo=UTC)
    assert repo.transition(
        "j1", [JobState.RUNNING], JobState.SUCCEEDED, result={"x": 1}, finished_at=done
    )
    assert not repo.update_live("j1", progress=0.9)  # terminal rows are frozen
    final = repo.get("j1")
    assert final.state == JobState.SUCCEEDED and final.progress == 0.5
    assert final.result == {"x": 1} and final.finished_at == done
    assert repo.count(JobState.SUCCEEDED) == 1 and repo.count(JobState.QUEUED) == 0
    with pytest.raises(ValueError):
        repo.update_live("j1", state="queued")


@pytest.mark.postgres
def test_job_record_persisted_on_postgresql(pg_url: str) -> None:
    db = Database(pg_url)
    db.migrate()
    bus = InProcessBus()
    events = EventLog(bus)
    runner = LocalJobRunner(db, bus)
    runner.start()
    try:
        job_id = runner.submit("test.sum", {"n": 100, "steps": 2}, owner_id="pg-user")
        record = runner.wait(job_id, timeout=30)
        failed = runner.wait(runner.submit("test.fail", {}), timeout=30)
    finally:
        runner.stop()
    assert record.state == JobState.SUCCEEDED and record.result is not None
    assert record.result["sum"] == 5050
    assert record.started_at is not None and record.started_at.tzinfo is not None
    assert failed.error is not None and failed.error.startswith("ValueError: bad input")
    # A fresh connection sees the committed rows.
    other = JobRepository(Database(pg_url))
    assert other.get(job_id) == record
    assert [r.id for r in other.list(owner_id="pg-user")] == [job_id]
    assert [e.state for e in events.for_job(job_id)][-1] == "succeeded"
    other.db.dispose()
    db.dispose()


def test_builtin_checksum_matches_hashlib(runner: LocalJobRunner, tmp_path: Path) -> None:
    root = tmp_path / "dataset"
    (root / "bars").mkdir(parents=True)
    files = {
        "bars/AAPL.csv": b"ts,close\n1,187.5\n2,188.0\n",
        "bars/MSFT.csv": b"ts,close\n1,410.1\n",
        "meta.json": b'{"source": "test"}' * 5000,
    }
    for rel, data in files.items():
        (root / rel).write_bytes(data)

    record = runner.wait(runner.submit("system.checksum", {"path": str(root)}), timeout=30)
    assert record.state == JobState.SUCCEEDED
    result = record.result
    assert result is not None
    assert result["files"] == 3 and result["bytes"] == sum(len(d) for d in files.values())
    for rel, data in files.items():
        assert result["manifest"][rel] == hashlib.sha256(data).hexdigest()
    manifest = hashlib.sha256()
    for rel in sorted(files):
        line = f"{rel}\t{len(files[rel])}\t{hashlib.sha256(files[rel]).hexdigest()}\n"
        manifest.update(line.encode())
    assert result["digest"] == manifest.hexdigest()
    assert result["manifest_truncated"] is False

    single = runner.wait(
        runner.submit("system.checksum", {"path": str(root / "meta.json"), "algorithm": "blake2b"}),
        timeout=30,
    )
    assert single.result is not None
    expected = hashlib.blake2b(files["meta.json"]).hexdigest()
    assert single.result["manifest"] == {"meta.json": expected}

    missing = runner.wait(
        runner.submit("system.checksum", {"path": str(tmp_path / "nope")}), timeout=30
    )
    assert missing.state == JobState.FAILED
    assert missing.error is not None and missing.error.startswith("NotFoundError: no such file")


def test_builtin_kind_is_registered_with_schema() -> None:
    spec = JOB_KINDS.spec("system.checksum")
    described = spec.describe()
    assert described["parameters"]["required"] == ["path"]
    assert "system" in described["tags"]
