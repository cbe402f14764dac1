"""Job bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nautilus.jobs.base import JobRecord


class JobSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


class JobAccepted(BaseModel):
    job_id: str


class JobKindOut(BaseModel):
    name: str
    summary: str
    tags: list[str]
    parameters: dict[str, Any] | None


class JobOut(BaseModel):
    id: str
    kind: str
    owner_id: str | None
    state: str
    params: dict[str, Any]
    progress: float
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    backend: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: JobRecord) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            owner_id=job.owner_id,
            state=job.state.value,
            params=job.params,
            progress=job.progress,
            message=job.message,
            result=job.result,
            error=job.error,
            backend=job.backend,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
