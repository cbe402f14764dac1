"""Request and response bodies of the ML API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelKindOut(BaseModel):
    name: str
    summary: str
    tags: list[str]
    parameters: dict[str, Any] | None


class ModelVersionOut(BaseModel):
    name: str
    version: int
    model_kind: str
    stage: str
    train_start_ns: int | None
    train_end_ns: int | None
    n_rows: int
    features: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    data_hash: str
    code_version: str


class PredictRequest(BaseModel):
    """One feature row (a mapping) or several; ``version`` defaults to production."""

    model_config = {"extra": "forbid"}

    features: dict[str, float] | list[dict[str, float]] = Field(
        description="Feature name -> value, one mapping per row (at most 10,000 rows)."
    )
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class PredictionOut(BaseModel):
    model: str
    version: int
    model_kind: str
    values: list[float]
    confidence: list[float] | None = None


class PromoteRequest(BaseModel):
    model_config = {"extra": "forbid"}

    version: int = Field(ge=1, le=2**31 - 1)


class RegimeOut(BaseModel):
    instrument: str
    regime: str
    confidence: float
    probabilities: dict[str, float]
    hmm_regime: str
    rules_regime: str
    model: str
    version: int
    ts_event: int


class RegimeHistoryOut(BaseModel):
    """Filtered (causal) ensemble regimes per bar after the warm-up; times int ns UTC."""

    instrument: str
    model: str
    version: int
    ts: list[int]
    regime: list[str]
    confidence: list[float]
    probabilities: dict[str, list[float]]
