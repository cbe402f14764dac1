"""Job records in the relational store: maps ``JobRow`` (table) <-> ``JobRecord`` (domain).

State changes go through :meth:`JobRepository.transition`, a conditional ``UPDATE ... WHERE
state IN (...)``: a job that another thread (or process) already moved on is left alone, so a
terminal state is never overwritten. Datetimes are stored timezone-aware UTC; SQLite hands
them back naive, so they are re-tagged UTC on the way out.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from nautilus.core.errors import NotFoundError
from nautilus.jobs.base import JobRecord, JobState
from nautilus.persistence.db import Database
from nautilus.persistence.tables import JobRow

UPDATABLE_FIELDS = frozenset(
    {"progress", "message", "result", "error", "started_at", "finished_at", "params"}
)


def utc_now() -> datetime:
    """The current wall-clock time as an aware UTC datetime (the row's time columns)."""
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def row_to_record(row: JobRow) -> JobRecord:
    """Map a table row to the immutable domain record."""
    created = _aware(row.created_at)
    assert created is not None
    return JobRecord(
        id=row.id,
        kind=row.kind,
        owner_id=row.owner_id,
        state=JobState(row.state),
        params=dict(row.params or {}),
        progress=float(row.progress),
        message=row.message,
        result=dict(row.result) if row.result is not None else None,
        error=row.error,
        backend=row.backend,
        created_at=created,
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
    )


def record_to_row(record: JobRecord) -> JobRow:
    """Map a domain record to a new table row."""
    return JobRow(
        id=record.id,
        kind=record.kind,
        owner_id=record.owner_id,
        state=record.state.value,
        params=record.params,
        progress=record.progress,
        message=record.message,
        result=record.result,
        error=record.error,
        backend=record.backend,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


class JobRepository:
    """Reads and writes job records through one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, record: JobRecord) -> None:
        """Insert ``record``; the transaction is committed when this returns."""
        with self.db.session() as s:
            s.add(record_to_row(record))

    def find(self, job_id: str) -> JobRecord | None:
        with self.db.session() as s:
            row = s.get(JobRow, job_id)
            return row_to_record(row) if row is not None else None

    def get(self, job_id: str) -> JobRecord:
        """Raises NotFoundError (code ``job_not_found``) for an unknown id."""
        record = self.find(job_id)
        if record is None:
            raise NotFoundError(f"no job {job_id!r}", code="job_not_found")
        return record

    def list(
        self,
        *,
        owner_id: str | None = None,
        state: JobState | None = None,
        kind: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        """Newest first (``created_at`` then ``id`` descending), ``limit``/``offset`` paged."""
        q = select(JobRow)
        if owner_id is not None:
            q = q.where(JobRow.owner_id == owner_id)
        if state is not None:
            q = q.where(JobRow.state == JobState(state).value)
        if kind is not None:
            q = q.where(JobRow.kind == kind)
        q = q.order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(limit).offset(offset)
        with self.db.session() as s:
            return [row_to_record(r) for r in s.scalars(q)]

    def ids_in_states(
        self, states: Iterable[JobState], *, backend: str | None = None
    ) -> builtins.list[str]:
        """Ids of jobs in any of ``states``, oldest first (the order they were acknowledged)."""
        q = select(JobRow.id).where(JobRow.state.in_([JobState(x).value for x in states]))
        if backend is not None:
            q = q.where(JobRow.backend == backend)
        q = q.order_by(JobRow.created_at.asc(), JobRow.id.asc())
        with self.db.session() as s:
            return list(s.scalars(q))

    def count(self, state: JobState, *, backend: str | None = None) -> int:
        q = select(func.count()).select_from(JobRow).where(JobRow.state == JobState(state).value)
        if backend is not None:
            q = q.where(JobRow.backend == backend)
        with self.db.session() as s:
            return int(s.scalar(q) or 0)

    def transition(
        self, job_id: str, from_states: Iterable[JobState], to: JobState, **fields: Any
    ) -> bool:
        """Move the job to ``to`` only if it is in one of ``from_states``; True if it moved.

        ``fields`` sets other columns in the same statement (see ``UPDATABLE_FIELDS``).
        """
        self._check_fields(fields)
        stmt = (
            update(JobRow)
            .where(JobRow.id == job_id)
            .where(JobRow.state.in_([JobState(x).value for x in from_states]))
            .values(state=JobState(to).value, **fields)
        )
        with self.db.session() as s:
            return bool(s.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def update_live(self, job_id: str, **fields: Any) -> bool:
        """Set columns of a job that is not terminal (progress, message); True if updated."""
        self._check_fields(fields)
        live = [JobState.QUEUED.value, JobState.RUNNING.value]
        stmt = (
            update(JobRow).where(JobRow.id == job_id).where(JobRow.state.in_(live)).values(**fields)
        )
        with self.db.session() as s:
            return bool(s.execute(stmt).rowcount)  # type: ignore[attr-defined]

    @staticmethod
    def _check_fields(fields: dict[str, Any]) -> None:
        unknown = set(fields) - UPDATABLE_FIELDS
        if unknown:
            raise ValueError(f"cannot update job columns {sorted(unknown)}")
