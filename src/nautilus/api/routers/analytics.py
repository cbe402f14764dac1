"""Analytics: metrics, TWR/MWR, IRR, Brinson–Fachler (linked), factor attribution, execution
quality, household P&L, tearsheets (JSON, and HTML with embedded charts).

Household endpoints apply the portfolio router's object-level rule: another user's household
is 404. Everything else computes over the request body.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse

from nautilus.analytics.engine import AnalyticsEngine, finite_tree
from nautilus.analytics.metrics import METRICS
from nautilus.api.deps import PlatformDep, Reader
from nautilus.api.routers.portfolio import owner
from nautilus.api.schemas.analytics import (
    BrinsonIn,
    ExecutionQualityIn,
    FactorAttributionIn,
    FamilyReportIn,
    IrrIn,
    IrrOut,
    MetricsIn,
    PerformanceIn,
    Report,
    TearsheetIn,
)
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.platform import Platform

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
Id = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]
R = problem_responses(*AUTHED)
R404 = problem_responses(*AUTHED, 404)


async def get_engine(platform: PlatformDep) -> AnalyticsEngine:
    return _engine(platform)


def _engine(platform: Platform) -> AnalyticsEngine:
    engine = platform.engine("analytics")
    assert isinstance(engine, AnalyticsEngine)
    return engine


EngineDep = Annotated[AnalyticsEngine, Depends(get_engine)]


def _clean(report: Report) -> Report:
    """Non-finite floats (a metric of a flat series, an overflowed ratio) become null."""
    out: Report = finite_tree(report)
    return out


@router.get("/metrics", response_model=list[dict[str, Any]], responses=R)
def list_metrics(_: Reader) -> list[dict[str, Any]]:
    return METRICS.describe()


@router.post("/metrics", response_model=dict[str, float | None], responses=R)
def compute_metrics(body: MetricsIn, _: Reader, engine: EngineDep) -> dict[str, float | None]:
    return engine.metrics(body.returns, body.benchmark, body.periods_per_year)


@router.post("/performance", response_model=Report, responses=R)
def performance(body: PerformanceIn, _: Reader, engine: EngineDep) -> Report:
    """Time-weighted (linked daily) and money-weighted (IRR) returns, benchmark-relative."""
    return _clean(
        engine.performance(
            body.values,
            body.flows,
            body.benchmark_returns,
            flow_timing=body.flow_timing,
            periods_per_year=body.periods_per_year,
        )
    )


@router.post("/irr", response_model=IrrOut, responses=R)
def irr(body: IrrIn, _: Reader, engine: EngineDep) -> IrrOut:
    return IrrOut(irr=engine.irr(body.amounts, body.times))


@router.post("/attribution/brinson", response_model=Report, responses=R)
def brinson(body: BrinsonIn, _: Reader, engine: EngineDep) -> Report:
    periods = [p.model_dump() for p in body.periods]
    return _clean(engine.brinson(periods, body.segments, body.method))


@router.post("/attribution/factors", response_model=Report, responses=R)
def factor_attribution(body: FactorAttributionIn, _: Reader, engine: EngineDep) -> Report:
    return _clean(engine.factor_attribution(body.returns, body.factors))


@router.post("/execution-quality", response_model=Report, responses=R)
def execution_quality(body: ExecutionQualityIn, _: Reader, engine: EngineDep) -> Report:
    return _clean(engine.execution_quality([o.model_dump() for o in body.orders], body.by))


@router.get("/households/{household_id}/pnl", response_model=Report, responses=R404)
def household_pnl(
    household_id: Id,
    principal: Reader,
    engine: EngineDep,
    by: Annotated[
        Literal["instrument", "strategy", "account", "client", "household"], Query()
    ] = "instrument",
) -> Report:
    return _clean(engine.household_pnl(household_id, owner(principal), by))


@router.post("/tearsheet", response_model=Report, responses=R)
def tearsheet(body: TearsheetIn, _: Reader, engine: EngineDep) -> Report:
    return _clean(
        engine.tearsheet(body.dates, body.returns, body.benchmark, body.exposure, body.title)
    )


@router.post("/tearsheet.html", response_class=HTMLResponse, responses=R)
def tearsheet_html(body: TearsheetIn, _: Reader, engine: EngineDep) -> HTMLResponse:
    report = engine.tearsheet(body.dates, body.returns, body.benchmark, body.exposure, body.title)
    return HTMLResponse(engine.render(report))


@router.post("/households/{household_id}/report", response_model=Report, responses=R404)
def family_report(
    household_id: Id, body: FamilyReportIn, principal: Reader, engine: EngineDep
) -> Report:
    return _clean(engine.family_report(household_id, owner(principal), body.dates, body.returns))


@router.post("/households/{household_id}/report.html", response_class=HTMLResponse, responses=R404)
def family_report_html(
    household_id: Id, body: FamilyReportIn, principal: Reader, engine: EngineDep
) -> HTMLResponse:
    report = engine.family_report(household_id, owner(principal), body.dates, body.returns)
    return HTMLResponse(engine.render(report, with_charts=body.returns is not None))
