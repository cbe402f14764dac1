"""Event-driven backtests as jobs: submit (202 + job id), read results, list strategies.

Progress arrives on the bus (``jobs.<id>``) and in the job record; the full orders and fills
are written under ``<data_dir>/backtests/<job run id>`` and paged from there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from nautilus.api.deps import Page, PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.trading import BacktestAccepted, BacktestOut, BacktestRequest
from nautilus.backtest.event.jobs import EventBacktestParams
from nautilus.backtest.event.results import EventBacktestResult
from nautilus.core.errors import NotFoundError
from nautilus.core.ids import new_id
from nautilus.jobs.base import JobRecord
from nautilus.platform import Platform
from nautilus.security import Principal
from nautilus.strategy import STRATEGIES

router = APIRouter(prefix="/api/v1/backtests", tags=["backtests"])
JobId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]
KIND = "backtest.event"


def _job(platform: Platform, job_id: str, principal: Principal) -> JobRecord:
    try:
        job = platform.jobs.get(job_id)
    except NotFoundError:
        job = None
    if (
        job is None
        or job.kind != KIND
        or (not principal.is_admin and job.owner_id != principal.user_id)
    ):
        raise NotFoundError(f"no backtest {job_id!r}", code="backtest_not_found")
    return job


@router.get(
    "/strategies",
    summary="Registered strategies and their parameters",
    responses=problem_responses(*AUTHED),
)
def strategies(_: Reader) -> list[dict[str, Any]]:
    return STRATEGIES.describe()


@router.post(
    "",
    response_model=BacktestAccepted,
    status_code=202,
    summary="Run a backtest",
    responses=problem_responses(*AUTHED, 404),
)
def submit(body: BacktestRequest, principal: Trader, platform: PlatformDep) -> BacktestAccepted:
    STRATEGIES.spec(body.strategy)
    run_dir = platform.config.data_dir / "backtests" / new_id()
    params = EventBacktestParams(
        **body.model_dump(),
        results_dir=str(run_dir),
        data_dir=str(platform.config.data_dir) if body.source == "store" else None,
    )
    job_id = platform.jobs.submit(KIND, params.model_dump(mode="json"), owner_id=principal.user_id)
    return BacktestAccepted(job_id=job_id)


@router.get(
    "/{job_id}",
    response_model=BacktestOut,
    summary="A backtest: state and results",
    responses=problem_responses(*AUTHED, 404),
)
def get_backtest(job_id: JobId, principal: Reader, platform: PlatformDep) -> BacktestOut:
    job = _job(platform, job_id, principal)
    return BacktestOut(
        job_id=job.id,
        state=job.state.value,
        progress=job.progress,
        message=job.message,
        error=job.error,
        result=job.result,
    )


def _saved(job: JobRecord) -> EventBacktestResult:
    directory = (job.result or {}).get("results_dir")
    if not directory:
        raise NotFoundError(
            f"backtest {job.id} has no stored results (state {job.state.value})",
            code="results_not_ready",
        )
    return EventBacktestResult.load(directory)


@router.get(
    "/{job_id}/orders",
    summary="All orders of a finished backtest (paged)",
    responses=problem_responses(*AUTHED, 404),
)
def orders(
    job_id: JobId, principal: Reader, platform: PlatformDep, page: Page
) -> list[dict[str, Any]]:
    res = _saved(_job(platform, job_id, principal))
    return res.orders[page.offset : page.offset + page.limit]


@router.get(
    "/{job_id}/fills",
    summary="All fills of a finished backtest (paged)",
    responses=problem_responses(*AUTHED, 404),
)
def fills(
    job_id: JobId, principal: Reader, platform: PlatformDep, page: Page
) -> list[dict[str, Any]]:
    res = _saved(_job(platform, job_id, principal))
    return res.fills[page.offset : page.offset + page.limit]
