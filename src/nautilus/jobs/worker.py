"""The child side of the local job runner: one process per job.

Two one-way pipes connect the child to the parent:

* ``events`` (child -> parent): ``("started", pid)``, ``("progress", fraction, message)``,
  then exactly one ``("outcome", Outcome)`` before a normal exit.
  The process exits right after the outcome, even if the job left threads running.
* ``control`` (parent -> child): ``"cancel"`` sets the flag read by ``progress.cancelled``.
  End-of-file on it means the parent process is gone (crashed or SIGKILLed): the child exits
  at once with :data:`PARENT_GONE_EXIT`, so no orphan keeps running after a server crash; the
  restarted server re-runs the job from its record.

Pipes rather than one shared ``multiprocessing.Queue``: a child that is terminated while it
holds a shared queue's lock would wedge every other job's progress; a pipe per job confines
the damage to that job.

This module stays light (no SQLAlchemy) because the fork server preloads it.
"""

from __future__ import annotations

import os
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

import pydantic

from nautilus.jobs.base import JobFunction
from nautilus.jobs.execution import clamp_fraction, execute

PARENT_GONE_EXIT = 75
"""Exit code of a worker whose parent disappeared."""


class PipeProgress:
    """The ``Progress`` handed to a job in a worker process."""

    def __init__(self, events: Connection, cancel_flag: threading.Event) -> None:
        self._events = events
        self._cancel = cancel_flag
        self._lock = threading.Lock()

    def update(self, fraction: float, message: str | None = None) -> None:
        """Report ``fraction`` done (0..1) and an optional human message."""
        value = clamp_fraction(fraction)
        with self._lock:
            self._events.send(("progress", value, None if message is None else str(message)))

    @property
    def cancelled(self) -> bool:
        """True once the parent asked for cancellation; the job should return soon."""
        return self._cancel.is_set()

    def send(self, item: tuple[Any, ...]) -> None:
        with self._lock:
            self._events.send(item)


def _watch_control(control: Connection, cancel_flag: threading.Event) -> None:
    while True:
        try:
            msg = control.recv()
        except (EOFError, OSError):
            os._exit(PARENT_GONE_EXIT)
        if msg == "cancel":
            cancel_flag.set()


def run_job_process(
    fn: JobFunction,
    config: type[pydantic.BaseModel] | None,
    params: dict[str, Any],
    events: Connection,
    control: Connection,
) -> None:
    """Entry point of a worker process: run one job and report through ``events``."""
    cancel_flag = threading.Event()
    watcher = threading.Thread(
        target=_watch_control, args=(control, cancel_flag), name="job-control", daemon=True
    )
    watcher.start()
    progress = PipeProgress(events, cancel_flag)
    progress.send(("started", os.getpid()))
    outcome = execute(fn, config, params, progress)
    progress.send(("outcome", outcome))
    events.close()
    # Exit now: threads the job left behind must not keep a finished job's process alive.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
