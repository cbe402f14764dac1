"""Factors: the factor catalogue, expression checks, evaluations (job), their JSON results,
PNG plots and the HTML tear sheet.

Handlers are thin: parse, call a public :class:`~nautilus.factors.engine.FactorsEngine`
method, return a schema. An expression that does not parse is a 422 problem with ``position``
(0-based) and ``token``. Someone else's evaluation does not exist for a non-admin caller.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import HTMLResponse

from nautilus.api.deps import PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.factors import (
    EvaluationOut,
    FactorChecked,
    FactorCheckRequest,
    FactorOut,
)
from nautilus.api.schemas.jobs import JobAccepted
from nautilus.core.errors import NotFoundError
from nautilus.factors.engine import (
    FactorEvaluationRequest,
    FactorsEngine,
    result_plot,
    result_report,
)
from nautilus.factors.library import FACTORS
from nautilus.jobs.base import JobRecord
from nautilus.security import Principal

router = APIRouter(prefix="/api/v1/factors", tags=["factors"])
JobId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]
FactorName = Annotated[str, Query(min_length=1, max_length=10_000,
                                  description="factor name or expression as evaluated")]


async def get_factors_engine(platform: PlatformDep) -> FactorsEngine:
    engine = platform.engine("factors")
    assert isinstance(engine, FactorsEngine)
    return engine


FactorsDep = Annotated[FactorsEngine, Depends(get_factors_engine)]


def _visible(engine: FactorsEngine, job_id: str, principal: Principal) -> JobRecord:
    record = engine.evaluation(job_id)
    if not principal.is_admin and record.owner_id != principal.user_id:
        raise NotFoundError(f"no evaluation {job_id!r}", code="evaluation_not_found")
    return record


@router.get("", response_model=list[FactorOut], summary="Registered factors",
            responses=problem_responses(*AUTHED))
def list_factors(_: Reader, engine: FactorsDep,
                 tag: Annotated[str | None, Query(max_length=32)] = None) -> list[FactorOut]:
    return [FactorOut.model_validate(d) for d in engine.list_factors(tag)]


@router.post("/check", response_model=list[FactorChecked],
             summary="Check factor names and expressions",
             responses=problem_responses(*AUTHED, 404))
def check_factors(body: FactorCheckRequest, _: Reader,
                  engine: FactorsDep) -> list[FactorChecked]:
    return [FactorChecked(name=f.name, expression=f.expression, registered=f.name in FACTORS)
            for f in engine.check(body.factors)]


@router.post("/evaluations", response_model=JobAccepted, status_code=202,
             summary="Evaluate factors over a universe of stored bars (job)",
             responses=problem_responses(*AUTHED, 404))
def submit_evaluation(body: FactorEvaluationRequest, principal: Trader,
                      engine: FactorsDep) -> JobAccepted:
    return JobAccepted(job_id=engine.submit_evaluation(body, owner_id=principal.user_id))


@router.get("/evaluations/{job_id}", response_model=EvaluationOut,
            summary="An evaluation's state and JSON result",
            responses=problem_responses(*AUTHED, 404))
def get_evaluation(job_id: JobId, principal: Reader, engine: FactorsDep) -> EvaluationOut:
    r = _visible(engine, job_id, principal)
    return EvaluationOut(job_id=r.id, state=r.state.value, progress=r.progress,
                         message=r.message, error=r.error, result=r.result)


@router.get("/evaluations/{job_id}/plots/{kind}", summary="A PNG plot of an evaluation",
            responses={**problem_responses(*AUTHED, 404, 409),
                       200: {"content": {"image/png": {}}}})
def evaluation_plot(job_id: JobId,
                    kind: Literal["ic", "rank_ic", "quantiles", "decay", "correlation"],
                    principal: Reader, engine: FactorsDep,
                    factor: FactorName | None = None) -> Response:
    _visible(engine, job_id, principal)
    png = result_plot(engine.evaluation_result(job_id), kind, factor)
    return Response(png, media_type="image/png")


@router.get("/evaluations/{job_id}/report", summary="The HTML tear sheet of one factor",
            response_class=HTMLResponse,
            responses={**problem_responses(*AUTHED, 404, 409)})
def evaluation_report(job_id: JobId, principal: Reader, engine: FactorsDep,
                      factor: FactorName) -> HTMLResponse:
    _visible(engine, job_id, principal)
    return HTMLResponse(result_report(engine.evaluation_result(job_id), factor))
