"""What every job runner backend shares: records, events, waiting, cancellation, recovery.

Lifecycle of a job (``JobState``)::

    queued --> running --> succeeded | failed | cancelled
       \\--------------------------------------> cancelled

* ``submit`` validates params, inserts the ``queued`` row and commits it before returning the
  id: a returned id is an acknowledged job that survives a crash of the server process.
* Every state change and every progress update publishes a :class:`JobEvent` on
  ``jobs.<id>`` (``Lane.NORMAL``).
* Recovery on ``start()`` (after a crash or a SIGKILL): rows still ``queued`` are scheduled
  again in the order they were acknowledged; rows left ``running`` are re-queued **once**
  (progress reset, ``error`` noting the interruption). A job found ``running`` again at the
  next restart, i.e. one interrupted twice, ends ``failed`` with "interrupted by restart"
  instead of being retried forever (a job that takes the server down with it would
  otherwise crash-loop it).
"""

from __future__ import annotations

import abc
import builtins
import logging
import threading
import time
from typing import Any

from nautilus.bus.base import Lane, MessageBus
from nautilus.core.errors import ConflictError, ValidationError
from nautilus.core.ids import new_id
from nautilus.core.time import now_ns
from nautilus.jobs.base import JOB_KINDS, JobEvent, JobRecord, JobRunner, JobState
from nautilus.jobs.execution import error_summary, validate_params
from nautilus.jobs.repository import JobRepository, utc_now
from nautilus.persistence.db import Database

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by restart"
"""Prefix of the ``error`` note on a job re-queued after a crash (and of its final error)."""

LIVE = (JobState.QUEUED, JobState.RUNNING)


def job_topic(job_id: str) -> str:
    """The bus topic of a job's events."""
    return f"jobs.{job_id}"


