"""Features: the indicator catalogue, indicator values on request, parameter grids, and feature
sets (define, list, fetch, compute as a job, read stored values).

Handlers are thin: parse, call a public :class:`~nautilus.features.engine.FeaturesEngine`
method, return a schema. Times are ISO-8601 (UTC when no offset) or int ns UTC; indicator
parameters are extra query parameters (``?indicator=rsi&timeperiod=14``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from nautilus.api.deps import PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.features import (
    ComputeSetRequest,
    FeatureSetCreated,
    FeatureSetOut,
    FeatureSetSummary,
    FeatureValuesOut,
    FundamentalOut,
    GridOut,
    GridRequest,
    IndicatorOut,
    IndicatorValuesOut,
    nullable,
)
from nautilus.api.schemas.jobs import JobAccepted
from nautilus.core.errors import ValidationError
from nautilus.data.jobs import parse_time
from nautilus.factors.sources import parse_range
from nautilus.features.engine import FeaturesEngine
from nautilus.features.sets import FeatureSetDefinition

router = APIRouter(prefix="/api/v1/features", tags=["features"])

InstrumentId = Annotated[str, Path(min_length=3, max_length=64, pattern=r"^[\w^=\-]+(\.[\w\-]+)+$")]
SetName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
RESERVED = {"indicator", "start", "end", "timeframe"}
MAX_PARAMS = 16


async def get_features_engine(platform: PlatformDep) -> FeaturesEngine:
    engine = platform.engine("features")
    assert isinstance(engine, FeaturesEngine)
    return engine


FeaturesDep = Annotated[FeaturesEngine, Depends(get_features_engine)]


def _optional_time(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except (ValueError, TypeError):
        raise ValidationError(f"{name} {value!r} is not an ISO time or int ns",
                              code="bad_time", parameter=name) from None


@router.get("/indicators", response_model=list[IndicatorOut],
            summary="Indicators with their parameter schemas",
            responses=problem_responses(*AUTHED))
def list_indicators(_: Reader, engine: FeaturesDep,
                    category: Annotated[str | None, Query(max_length=32)] = None,
                    ) -> list[IndicatorOut]:
    return [IndicatorOut.model_validate(d) for d in engine.indicators(category)]


@router.get("/fundamentals", response_model=list[FundamentalOut],
            summary="Fundamental features a set may use", responses=problem_responses(*AUTHED))
def list_fundamentals(_: Reader) -> list[FundamentalOut]:
    return [FundamentalOut.model_validate(d) for d in FeaturesEngine.fundamentals()]


@router.get("/values/{instrument_id}", response_model=IndicatorValuesOut,
            summary="An indicator over an instrument's bars (parameters as query fields)",
            responses=problem_responses(*AUTHED, 404))
def indicator_values(
    instrument_id: InstrumentId, request: Request, _: Reader, engine: FeaturesDep,
    indicator: Annotated[str, Query(min_length=1, max_length=64)],
    start: Annotated[str, Query(description="First close time (inclusive)")],
    end: Annotated[str, Query(description="Last close time (exclusive)")],
    timeframe: Annotated[str, Query(max_length=4)] = "1d",
) -> IndicatorValuesOut:
    params = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    if len(params) > MAX_PARAMS:
        raise ValidationError(f"at most {MAX_PARAMS} parameters", code="too_many_parameters")
    start_ns, end_ns = parse_range(start, end)
    frame, info = engine.compute_indicator(instrument_id, indicator, params, start_ns, end_ns,
                                           timeframe)
    return IndicatorValuesOut(instrument_id=instrument_id, indicator=indicator,
                              params=info["params"], lookback=info["lookback"],
                              count=len(frame), ts=[int(t) for t in frame.index],
                              values={c: nullable(frame[c]) for c in frame.columns})


@router.post("/grid", response_model=GridOut, summary="An indicator over a parameter grid",
             responses=problem_responses(*AUTHED, 404))
def indicator_grid(body: GridRequest, _: Reader, engine: FeaturesDep) -> GridOut:
    start_ns, end_ns = parse_range(body.start, body.end)
    frame = engine.grid(body.instrument_id, body.indicator, body.grid, start_ns, end_ns,
                        body.timeframe)
    return GridOut.of(body.instrument_id, body.indicator, frame)


@router.post("/sets", response_model=FeatureSetCreated, status_code=201,
             summary="Define a feature set (a changed feature list is a new version)",
             responses=problem_responses(*AUTHED))
def define_set(body: FeatureSetDefinition, _: Trader, engine: FeaturesDep) -> FeatureSetCreated:
    return FeatureSetCreated.model_validate(engine.define_set(body))


@router.get("/sets", response_model=list[FeatureSetSummary], summary="Feature sets",
            responses=problem_responses(*AUTHED))
def list_sets(_: Reader, engine: FeaturesDep) -> list[FeatureSetSummary]:
    return [FeatureSetSummary.model_validate(s) for s in engine.list_sets()]


@router.get("/sets/{name}", response_model=FeatureSetOut, summary="One feature set version",
            responses=problem_responses(*AUTHED, 404))
def get_set(name: SetName, _: Reader, engine: FeaturesDep,
            version: Annotated[int | None, Query(ge=1)] = None) -> FeatureSetOut:
    return FeatureSetOut.model_validate(engine.get_set(name, version))


@router.post("/sets/{name}/compute", response_model=JobAccepted, status_code=202,
             summary="Compute a feature set over a universe (job)",
             responses=problem_responses(*AUTHED, 404))
def compute_set(name: SetName, body: ComputeSetRequest, principal: Trader,
                engine: FeaturesDep) -> JobAccepted:
    start_ns, end_ns = parse_range(body.start, body.end)
    return JobAccepted(job_id=engine.submit_compute_set(
        name, body.instruments, start_ns, end_ns, version=body.version,
        owner_id=principal.user_id))


@router.get("/sets/{name}/values/{instrument_id}", response_model=FeatureValuesOut,
            summary="Stored feature values of one instrument",
            responses=problem_responses(*AUTHED, 404))
def set_values(name: SetName, instrument_id: InstrumentId, _: Reader, engine: FeaturesDep,
               start: str | None = None, end: str | None = None,
               version: Annotated[int | None, Query(ge=1)] = None) -> FeatureValuesOut:
    start_ns, end_ns = _optional_time(start, "start"), _optional_time(end, "end")
    v, frame = engine.read_set(name, instrument_id, start_ns, end_ns, version=version)
    return FeatureValuesOut.of(name, v, instrument_id, frame)
