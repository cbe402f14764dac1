"""ML: model kinds, registry (versions, promote, roll back), training jobs, inference, regimes.

Thin handlers over :class:`~nautilus.ml.engine.MLEngine`; inference loads the production
version once and caches it in the engine.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from nautilus.api.deps import Admin, PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.jobs import JobAccepted
from nautilus.api.schemas.ml import (
    ModelKindOut,
    ModelVersionOut,
    PredictionOut,
    PredictRequest,
    PromoteRequest,
    RegimeHistoryOut,
    RegimeOut,
)
from nautilus.core.errors import ValidationError
from nautilus.core.time import NS_PER_DAY, now_ns
from nautilus.data.engine import DataEngine
from nautilus.ml import MODELS, TrainRequest
from nautilus.ml.engine import MLEngine

router = APIRouter(prefix="/api/v1/ml", tags=["ml"])

ModelName = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")]
InstrumentId = Annotated[str, Path(min_length=3, max_length=64, pattern=r"^[\w^=\-]+(\.[\w\-]+)+$")]
MAX_PREDICT_ROWS = 10_000
INLINE_ROWS = 64
"""Batches up to this size from a cached model are predicted on the event loop."""


async def get_ml_engine(platform: PlatformDep) -> MLEngine:
    engine = platform.engine("ml")
    assert isinstance(engine, MLEngine)
    return engine


MLDep = Annotated[MLEngine, Depends(get_ml_engine)]
OutT = TypeVar("OutT", bound=BaseModel)


def _out(value: Any, schema: type[OutT]) -> OutT:
    return schema.model_validate(msgspec.to_builtins(value))


@router.get(
    "/kinds",
    response_model=list[ModelKindOut],
    summary="Registered model kinds",
    responses=problem_responses(*AUTHED),
)
def model_kinds(_: Reader) -> list[ModelKindOut]:
    return [ModelKindOut.model_validate(d) for d in MODELS.describe()]


@router.get(
    "/models",
    response_model=list[str],
    summary="Registered model names",
    responses=problem_responses(*AUTHED),
)
def model_names(_: Reader, engine: MLDep) -> list[str]:
    return engine.models()


@router.get(
    "/models/{name}/versions",
    response_model=list[ModelVersionOut],
    summary="Versions of a model",
    responses=problem_responses(*AUTHED, 404),
)
def model_versions(name: ModelName, _: Reader, engine: MLDep) -> list[ModelVersionOut]:
    return [_out(v, ModelVersionOut) for v in engine.versions(name)]


@router.post(
    "/models/{name}/promote",
    response_model=ModelVersionOut,
    summary="Make a version production",
    responses=problem_responses(*AUTHED, 404, 409),
)
def promote(name: ModelName, body: PromoteRequest, _: Admin, engine: MLDep) -> ModelVersionOut:
    return _out(engine.promote(name, body.version), ModelVersionOut)


@router.post(
    "/models/{name}/rollback",
    response_model=ModelVersionOut,
    summary="Restore the previous production version",
    responses=problem_responses(*AUTHED, 404, 409),
)
def rollback(name: ModelName, _: Admin, engine: MLDep) -> ModelVersionOut:
    return _out(engine.rollback(name), ModelVersionOut)


@router.post(
    "/train",
    response_model=JobAccepted,
    status_code=202,
    summary="Train a model (job)",
    responses=problem_responses(*AUTHED, 404),
)
def train(body: TrainRequest, principal: Trader, engine: MLDep) -> JobAccepted:
    return JobAccepted(job_id=engine.submit_training(body, owner_id=principal.user_id))


@router.post(
    "/predict/{name}",
    response_model=PredictionOut,
    summary="Predict with a model",
    responses=problem_responses(*AUTHED, 404),
)
async def predict(name: ModelName, body: PredictRequest, _: Reader, engine: MLDep) -> PredictionOut:
    rows = body.features if isinstance(body.features, list) else [body.features]
    if not rows or len(rows) > MAX_PREDICT_ROWS:
        raise ValidationError(
            f"send 1 to {MAX_PREDICT_ROWS} feature rows, got {len(rows)}", code="bad_rows"
        )
    # a few rows through a cached model take tens of microseconds: run them on the event loop
    # (a worker-thread hop costs more than the prediction); loading a model from disk or a
    # large batch goes to the thread pool
    if len(rows) <= INLINE_ROWS and engine.is_cached(name, body.version):
        result = engine.predict(name, rows, version=body.version)
    else:
        result = await run_in_threadpool(engine.predict, name, rows, version=body.version)
    return _out(result, PredictionOut)


ModelQuery = Annotated[str, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")]
DaysQuery = Annotated[int, Query(ge=60, le=20_000, description="History used, in days")]


def _daily_closes(platform: Any, instrument_id: str, days: int) -> Any:
    data = platform.engine("data")
    assert isinstance(data, DataEngine)
    end = now_ns()
    bars = data.bars_frame(instrument_id, "1d", end - days * NS_PER_DAY, end)
    if len(bars) < 60:
        raise ValidationError(
            f"{instrument_id} has {len(bars)} daily bars; need at least 60", code="too_few_bars"
        )
    return bars


@router.get(
    "/regime/{instrument_id}",
    response_model=RegimeOut,
    summary="Current (filtered) regime of an instrument from its stored daily bars; "
    "published on ml.regime.<instrument>",
    responses=problem_responses(*AUTHED, 404),
)
def regime(
    instrument_id: InstrumentId,
    _: Reader,
    platform: PlatformDep,
    engine: MLDep,
    model: ModelQuery,
    days: DaysQuery = 2520,
) -> RegimeOut:
    bars = _daily_closes(platform, instrument_id, days)
    update = engine.regime_current(
        instrument_id, bars.index.to_numpy(), bars["close"].to_numpy(), model_name=model
    )
    return _out(update, RegimeOut)


@router.get(
    "/regime/{instrument_id}/history",
    response_model=RegimeHistoryOut,
    summary="Regime per bar of an instrument from its stored daily bars",
    responses=problem_responses(*AUTHED, 404),
)
def regime_history(
    instrument_id: InstrumentId,
    _: Reader,
    platform: PlatformDep,
    engine: MLDep,
    model: ModelQuery,
    days: DaysQuery = 2520,
) -> RegimeHistoryOut:
    from nautilus.ml.regimes.base import REGIMES

    bars = _daily_closes(platform, instrument_id, days)
    hist = engine.regime_history(bars.index.to_numpy(), bars["close"].to_numpy(), model_name=model)
    version = int(hist.attrs["model_version"])
    hist = hist[hist["regime"].notna()]
    return RegimeHistoryOut(
        instrument=instrument_id,
        model=model,
        version=version,
        ts=[int(t) for t in hist.index],
        regime=hist["regime"].tolist(),
        confidence=hist["confidence"].tolist(),
        probabilities={r: hist[r].tolist() for r in REGIMES},
    )
