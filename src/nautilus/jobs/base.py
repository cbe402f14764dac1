"""Long work is a job: backtests, sweeps, optimisations, training, backfills.

A job kind is a plain function registered in ``JOB_KINDS`` with a pydantic params model:

    @JOB_KINDS.register("example.sum", config=SumParams)
    def run_sum(params: SumParams, progress: Progress) -> dict: ...

It must be importable by name in a worker process (module-level function). It reports progress
with ``progress.update(fraction, message)``, checks ``progress.cancelled`` at safe points, and
returns a JSON-serialisable dict (the result). Raising ends the job ``failed`` with the error.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import msgspec

from nautilus.bus.base import message_type
from nautilus.core.registry import Registry


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class Progress(Protocol):
    """Handed to a running job function."""

    def update(self, fraction: float, message: str | None = None) -> None: ...

    @property
    def cancelled(self) -> bool: ...


JobFunction = Callable[[Any, Progress], dict[str, Any]]

JOB_KINDS: Registry[JobFunction] = Registry("job")
"""Job kinds by name, each with its params model as ``config``."""


@message_type
class JobEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Published on ``jobs.<id>`` at every state change and progress update."""

    job_id: str
    kind: str
    state: str
    progress: float
    message: str | None = None
    error: str | None = None
    ts_event: int


class JobRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A job as persisted in the relational store."""

    id: str
    kind: str
    owner_id: str | None
    state: JobState
    params: dict[str, Any]
    progress: float
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    backend: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobRunner(abc.ABC):
    """Submits registered job kinds to a backend and tracks them."""

    backend: str

    @abc.abstractmethod
    def submit(self, kind: str, params: dict[str, Any], *, owner_id: str | None = None) -> str:
        """Validate ``params`` against the kind's model, persist a queued record, return its id.

        Raises NotFoundError for an unknown kind, ValidationError for bad params.
        """

    @abc.abstractmethod
    def get(self, job_id: str) -> JobRecord:
        """Raises NotFoundError for an unknown id."""

    @abc.abstractmethod
    def list(
        self, *, owner_id: str | None = None, state: JobState | None = None, limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]: ...

    @abc.abstractmethod
    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued or running job; a terminal job raises ConflictError."""

    @abc.abstractmethod
    def wait(self, job_id: str, timeout: float | None = None) -> JobRecord:
        """Block until the job is terminal; TimeoutError after ``timeout`` seconds."""

    @abc.abstractmethod
    def queue_depth(self) -> int: ...

    def start(self) -> None:  # noqa: B027 - optional hook
        """Start workers; jobs left queued/running by a crash are re-queued or failed."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop workers; running jobs are cancelled."""

    @abc.abstractmethod
    def health(self) -> dict[str, Any]: ...
