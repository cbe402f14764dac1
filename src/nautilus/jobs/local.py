"""The local job runner: one worker process per job, at most ``max_workers`` at a time.

Workers come from the ``forkserver`` multiprocessing context (``spawn`` where there is no fork
server): the fork server preloads :mod:`nautilus.jobs.worker`, so starting a job costs a fork
rather than a fresh interpreter, and a worker never inherits the parent's threads, sockets or
database connections. One supervisor thread in the parent

* starts queued jobs while fewer than ``max_workers`` run,
* relays each worker's progress to the bus (every update) and to the job row (at most every
  ``persist_interval`` seconds, the final value always),
* finishes a job when its worker exits: ``succeeded`` with the result, ``failed`` with the
  error (exception type, message, traceback) or the exit code of a worker that died
  (``os._exit``, a signal, a segfault), ``cancelled`` if cancellation was asked for,
* enforces cancellation: the cooperative flag first (``progress.cancelled``), then SIGTERM
  after ``cancel_grace`` seconds and SIGKILL after as long again.

Like any ``multiprocessing`` user, a script that runs jobs must guard its entry point with
``if __name__ == "__main__":`` (workers import the main module); the ``nautilus`` command,
uvicorn and notebooks need nothing.

``stop()`` cancels running jobs and joins the thread; jobs still queued stay ``queued`` in the
database and run after the next ``start()``. Restart recovery is described in
:mod:`nautilus.jobs.runner`.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from typing import Any

from nautilus.bus.base import MessageBus
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.jobs.base import JOB_KINDS, JobState
from nautilus.jobs.execution import Outcome
from nautilus.jobs.runner import PersistentJobRunner
from nautilus.jobs.worker import PARENT_GONE_EXIT, run_job_process
from nautilus.persistence.db import Database

log = logging.getLogger(__name__)


def worker_context() -> BaseContext:
    """``forkserver`` (preloading the worker module) where available, else ``spawn``."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["nautilus.jobs.worker"])
        return ctx
    return mp.get_context("spawn")


def describe_exit(exitcode: int | None) -> str:
    """Human text for a worker exit code (negative = killed by that signal)."""
    if exitcode is None:
        return "worker process did not exit"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"WorkerDied: worker process was killed by {name}"
    if exitcode == PARENT_GONE_EXIT:
        return "WorkerDied: worker process lost its parent"
    return f"WorkerDied: worker process exited with code {exitcode} before reporting a result"


