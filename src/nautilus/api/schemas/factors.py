"""Factor bodies: the factor catalogue, expression checks and evaluation results (JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nautilus.factors.engine import MAX_FACTORS


class FactorOut(BaseModel):
    name: str
    description: str
    expression: str | None
    fields: list[str]
    tags: list[str]
    parameters: dict[str, Any] | None = Field(description="JSON Schema of the parameters.")


class FactorCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factors: list[str] = Field(..., min_length=1, max_length=MAX_FACTORS)


class FactorChecked(BaseModel):
    name: str
    expression: str | None
    registered: bool


class EvaluationOut(BaseModel):
    """An evaluation job and, once it succeeded, its result: ``dates`` (int ns UTC), per
    factor ``ic``/``rank_ic`` summaries (mean, std, ir, ir_annualised, t_stat, n, hit_rate),
    ``quantile_mean``, ``spread_mean``, turnover, ``decay`` and per-date ``series``; and the
    ``correlation`` matrix. NaN is ``null``."""

    job_id: str
    state: str
    progress: float
    message: str | None
    error: str | None
    result: dict[str, Any] | None