class PersistentJobRunner(JobRunner):
    """A :class:`JobRunner` whose state lives in the ``jobs`` table; backends add execution.

    Subclasses implement :meth:`_schedule` (a queued job id to run) and
    :meth:`_cancel_active` (cancel a job this runner has scheduled or is running).
    """

    backend: str = "base"

    def __init__(self, db: Database, bus: MessageBus) -> None:
        from nautilus.jobs.catalog import load_job_kinds

        load_job_kinds()
        self.db = db
        self.bus = bus
        self.repo = JobRepository(db)
        self._changed = threading.Condition()

    # -- submission and queries ---------------------------------------------------------------

    def submit(self, kind: str, params: dict[str, Any], *, owner_id: str | None = None) -> str:
        """Validate, persist as ``queued`` (committed = acknowledged), schedule; return the id."""
        spec = JOB_KINDS.spec(kind)
        clean = validate_params(spec, params)
        record = JobRecord(
            id=new_id(),
            kind=kind,
            owner_id=owner_id,
            state=JobState.QUEUED,
            params=clean,
            progress=0.0,
            message=None,
            result=None,
            error=None,
            backend=self.backend,
            created_at=utc_now(),
            started_at=None,
            finished_at=None,
        )
        self.repo.add(record)
        self.publish(record.id, kind, JobState.QUEUED, 0.0)
        self._schedule(record.id)
        return record.id

    def get(self, job_id: str) -> JobRecord:
        return self.repo.get(job_id)

    def list(
        self,
        *,
        owner_id: str | None = None,
        state: JobState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        """Newest first; ``limit`` 1..10000, ``offset`` >= 0."""
        if not 1 <= limit <= 10_000 or offset < 0:
            raise ValidationError("limit must be in 1..10000 and offset >= 0", code="invalid_page")
        return self.repo.list(owner_id=owner_id, state=state, limit=limit, offset=offset)

    def wait(self, job_id: str, timeout: float | None = None) -> JobRecord:
        """Block until the job is terminal; TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.repo.get(job_id)
            if record.state.terminal:
                return record
            remaining = 0.25 if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"job {job_id} still {record.state.value} after {timeout} s")
            with self._changed:
                # Poll as well as wait: another process may finish the job (shared database).
                self._changed.wait(min(remaining, 0.25))

    def queue_depth(self) -> int:
        """Jobs acknowledged but not started yet (all ``queued`` rows)."""
        return self.repo.count(JobState.QUEUED)

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued or running job; ConflictError (``job_finished``) if terminal.

        A queued job is ``cancelled`` when this returns. A running job is asked to stop
        (``progress.cancelled``) and terminated after the backend's grace period; the
        returned record may still say ``running`` — :meth:`wait` for the final state.
        """
        record = self.repo.get(job_id)
        if record.state.terminal:
            raise ConflictError(
                f"job {job_id} is already {record.state.value}", code="job_finished"
            )
        if self._cancel_active(job_id):
            return self.repo.get(job_id)
        # Not scheduled here (e.g. the runner is not started): cancel the row directly.
        if self.finish(job_id, record.kind, JobState.CANCELLED, LIVE, message="cancelled"):
            return self.repo.get(job_id)
        now = self.repo.get(job_id)
        if now.state.terminal:
            raise ConflictError(f"job {job_id} is already {now.state.value}", code="job_finished")
        return now

    # -- state changes and events -------------------------------------------------------------

    def publish(
        self,
        job_id: str,
        kind: str,
        state: JobState,
        progress: float,
        message: str | None = None,
        error: str | None = None,
    ) -> None:
        """Publish a JobEvent on ``jobs.<id>``; a failing bus is logged, never fatal."""
        event = JobEvent(
            job_id=job_id,
            kind=kind,
            state=state.value,
            progress=progress,
            message=message,
            error=error_summary(error),
            ts_event=now_ns(),
        )
        try:
            self.bus.publish(job_topic(job_id), event, lane=Lane.NORMAL)
        except Exception:
            log.exception("could not publish job event for %s", job_id)

    def mark_running(self, job_id: str, kind: str) -> bool:
        """``queued`` -> ``running``; False if the job was cancelled meanwhile."""
        moved = self.repo.transition(
            job_id, [JobState.QUEUED], JobState.RUNNING, started_at=utc_now(), progress=0.0
        )
        if moved:
            self.publish(job_id, kind, JobState.RUNNING, 0.0)
        return moved

    def finish(
        self,
        job_id: str,
        kind: str,
        state: JobState,
        from_states: tuple[JobState, ...] = (JobState.RUNNING,),
        **fields: Any,
    ) -> bool:
        """Move a job to a terminal ``state``, publish it and wake waiters; True if it moved."""
        if state == JobState.SUCCEEDED:
            fields.setdefault("progress", 1.0)
            fields.setdefault("error", None)
        moved = self.repo.transition(job_id, from_states, state, finished_at=utc_now(), **fields)
        if moved:
            record = self.repo.get(job_id)
            self.publish(job_id, kind, state, record.progress, record.message, record.error)
            with self._changed:
                self._changed.notify_all()
        return moved

    def recover(self) -> builtins.list[str]:
        """Apply the restart policy (module docstring); return queued ids, oldest first."""
        for job_id in self.repo.ids_in_states([JobState.RUNNING]):
            record = self.repo.get(job_id)
            if record.error and record.error.startswith(INTERRUPTED):
                self.finish(
                    job_id,
                    record.kind,
                    JobState.FAILED,
                    error=f"{INTERRUPTED} twice; not re-queued again",
                )
                log.warning("job %s interrupted twice by restarts; marked failed", job_id)
                continue
            requeued = self.repo.transition(
                job_id,
                [JobState.RUNNING],
                JobState.QUEUED,
                progress=0.0,
                message="re-queued after restart",
                error=f"{INTERRUPTED} at {utc_now().isoformat()}; re-queued once",
                started_at=None,
            )
            if requeued:
                self.publish(job_id, record.kind, JobState.QUEUED, 0.0, "re-queued after restart")
                log.warning("job %s was running when the server stopped; re-queued", job_id)
        return self.repo.ids_in_states([JobState.QUEUED])

    # -- backend hooks --------------------------------------------------------------------------

    @abc.abstractmethod
    def _schedule(self, job_id: str) -> None:
        """Queue ``job_id`` (a committed ``queued`` row) for execution on this backend."""

    @abc.abstractmethod
    def _cancel_active(self, job_id: str) -> bool:
        """Cancel a job this runner holds (queued in memory or running); False if it holds none."""
