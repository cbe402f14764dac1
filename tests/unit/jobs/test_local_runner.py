"""LocalJobRunner: real worker processes, a real SQLite database and the in-process bus."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nautilus.bus.memory import InProcessBus
from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.jobs.base import JobState
from nautilus.jobs.local import LocalJobRunner
from nautilus.persistence.db import Database
from tests.unit.jobs.conftest import EventLog


def test_success_stores_result_and_publishes_progress_in_order(
    runner: LocalJobRunner, events: EventLog
) -> None:
    job_id = runner.submit("test.sum", {"n": 1000, "steps": 4}, owner_id="u1")
    record = runner.wait(job_id, timeout=30)

    assert record.state == JobState.SUCCEEDED
    assert record.result is not None and record.result["sum"] == 1000 * 1001 // 2
    assert record.progress == 1.0
    assert record.message == "step 4/4"
    assert record.params == {"n": 1000, "steps": 4, "delay_s": 0.0}
    assert record.owner_id == "u1" and record.backend == "local"
    assert record.started_at is not None and record.finished_at is not None
    assert record.created_at <= record.started_at <= record.finished_at
    assert record.created_at.tzinfo is not None

    seen = [(e.state, e.progress, e.message) for e in events.for_job(job_id)]
    assert seen == [
        ("queued", 0.0, None),
        ("running", 0.0, None),
        ("running", 0.25, "step 1/4"),
        ("running", 0.5, "step 2/4"),
        ("running", 0.75, "step 3/4"),
        ("running", 1.0, "step 4/4"),
        ("succeeded", 1.0, "step 4/4"),
    ]
    stamps = [e.ts_event for e in events.for_job(job_id)]
    assert stamps == sorted(stamps)
    assert all(e.job_id == job_id and e.kind == "test.sum" for e in events.for_job(job_id))


def test_job_runs_in_another_process(runner: LocalJobRunner) -> None:
    record = runner.wait(runner.submit("test.sum", {"n": 3}), timeout=30)
    assert record.result is not None and record.result["pid"] != os.getpid()


def test_kind_without_params_model_gets_its_dict(runner: LocalJobRunner) -> None:
    record = runner.wait(runner.submit("test.echo", {"a": [1, 2], "b": "x"}), timeout=30)
    assert record.state == JobState.SUCCEEDED
    assert record.result == {"echo": {"a": [1, 2], "b": "x"}}


def test_threads_left_behind_do_not_keep_a_finished_job_running(runner: LocalJobRunner) -> None:
    t0 = time.monotonic()
    record = runner.wait(runner.submit("test.linger", {}), timeout=30)
    assert record.state == JobState.SUCCEEDED and record.result == {"done": True}
    assert time.monotonic() - t0 < 10


def test_bad_params_raise_validation_error_listing_each_problem(runner: LocalJobRunner) -> None:
    with pytest.raises(ValidationError) as info:
        runner.submit("test.sum", {"n": 0, "colour": "red"})
    err = info.value
    assert err.code == "invalid_job_params" and err.status == 422
    locs = sorted(tuple(e["loc"]) for e in err.extra["errors"])
    assert locs == [("colour",), ("n",)]
    assert "n:" in err.detail and "colour:" in err.detail
    with pytest.raises(ValidationError):
        runner.submit("test.sum", {})  # n is required
    with pytest.raises(ValidationError):
        runner.submit("test.echo", {"x": float("nan")})
    assert runner.list() == []  # nothing acknowledged


def test_unknown_kind_is_not_found(runner: LocalJobRunner) -> None:
    with pytest.raises(NotFoundError) as info:
        runner.submit("no.such.kind", {})
    assert info.value.code == "unknown_job"
    with pytest.raises(NotFoundError) as info2:
        runner.get("nonexistent")
    assert info2.value.code == "job_not_found"


def test_raising_job_ends_failed_with_type_message_and_traceback(
    runner: LocalJobRunner, events: EventLog
) -> None:
    record = runner.wait(runner.submit("test.fail", {"reason": "no data for AAPL"}), timeout=30)
    assert record.state == JobState.FAILED
    assert record.error is not None
    assert record.error.startswith("ValueError: no data for AAPL\n")
    assert "Traceback" in record.error and "run_fail" in record.error
    assert record.progress == 0.5 and record.result is None
    last = events.for_job(record.id)[-1]
    assert last.state == "failed" and last.error == "ValueError: no data for AAPL"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"how": "exit", "code": 3}, "exited with code 3"),
        ({"how": "segfault"}, "killed by SIGSEGV"),
    ],
)
def test_dying_worker_ends_failed_and_never_hangs(
    runner: LocalJobRunner, params: dict[str, object], expected: str
) -> None:
    t0 = time.monotonic()
    record = runner.wait(runner.submit("test.crash", params), timeout=30)
    assert time.monotonic() - t0 < 10
    assert record.state == JobState.FAILED
    assert record.error is not None and expected in record.error
    assert record.error.startswith("WorkerDied:")
    # The runner keeps working after a worker died.
    assert runner.wait(runner.submit("test.sum", {"n": 10}), timeout=30).state == "succeeded"


def test_cancel_queued_job_never_runs(db: Database, bus: InProcessBus, events: EventLog) -> None:
    r = LocalJobRunner(db, bus, max_workers=1, cancel_grace=0.3)
    r.start()
    try:
        blocker = r.submit("test.sleep", {"seconds": 30})
        queued = r.submit("test.sum", {"n": 5})
        assert r.get(queued).state == JobState.QUEUED
        assert r.queue_depth() >= 1
        record = r.cancel(queued)
        assert record.state == JobState.CANCELLED and record.started_at is None
        assert [e.state for e in events.for_job(queued)] == ["queued", "cancelled"]
        r.cancel(blocker)
        assert r.wait(blocker, timeout=10).state == JobState.CANCELLED
        with pytest.raises(ConflictError) as info:
            r.cancel(queued)
        assert info.value.code == "job_finished"
    finally:
        r.stop()


def test_cancel_running_cooperative_job_is_quick(runner: LocalJobRunner) -> None:
    job_id = runner.submit("test.sleep", {"seconds": 60, "cooperative": True})
    _wait_for(lambda: runner.get(job_id).message == "sleeping")
    t0 = time.monotonic()
    runner.cancel(job_id)
    record = runner.wait(job_id, timeout=10)
    assert record.state == JobState.CANCELLED
    assert time.monotonic() - t0 < 2.0
    assert record.finished_at is not None
    assert record.result == {"cancelled": True}  # what the job returned when it noticed


def test_cancel_running_job_that_ignores_the_flag_is_terminated(runner: LocalJobRunner) -> None:
    job_id = runner.submit("test.sleep", {"seconds": 60, "cooperative": False})
    _wait_for(lambda: runner.get(job_id).state == JobState.RUNNING)
    t0 = time.monotonic()
    runner.cancel(job_id)
    record = runner.wait(job_id, timeout=10)
    assert record.state == JobState.CANCELLED
    assert time.monotonic() - t0 < 4.0  # grace 0.5 s, then SIGTERM
    with pytest.raises(ConflictError):
        runner.cancel(job_id)


def test_max_workers_is_respected(db: Database, bus: InProcessBus, tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    r = LocalJobRunner(db, bus, max_workers=2)
    r.start()
    try:
        ids = [
            r.submit("test.sleep", {"seconds": 0.5, "marker_dir": str(markers)}) for _ in range(5)
        ]
        assert r.queue_depth() >= 2
        records = [r.wait(i, timeout=60) for i in ids]
    finally:
        r.stop()
    assert all(rec.state == JobState.SUCCEEDED for rec in records)
    assert r.peak_running == 2
    spans = []
    for start in markers.glob("*.start"):
        end = start.with_suffix(".end")
        spans.append((float(start.read_text()), float(end.read_text())))
    assert len(spans) == 5
    # At any job's start, at most two jobs (itself included) were inside their span.
    for s, _ in spans:
        overlapping = sum(1 for a, b in spans if a <= s < b)
        assert overlapping <= 2
    assert r.queue_depth() == 0


def test_list_filters_and_pages_newest_first(runner: LocalJobRunner) -> None:
    ids = [runner.submit("test.sum", {"n": i + 1}, owner_id="alice") for i in range(5)]
    bob = runner.submit("test.fail", {}, owner_id="bob")
    for i in [*ids, bob]:
        runner.wait(i, timeout=30)

    alice = runner.list(owner_id="alice")
    assert [r.id for r in alice] == list(reversed(ids))
    page1 = runner.list(owner_id="alice", limit=2)
    page2 = runner.list(owner_id="alice", limit=2, offset=2)
    page3 = runner.list(owner_id="alice", limit=2, offset=4)
    assert [r.id for r in page1 + page2 + page3] == list(reversed(ids))
    assert [r.id for r in runner.list(state=JobState.FAILED)] == [bob]
    assert runner.list(owner_id="bob", state=JobState.SUCCEEDED) == []
    assert len(runner.list()) == 6
    with pytest.raises(ValidationError):
        runner.list(limit=0)
    with pytest.raises(ValidationError):
        runner.list(offset=-1)


def test_wait_times_out_on_a_long_job(runner: LocalJobRunner) -> None:
    job_id = runner.submit("test.sleep", {"seconds": 30})
    with pytest.raises(TimeoutError):
        runner.wait(job_id, timeout=0.3)
    runner.cancel(job_id)
    assert runner.wait(job_id, timeout=10).state == JobState.CANCELLED


def test_stop_cancels_running_and_keeps_queued_for_next_start(
    db: Database, bus: InProcessBus
) -> None:
    r = LocalJobRunner(db, bus, max_workers=1, cancel_grace=0.3)
    r.start()
    running = r.submit("test.sleep", {"seconds": 60, "cooperative": False})
    _wait_for(lambda: r.get(running).state == JobState.RUNNING)
    queued = r.submit("test.sum", {"n": 4})
    t0 = time.monotonic()
    r.stop()
    assert time.monotonic() - t0 < 5
    assert r.health()["healthy"] is False
    assert r.get(running).state == JobState.CANCELLED
    assert r.get(queued).state == JobState.QUEUED

    r2 = LocalJobRunner(db, bus, max_workers=1)
    r2.start()
    try:
        done = r2.wait(queued, timeout=30)
        assert done.state == JobState.SUCCEEDED
        assert done.result is not None and done.result["sum"] == 10
    finally:
        r2.stop()


def test_submit_before_start_is_acknowledged_and_runs_after_start(
    db: Database, bus: InProcessBus
) -> None:
    r = LocalJobRunner(db, bus)
    job_id = r.submit("test.sum", {"n": 2})
    assert r.get(job_id).state == JobState.QUEUED and r.queue_depth() == 1
    r.start()
    try:
        assert r.wait(job_id, timeout=30).result["sum"] == 3  # type: ignore[index]
        health = r.health()
        assert health["healthy"] is True and health["backend"] == "local"
        assert health["max_workers"] == 2
    finally:
        r.stop()


def test_cancel_without_a_running_runner_cancels_the_row(db: Database, bus: InProcessBus) -> None:
    r = LocalJobRunner(db, bus)
    job_id = r.submit("test.sum", {"n": 2})
    assert r.cancel(job_id).state == JobState.CANCELLED


def test_ray_runner_module_imports_without_ray() -> None:
    code = (
        "import sys, nautilus.jobs.ray_runner as m; "
        "print('ray' in sys.modules, m.RayJobRunner.backend)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "ray"]


def _wait_for(cond: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
