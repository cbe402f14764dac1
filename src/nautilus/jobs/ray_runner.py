"""The Ray job runner: one Ray task per job, same contract as the local runner.

``address`` selects the cluster: ``None`` or ``"local"`` starts a local Ray instance (owned by
the runner and shut down by ``stop()``), ``"auto"`` joins the cluster on this machine, and a
``ray://host:port`` address connects through Ray Client. Ray is imported only in ``start()``,
so this module imports on machines without a running Ray.

Progress crosses back through a small actor, the *progress board*: a task reports
``("started", pid)`` and ``("progress", fraction, message)`` to it without waiting, and checks
the cancel flag there (cached for ``CANCEL_POLL_S``). Before returning, a task makes one
synchronous call to the board, so every report it sent is on the board before its result is
visible. A relay thread in the driver drains the board every ``poll_interval`` seconds,
publishes ``JobEvent``s and persists progress (throttled), and finishes jobs as their object
refs resolve. A job is ``running`` from its ``started`` report, so jobs waiting for cluster
resources stay ``queued``.

Cancellation sets the board flag first; after ``cancel_grace`` seconds the task is cancelled
with ``ray.cancel(ref, force=True)`` (its worker process is killed). Tasks run with
``max_retries=0``: a worker that dies ends the job ``failed`` (a re-run is the job owner's
decision, or the restart policy's in :mod:`nautilus.jobs.runner`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import pydantic

from nautilus.bus.base import MessageBus
from nautilus.core.errors import NotFoundError, UnavailableError
from nautilus.jobs.base import JOB_KINDS, JobFunction, JobState
from nautilus.jobs.execution import Outcome, clamp_fraction, execute
from nautilus.jobs.runner import PersistentJobRunner
from nautilus.persistence.db import Database

log = logging.getLogger(__name__)

CANCEL_POLL_S = 0.25
"""How stale a task's view of its cancel flag may be, in seconds."""


class ProgressBoard:
    """Actor state: reports from running tasks and cancel flags, keyed by job id."""

    def __init__(self) -> None:
        self._reports: list[tuple[str, tuple[Any, ...]]] = []
        self._cancelled: set[str] = set()

    def report(self, job_id: str, item: tuple[Any, ...]) -> None:
        self._reports.append((job_id, item))

    def flush(self) -> bool:
        """A synchronous call a task makes last: earlier reports are now on the board."""
        return True

    def drain(self) -> list[tuple[str, tuple[Any, ...]]]:
        out, self._reports = self._reports, []
        return out

    def cancel(self, job_id: str) -> None:
        self._cancelled.add(job_id)

    def is_cancelled(self, job_id: str) -> bool:
        return job_id in self._cancelled

    def forget(self, job_id: str) -> None:
        self._cancelled.discard(job_id)


class BoardProgress:
    """The ``Progress`` handed to a job running as a Ray task."""

    def __init__(self, job_id: str, board: Any) -> None:
        self._job_id = job_id
        self._board = board
        self._cancelled = False
        self._checked = 0.0

    def update(self, fraction: float, message: str | None = None) -> None:
        """Report ``fraction`` done (0..1) and an optional message (does not wait)."""
        item = ("progress", clamp_fraction(fraction), None if message is None else str(message))
        self._board.report.remote(self._job_id, item)

    @property
    def cancelled(self) -> bool:
        """True once cancellation was asked for (checked at most every ``CANCEL_POLL_S``)."""
        if not self._cancelled and time.monotonic() - self._checked >= CANCEL_POLL_S:
            import ray

            self._cancelled = bool(ray.get(self._board.is_cancelled.remote(self._job_id)))
            self._checked = time.monotonic()
        return self._cancelled


def run_ray_task(
    job_id: str,
    fn: JobFunction,
    config: type[pydantic.BaseModel] | None,
    params: dict[str, Any],
    board: Any,
) -> Outcome:
    """Body of the Ray task of one job (wrapped with ``ray.remote`` at start)."""
    import ray

    board.report.remote(job_id, ("started", os.getpid()))
    outcome = execute(fn, config, params, BoardProgress(job_id, board))
    ray.get(board.flush.remote())
    return outcome


