"""Restart recovery: acknowledged jobs survive a crash (SIGKILL) of the server process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nautilus.bus.memory import InProcessBus
from nautilus.jobs.base import JobRecord, JobState
from nautilus.jobs.local import LocalJobRunner
from nautilus.jobs.repository import JobRepository
from nautilus.jobs.runner import INTERRUPTED
from nautilus.persistence.db import Database
from tests.unit.jobs.conftest import EventLog

REPO_ROOT = Path(__file__).resolve().parents[3]


def _row(job_id: str, state: JobState, *, error: str | None = None, n: int = 10) -> JobRecord:
    t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(seconds=len(job_id))
    return JobRecord(
        id=job_id,
        kind="test.sum",
        owner_id=None,
        state=state,
        params={"n": n, "steps": 2, "delay_s": 0.0},
        progress=0.4 if state == JobState.RUNNING else 0.0,
        message=None,
        result=None,
        error=error,
        backend="local",
        created_at=t,
        started_at=t if state == JobState.RUNNING else None,
        finished_at=None,
    )


def test_start_requeues_running_once_and_fails_the_twice_interrupted(
    db: Database, bus: InProcessBus, events: EventLog
) -> None:
    repo = JobRepository(db)
    repo.add(_row("q1", JobState.QUEUED, n=3))
    repo.add(_row("run1", JobState.RUNNING, n=4))
    repo.add(_row("run22", JobState.RUNNING, n=5, error=f"{INTERRUPTED} at earlier; re-queued"))
    repo.add(_row("done333", JobState.SUCCEEDED, n=6))

    r = LocalJobRunner(db, bus)
    r.start()
    try:
        q1 = r.wait("q1", timeout=30)
        run1 = r.wait("run1", timeout=30)
        run22 = r.wait("run22", timeout=30)
    finally:
        r.stop()
    assert q1.state == JobState.SUCCEEDED and q1.result["sum"] == 6  # type: ignore[index]
    assert run1.state == JobState.SUCCEEDED and run1.result["sum"] == 10  # type: ignore[index]
    assert run1.error is None  # the interruption note is cleared by success
    assert run22.state == JobState.FAILED
    assert run22.error is not None and run22.error.startswith(f"{INTERRUPTED} twice")
    assert run22.result is None
    assert r.get("done333").state == JobState.SUCCEEDED
    assert [e.state for e in events.for_job("run1")][:2] == ["queued", "running"]
    assert events.for_job("run1")[0].message == "re-queued after restart"
    assert events.for_job("run22")[-1].state == "failed"


def test_requeued_job_interrupted_again_is_failed_at_next_start(
    db: Database, bus: InProcessBus
) -> None:
    repo = JobRepository(db)
    repo.add(_row("again", JobState.RUNNING))
    r = LocalJobRunner(db, bus)
    assert r.recover() == ["again"]  # first restart: re-queued
    rec = r.get("again")
    assert rec.state == JobState.QUEUED and rec.progress == 0.0 and rec.started_at is None
    assert rec.error is not None and rec.error.startswith(INTERRUPTED)
    assert r.mark_running("again", "test.sum")  # it starts again, then the server dies again
    assert r.recover() == []
    assert r.get("again").state == JobState.FAILED


_SERVER = textwrap.dedent(
    """
    import json, sys, time
    import tests.unit.jobs.kinds
    from nautilus.bus.memory import InProcessBus
    from nautilus.jobs.local import LocalJobRunner
    from nautilus.persistence.db import Database

    db = Database(sys.argv[1])
    runner = LocalJobRunner(db, InProcessBus(), max_workers=1)
    runner.start()
    params = {"seconds": 1.0, "cooperative": False, "marker_dir": sys.argv[2]}
    ids = [runner.submit("test.sleep", params) for _ in range(3)]
    print(json.dumps(ids), flush=True)
    time.sleep(120)
    """
)


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # a zombie no longer runs anything


def test_acknowledged_jobs_survive_sigkill_of_the_server(
    db: Database, bus: InProcessBus, tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, db.url, str(markers)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert server.stdout is not None
        ids = json.loads(server.stdout.readline())
        assert len(ids) == 3
        deadline = time.monotonic() + 30
        while not list(markers.glob("*.start")) and time.monotonic() < deadline:
            time.sleep(0.02)
        started = list(markers.glob("*.start"))
        assert len(started) == 1, "the first job never started"
        worker_pid = int(started[0].stem)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    # The orphaned worker notices its parent is gone and exits instead of running on.
    deadline = time.monotonic() + 10
    while not _gone(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(worker_pid)
    assert not (markers / f"{worker_pid}.end").exists()

    states = {i: JobRepository(db).get(i).state for i in ids}
    assert states[ids[0]] == JobState.RUNNING
    assert states[ids[1]] == states[ids[2]] == JobState.QUEUED

    r = LocalJobRunner(db, bus, max_workers=2)
    r.start()
    try:
        records = [r.wait(i, timeout=60) for i in ids]
    finally:
        r.stop()
    assert [rec.state for rec in records] == [JobState.SUCCEEDED] * 3
    assert all(rec.result == {"slept": 1.0} for rec in records)
    assert len(list(markers.glob("*.end"))) == 3
