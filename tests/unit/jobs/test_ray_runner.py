"""RayJobRunner against a local Ray started by the test (num_cpus=1, no dashboard)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from nautilus.bus.memory import InProcessBus
from nautilus.core.errors import ConflictError, UnavailableError, ValidationError
from nautilus.jobs.base import JobState
from nautilus.persistence.db import Database
from tests.unit.jobs.conftest import EventLog

if TYPE_CHECKING:
    from nautilus.jobs.ray_runner import RayJobRunner

pytestmark = [pytest.mark.ray, pytest.mark.slow]

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RayJobRunner, EventLog]]:
    from nautilus.jobs.ray_runner import RayJobRunner

    path = tmp_path_factory.mktemp("rayjobs") / "j.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    bus = InProcessBus()
    events = EventLog(bus)
    runner = RayJobRunner(db, bus, address="local", cancel_grace=1.0, init_options={"num_cpus": 1})
    # A loaded machine can make Ray's node start time out; that is Ray starting, not our code.
    for attempt in range(3):
        try:
            runner.start()
            break
        except UnavailableError:
            ray.shutdown()
            if attempt == 2:
                raise
            time.sleep(5)
    yield runner, events
    runner.stop()
    assert not ray.is_initialized()  # the runner started Ray, so it shut it down
    db.dispose()


def test_success_with_progress_in_order(ray_env: tuple[RayJobRunner, EventLog]) -> None:
    runner, events = ray_env
    job_id = runner.submit("test.sum", {"n": 1000, "steps": 4}, owner_id="r1")
    record = runner.wait(job_id, timeout=60)
    assert record.state == JobState.SUCCEEDED and record.backend == "ray"
    assert record.result is not None and record.result["sum"] == 500500
    assert record.started_at is not None and record.progress == 1.0
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
    with pytest.raises(ValidationError):
        runner.submit("test.sum", {"n": -1})


def test_failing_job_ends_failed_with_its_error(ray_env: tuple[RayJobRunner, EventLog]) -> None:
    runner, events = ray_env
    failed = runner.wait(runner.submit("test.fail", {"reason": "boom"}), timeout=60)
    assert failed.state == JobState.FAILED
    assert failed.error is not None and failed.error.startswith("ValueError: boom\n")
    assert "Traceback" in failed.error
    assert events.for_job(failed.id)[-1].error == "ValueError: boom"


def test_cancel_cooperative_forced_and_waiting_jobs(
    ray_env: tuple[RayJobRunner, EventLog],
) -> None:
    runner, _ = ray_env
    coop = runner.submit("test.sleep", {"seconds": 60, "cooperative": True})
    _wait_running(runner, coop)
    t0 = time.monotonic()
    runner.cancel(coop)
    record = runner.wait(coop, timeout=30)
    assert record.state == JobState.CANCELLED and record.result == {"cancelled": True}
    assert time.monotonic() - t0 < 5

    stubborn = runner.submit("test.sleep", {"seconds": 60, "cooperative": False})
    waiting = runner.submit("test.sum", {"n": 3})  # one CPU: waits for the stubborn job
    _wait_running(runner, stubborn)
    assert runner.get(waiting).state == JobState.QUEUED
    t0 = time.monotonic()
    runner.cancel(waiting)
    runner.cancel(stubborn)
    assert runner.wait(stubborn, timeout=30).state == JobState.CANCELLED
    assert runner.wait(waiting, timeout=30).state == JobState.CANCELLED
    assert time.monotonic() - t0 < 10  # grace 1 s, then ray.cancel(force=True)
    assert runner.get(waiting).started_at is None
    with pytest.raises(ConflictError):
        runner.cancel(stubborn)


def test_dead_worker_ends_failed(ray_env: tuple[RayJobRunner, EventLog]) -> None:
    runner, _ = ray_env
    crashed = runner.wait(runner.submit("test.crash", {"code": 3}), timeout=60)
    assert crashed.state == JobState.FAILED
    assert crashed.error is not None and crashed.error.startswith("WorkerDied:")
    assert runner.health()["healthy"] is True


def _wait_running(runner: RayJobRunner, job_id: str) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if runner.get(job_id).state == JobState.RUNNING:
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not start")