@dataclass(eq=False)
class _Task:
    job_id: str
    kind: str
    ref: Any
    started: bool = False
    progress: float = 0.0
    message: str | None = None
    dirty: bool = False
    last_persist: float = 0.0
    cancel_at: float | None = None
    force_cancelled: bool = False


class RayJobRunner(PersistentJobRunner):
    """Runs jobs as Ray tasks (see the module docstring)."""

    backend = "ray"

    def __init__(
        self,
        db: Database,
        bus: MessageBus,
        *,
        address: str | None = None,
        cancel_grace: float = 2.0,
        persist_interval: float = 0.2,
        poll_interval: float = 0.1,
        num_cpus_per_job: float = 1.0,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(db, bus)
        self.address = address
        self.cancel_grace = cancel_grace
        self.persist_interval = persist_interval
        self.poll_interval = poll_interval
        self.num_cpus_per_job = num_cpus_per_job
        self.init_options = dict(init_options or {})
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._tasks: dict[str, _Task] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._wake = threading.Event()
        self._owns_ray = False
        self._board: Any = None
        self._remote: Any = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect to (or start) Ray, create the progress board, recover, start the relay."""
        if self._thread is not None and self._thread.is_alive():
            return
        import ray

        if not ray.is_initialized():
            local = self.address in (None, "local")
            options = {"include_dashboard": False, "log_to_driver": False, **self.init_options}
            try:
                ray.init(address=None if local else self.address, **options)
            except Exception as exc:
                raise UnavailableError(
                    f"cannot reach Ray at {self.address or 'local'}: {exc}", code="ray_unavailable"
                ) from exc
            self._owns_ray = True
        self._board = ray.remote(num_cpus=0)(ProgressBoard).remote()
        self._remote = ray.remote(max_retries=0)(run_ray_task)
        self._stopping = False
        queued = self.recover()
        with self._lock:
            self._pending.extend(j for j in queued if j not in self._pending)
        self._thread = threading.Thread(target=self._relay, name="ray-job-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Cancel active jobs, join the relay, shut Ray down if this runner started it."""
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._stopping = True
            self._pending.clear()
            tasks = list(self._tasks.values())
        for task in tasks:
            self._request_cancel(task)
        self._wake.set()
        thread.join(timeout=2 * self.cancel_grace + 15)
        if thread.is_alive():
            log.error("ray job relay did not stop in time")
        self._thread = None
        import ray

        if self._board is not None:
            try:
                ray.kill(self._board)
            except Exception:
                log.exception("could not kill the progress board actor")
            self._board = None
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    def health(self) -> dict[str, Any]:
        alive = self._thread is not None and self._thread.is_alive()
        with self._lock:
            active, pending = len(self._tasks), len(self._pending)
        return {
            "healthy": alive,
            "backend": self.backend,
            "address": self.address or "local",
            "active": active,
            "queued": pending,
        }

    # -- backend hooks --------------------------------------------------------------------------

    def _schedule(self, job_id: str) -> None:
        with self._lock:
            if not self._stopping:
                self._pending.append(job_id)
        self._wake.set()

    def _cancel_active(self, job_id: str) -> bool:
        with self._lock:
            queued = job_id in self._pending
            if queued:
                self._pending.remove(job_id)
            task = self._tasks.get(job_id)
        if queued:
            kind = self.repo.get(job_id).kind
            self.finish(job_id, kind, JobState.CANCELLED, (JobState.QUEUED,), message="cancelled")
            return True
        if task is None:
            return False
        self._request_cancel(task)
        self._wake.set()
        return True

    def _request_cancel(self, task: _Task) -> None:
        if task.cancel_at is not None:
            return
        task.cancel_at = time.monotonic()
        if self._board is not None:
            self._board.cancel.remote(task.job_id)

    # -- relay ----------------------------------------------------------------------------------

    def _relay(self) -> None:
        while True:
            with self._lock:
                if self._stopping and not self._tasks:
                    return
            try:
                self._submit_pending()
                self._step()
            except Exception:
                log.exception("ray job relay iteration failed")
                time.sleep(self.poll_interval)

    def _submit_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for job_id in pending:
            record = self.repo.find(job_id)
            if record is None or record.state != JobState.QUEUED:
                continue
            try:
                spec = JOB_KINDS.spec(record.kind)
            except NotFoundError as exc:
                self.finish(
                    job_id,
                    record.kind,
                    JobState.FAILED,
                    (JobState.QUEUED,),
                    error=f"UnknownJobKind: {exc}",
                )
                continue
            ref = self._remote.options(num_cpus=self.num_cpus_per_job).remote(
                job_id, spec.obj, spec.config, record.params, self._board
            )
            with self._lock:
                self._tasks[job_id] = _Task(job_id, record.kind, ref)

    def _step(self) -> None:
        import ray

        if self._board is None:
            time.sleep(self.poll_interval)
            return
        with self._lock:
            tasks = list(self._tasks.values())
        if tasks:
            refs = [t.ref for t in tasks]
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=self.poll_interval)
        else:
            self._wake.wait(self.poll_interval)
            self._wake.clear()
            ready = []
        # Drain after the wait: a ready task flushed its reports to the board before returning.
        self._apply_reports(ray.get(self._board.drain.remote()))
        done = {id(r) for r in ready}
        for task in tasks:
            if id(task.ref) in done:
                self._finish_task(task)
        self._enforce_cancel()
        self._flush_progress()

    def _apply_reports(self, reports: list[tuple[str, tuple[Any, ...]]]) -> None:
        with self._lock:
            tasks = dict(self._tasks)
        for job_id, item in reports:
            task = tasks.get(job_id)
            if task is None:
                continue
            if item[0] == "started" and not task.started:
                task.started = self.mark_running(job_id, task.kind)
            elif item[0] == "progress":
                task.progress, task.message = float(item[1]), item[2]
                task.dirty = True
                self.publish(job_id, task.kind, JobState.RUNNING, task.progress, task.message)

    def _enforce_cancel(self) -> None:
        import ray

        now = time.monotonic()
        with self._lock:
            tasks = [t for t in self._tasks.values() if t.cancel_at is not None]
        for task in tasks:
            if task.cancel_at is None or task.force_cancelled:
                continue
            if now - task.cancel_at >= self.cancel_grace:
                task.force_cancelled = True
                ray.cancel(task.ref, force=True)

    def _flush_progress(self) -> None:
        now = time.monotonic()
        with self._lock:
            tasks = list(self._tasks.values())
        for task in tasks:
            if task.dirty and now - task.last_persist >= self.persist_interval:
                self.repo.update_live(task.job_id, progress=task.progress, message=task.message)
                task.dirty, task.last_persist = False, now

    def _finish_task(self, task: _Task) -> None:
        import ray
        from ray.exceptions import RayError

        outcome: Outcome | None = None
        failure: str | None = None
        try:
            outcome = ray.get(task.ref)
        except RayError as exc:
            text = str(exc).strip()
            first = text.splitlines()[0] if text else "the task's worker stopped"
            failure = f"WorkerDied: {type(exc).__name__}: {first}"
        fields: dict[str, Any] = {"progress": task.progress, "message": task.message}
        live = (JobState.QUEUED, JobState.RUNNING)
        if task.cancel_at is not None:
            state = JobState.CANCELLED
            partial = outcome.result if outcome is not None and outcome.ok else None
            fields.update(message="cancelled", error=None, result=partial)
        elif outcome is not None and outcome.ok:
            state = JobState.SUCCEEDED
            fields.update(result=outcome.result, progress=1.0)
        else:
            state = JobState.FAILED
            fields.update(error=outcome.error if outcome is not None else failure)
        self.finish(task.job_id, task.kind, state, live, **fields)
        self._board.forget.remote(task.job_id)
        with self._lock:
            self._tasks.pop(task.job_id, None)
