"""Jobs: list job kinds, submit (202), list, get and cancel your own (an admin: all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from nautilus.api.deps import Page, PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.jobs import JobAccepted, JobKindOut, JobOut, JobSubmit
from nautilus.core.errors import NotFoundError
from nautilus.jobs.base import JOB_KINDS, JobRecord, JobState
from nautilus.platform import Platform
from nautilus.security import Principal

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
JobId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]


def _visible_job(platform: Platform, job_id: str, principal: Principal) -> JobRecord:
    job = platform.jobs.get(job_id)
    if not principal.is_admin and job.owner_id != principal.user_id:
        # Someone else's job does not exist as far as this caller can tell.
        raise NotFoundError(f"no job {job_id!r}", code="job_not_found")
    return job


@router.get(
    "/kinds",
    response_model=list[JobKindOut],
    summary="Job kinds and their parameters",
    responses=problem_responses(*AUTHED),
)
def list_kinds(_: Reader) -> list[JobKindOut]:
    return [JobKindOut.model_validate(d) for d in JOB_KINDS.describe()]


@router.post(
    "",
    response_model=JobAccepted,
    status_code=202,
    summary="Submit a job",
    responses=problem_responses(*AUTHED, 404),
)
def submit_job(body: JobSubmit, principal: Trader, platform: PlatformDep) -> JobAccepted:
    return JobAccepted(
        job_id=platform.jobs.submit(body.kind, body.params, owner_id=principal.user_id)
    )


@router.get(
    "",
    response_model=list[JobOut],
    summary="Your jobs (an admin: everyone's)",
    responses=problem_responses(*AUTHED),
)
def list_jobs(
    principal: Reader,
    page: Page,
    platform: PlatformDep,
    state: Annotated[JobState | None, Query()] = None,
) -> list[JobOut]:
    owner = None if principal.is_admin else principal.user_id
    jobs = platform.jobs.list(owner_id=owner, state=state, limit=page.limit, offset=page.offset)
    return [JobOut.of(j) for j in jobs]


@router.get(
    "/{job_id}", response_model=JobOut, summary="One job", responses=problem_responses(*AUTHED, 404)
)
def get_job(job_id: JobId, principal: Reader, platform: PlatformDep) -> JobOut:
    return JobOut.of(_visible_job(platform, job_id, principal))


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="Cancel a queued or running job",
    responses=problem_responses(*AUTHED, 404, 409),
)
def cancel_job(job_id: JobId, principal: Trader, platform: PlatformDep) -> JobOut:
    _visible_job(platform, job_id, principal)
    return JobOut.of(platform.jobs.cancel(job_id))