@dataclass(eq=False)
class _Running:
    """Parent-side state of one running job."""

    job_id: str
    kind: str
    process: Any
    events: Connection
    control: Connection
    events_open: bool = True
    progress: float = 0.0
    message: str | None = None
    last_persist: float = 0.0
    dirty: bool = False
    outcome: Outcome | None = None
    cancel_at: float | None = None
    terminate_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class LocalJobRunner(PersistentJobRunner):
    """Runs jobs in local worker processes (see the module docstring)."""

    backend = "local"

    def __init__(
        self,
        db: Database,
        bus: MessageBus,
        *,
        max_workers: int = 2,
        cancel_grace: float = 2.0,
        persist_interval: float = 0.2,
    ) -> None:
        if max_workers < 1:
            raise ValidationError("max_workers must be >= 1", code="invalid_max_workers")
        super().__init__(db, bus)
        self.max_workers = max_workers
        self.cancel_grace = cancel_grace
        self.persist_interval = persist_interval
        self._ctx = worker_context()
        self._lock = threading.Lock()
        self._pending: deque[str] = deque()
        self._running: dict[str, _Running] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._wake_r, self._wake_w = mp.Pipe(duplex=False)
        self.peak_running = 0
        """Most jobs seen running at once since construction (for tests and metrics)."""

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs left by a crash, then start the supervisor thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        queued = self.recover()
        with self._lock:
            known = set(self._pending)
            self._pending.extend(j for j in queued if j not in known)
        self._thread = threading.Thread(target=self._supervise, name="job-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Cancel running jobs, wait for their workers (bounded) and join the thread."""
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._stopping = True
            for job in self._running.values():
                self._request_cancel(job)
            self._pending.clear()
        self._wake()
        thread.join(timeout=2 * self.cancel_grace + 10)
        if thread.is_alive():
            log.error("job supervisor did not stop in time")
        self._thread = None

    def health(self) -> dict[str, Any]:
        alive = self._thread is not None and self._thread.is_alive()
        with self._lock:
            running, pending = len(self._running), len(self._pending)
        return {
            "healthy": alive,
            "backend": self.backend,
            "max_workers": self.max_workers,
            "running": running,
            "queued": pending,
        }

    # -- backend hooks --------------------------------------------------------------------------

    def _schedule(self, job_id: str) -> None:
        with self._lock:
            if not self._stopping:
                self._pending.append(job_id)
        self._wake()

    def _cancel_active(self, job_id: str) -> bool:
        job: _Running | None = None
        with self._lock:
            queued = job_id in self._pending
            if queued:
                self._pending.remove(job_id)
            else:
                job = self._running.get(job_id)
                if job is not None:
                    self._request_cancel(job)
        if queued:
            kind = self.repo.get(job_id).kind
            self.finish(job_id, kind, JobState.CANCELLED, (JobState.QUEUED,), message="cancelled")
            return True
        if job is None:
            return False
        self._wake()
        return True

    def _request_cancel(self, job: _Running) -> None:
        """Set the cooperative flag; the supervisor escalates after the grace period."""
        if job.cancel_at is not None:
            return
        job.cancel_at = time.monotonic()
        try:
            job.control.send("cancel")
        except OSError:
            pass

    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"w")
        except OSError:
            pass

    # -- supervisor -----------------------------------------------------------------------------

    def _supervise(self) -> None:
        while True:
            with self._lock:
                if self._stopping and not self._running:
                    return
            try:
                self._launch_ready()
                self._poll(timeout=0.2)
                self._enforce_cancel()
                self._flush_progress()
            except Exception:
                # The supervisor must outlive any single job's trouble (e.g. a database hiccup).
                log.exception("job supervisor iteration failed")
                time.sleep(0.2)

    def _launch_ready(self) -> None:
        while True:
            with self._lock:
                if self._stopping or not self._pending or len(self._running) >= self.max_workers:
                    return
                job_id = self._pending.popleft()
            self._launch(job_id)

    def _launch(self, job_id: str) -> None:
        record = self.repo.find(job_id)
        if record is None or record.state != JobState.QUEUED:
            return
        try:
            spec = JOB_KINDS.spec(record.kind)
        except NotFoundError as exc:
            if self.mark_running(job_id, record.kind):
                self.finish(job_id, record.kind, JobState.FAILED, error=f"UnknownJobKind: {exc}")
            return
        if not self.mark_running(job_id, record.kind):
            return
        events_r, events_w = self._ctx.Pipe(duplex=False)
        control_r, control_w = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=run_job_process,
            args=(spec.obj, spec.config, record.params, events_w, control_r),
            name=f"nautilus-job-{job_id}",
            daemon=True,
        )
        try:
            process.start()
        except Exception as exc:  # e.g. a job function that cannot be pickled by reference
            for conn in (events_r, events_w, control_r, control_w):
                conn.close()
            self.finish(
                job_id,
                record.kind,
                JobState.FAILED,
                error=f"WorkerStartFailed: {type(exc).__name__}: {exc}",
            )
            return
        events_w.close()
        control_r.close()
        job = _Running(job_id, record.kind, process, events_r, control_w)
        with self._lock:
            self._running[job_id] = job
            self.peak_running = max(self.peak_running, len(self._running))
            if self._stopping:
                self._request_cancel(job)

    def _poll(self, timeout: float) -> None:
        with self._lock:
            jobs = list(self._running.values())
        handles: dict[Any, tuple[str, _Running | None]] = {self._wake_r: ("wake", None)}
        for job in jobs:
            if job.events_open:
                handles[job.events] = ("events", job)
            handles[job.process.sentinel] = ("exit", job)
        ready = wait(list(handles), timeout=timeout)
        exited: list[_Running] = []
        for handle in ready:
            what, owner = handles[handle]
            if what == "wake":
                self._drain_wake()
            elif what == "events" and owner is not None:
                self._read_events(owner, block_first=True)
            elif owner is not None:
                exited.append(owner)
        for job in exited:
            self._read_events(job, block_first=False)
            self._finish_exited(job)

    def _drain_wake(self) -> None:
        while self._wake_r.poll():
            self._wake_r.recv_bytes()

    def _read_events(self, job: _Running, *, block_first: bool) -> None:
        """Read every message available on the job's pipe (one read may block briefly)."""
        first = block_first
        while job.events_open and (first or job.events.poll()):
            first = False
            try:
                msg = job.events.recv()
            except (EOFError, OSError):
                job.events_open = False
                return
            self._handle_event(job, msg)

    def _handle_event(self, job: _Running, msg: tuple[Any, ...]) -> None:
        tag = msg[0]
        if tag == "progress":
            job.progress, job.message = float(msg[1]), msg[2]
            job.dirty = True
            self.publish(job.job_id, job.kind, JobState.RUNNING, job.progress, job.message)
        elif tag == "outcome":
            job.outcome = msg[1]
        elif tag == "started":
            job.extra["pid"] = msg[1]

    def _flush_progress(self) -> None:
        now = time.monotonic()
        with self._lock:
            jobs = list(self._running.values())
        for job in jobs:
            if job.dirty and now - job.last_persist >= self.persist_interval:
                self.repo.update_live(job.job_id, progress=job.progress, message=job.message)
                job.dirty = False
                job.last_persist = now

    def _enforce_cancel(self) -> None:
        now = time.monotonic()
        with self._lock:
            jobs = [j for j in self._running.values() if j.cancel_at is not None]
        for job in jobs:
            if job.cancel_at is None or not job.process.is_alive():
                continue
            if job.terminate_at is None and now - job.cancel_at >= self.cancel_grace:
                job.terminate_at = now
                job.process.terminate()
            elif job.terminate_at is not None and now - job.terminate_at >= self.cancel_grace:
                job.process.kill()

    def _finish_exited(self, job: _Running) -> None:
        job.process.join(timeout=5)
        exitcode = job.process.exitcode
        outcome = job.outcome
        fields: dict[str, Any] = {"progress": job.progress, "message": job.message}
        if job.cancel_at is not None:
            # Whatever the job did after the request, it ends cancelled; a result it still
            # returned is kept as a partial result.
            state = JobState.CANCELLED
            partial = outcome.result if outcome is not None and outcome.ok else None
            fields.update(message="cancelled", error=None, result=partial)
        elif outcome is not None and outcome.ok:
            state = JobState.SUCCEEDED
            fields.update(result=outcome.result, progress=1.0)
        elif outcome is not None:
            state = JobState.FAILED
            fields.update(error=outcome.error)
        else:
            state = JobState.FAILED
            fields.update(error=describe_exit(exitcode))
        self.finish(job.job_id, job.kind, state, **fields)
        for conn in (job.events, job.control):
            conn.close()
        job.process.close()
        with self._lock:
            self._running.pop(job.job_id, None)
