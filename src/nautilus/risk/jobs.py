"""Risk job kinds: ``risk.var`` (large Monte Carlo VaR/ES of given exposures) and
``risk.option_book`` (full-revaluation Monte Carlo of an option book).

Params carry the exposures (currency, signed) and the covariance of per-period returns, so
the job runs in any worker without the engine's state.

>>> from nautilus.jobs.base import JOB_KINDS
>>> "risk.var" in JOB_KINDS and "risk.option_book" in JOB_KINDS
True
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
import numpy as np
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.jobs.base import JOB_KINDS, Progress
from nautilus.risk.options import OptionSpec, option_book_mc
from nautilus.risk.var import monte_carlo_var


class VarJobParams(FrozenConfig):
    """Monte Carlo VaR of ``exposures`` under ``cov``."""

    instruments: list[str] = Field(min_length=1, max_length=5000)
    exposures: list[float]
    cov: list[list[float]]
    confidence: float = Field(0.99, gt=0.5, lt=1)
    horizon: int = Field(1, ge=1, le=250)
    scenarios: int = Field(1_000_000, ge=100, le=20_000_000)
    distribution: Literal["normal", "t"] = "normal"
    seed: int = 0


@JOB_KINDS.register("risk.var", config=VarJobParams, tags=("risk",))
def run_var_job(params: VarJobParams, progress: Progress) -> dict[str, Any]:
    """Monte Carlo VaR/ES with Euler components per instrument."""
    progress.update(0.0, f"{params.scenarios} scenarios x {len(params.instruments)} assets")
    cov = np.asarray(params.cov, dtype=np.float64)
    res = monte_carlo_var(params.exposures, cov, confidence=params.confidence,
                          horizon=params.horizon, scenarios=params.scenarios,
                          distribution=params.distribution, seed=params.seed, threads=1)
    progress.update(1.0, "done")
    out: dict[str, Any] = msgspec.to_builtins(res)
    out["instruments"] = params.instruments
    return out


class OptionLeg(FrozenConfig):
    instrument_id: str
    underlying_id: str
    kind: Literal["call", "put"]
    strike: float = Field(gt=0)
    days: int = Field(ge=1)
    vol: float = Field(gt=0)
    style: Literal["european", "american"] = "european"
    quantity: float = 1.0
    multiplier: float = Field(100.0, gt=0)
    rate: float = 0.0
    dividend: float = 0.0


class OptionBookJobParams(FrozenConfig):
    options: list[OptionLeg] = Field(min_length=1, max_length=500)
    spots: dict[str, float]
    underlyings: list[str]
    cov: list[list[float]]
    vol_of_vol: float = Field(0.0, ge=0)
    horizon_days: int = Field(1, ge=1, le=250)
    confidence: float = Field(0.99, gt=0.5, lt=1)
    scenarios: int = Field(50_000, ge=100, le=5_000_000)
    seed: int = 0


@JOB_KINDS.register("risk.option_book", config=OptionBookJobParams, tags=("risk",))
def run_option_book_job(params: OptionBookJobParams, progress: Progress) -> dict[str, Any]:
    """Full-revaluation VaR/ES of an option book."""
    specs = [OptionSpec(**leg.model_dump()) for leg in params.options]
    res = option_book_mc(specs, params.spots, params.cov, params.underlyings,
                         vol_of_vol=params.vol_of_vol, horizon_days=params.horizon_days,
                         confidence=params.confidence, scenarios=params.scenarios,
                         seed=params.seed)
    progress.update(1.0, "done")
    return msgspec.to_builtins(res)  # type: ignore[no-any-return]
