"""Research job kinds: ``backtest.sweep`` and ``backtest.walk_forward``.

Both run on a price panel named by symbols and a date range. Until the data engine serves bars,
the panel is a seeded geometric Brownian motion (one business-day bar per symbol at 00:00 UTC,
open/high/low derived from the close with the same generator), so a job with the same params
reproduces exactly. Results are JSON-serialisable dicts; the sweep's heatmap is a base64 PNG.

>>> from nautilus.jobs.base import JOB_KINDS
>>> "backtest.sweep" in JOB_KINDS and "backtest.walk_forward" in JOB_KINDS
True
"""

from __future__ import annotations

import base64
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.backtest.overfitting import probability_of_backtest_overfitting
from nautilus.backtest.plots import heatmap_png
from nautilus.backtest.sweep import (
    Market,
    ParamRange,
    SweepConfig,
    bayesian_search,
    grid_search,
    random_search,
    trial_returns,
)
from nautilus.backtest.vectorized.engine import VectorizedConfig
from nautilus.backtest.walkforward import WalkForwardConfig, walk_forward
from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.jobs.base import JOB_KINDS, Progress

MAX_SYNTHETIC_BARS = 2_000_000
"""Largest synthetic panel (bars x symbols) a job may request."""


class SyntheticData(FrozenConfig):
    """A seeded GBM panel standing in for stored bars."""

    symbols: tuple[str, ...] = Field(("SYN",), min_length=1, max_length=100)
    start: str = Field("2015-01-01", description="First day (UTC, ISO date).")
    end: str = Field("2020-12-31", description="Last day (UTC, ISO date), inclusive.")
    seed: int = 0
    drift: float = Field(0.05, description="Annual drift of log prices plus sigma^2/2.")
    volatility: float = Field(0.2, gt=0, le=5, description="Annual volatility.")


def synthetic_market(data: SyntheticData) -> Market:
    """Business-day GBM bars for ``data.symbols`` (close starts at 100)."""
    days = pd.bdate_range(data.start, data.end, tz="UTC")
    n, m = len(days), len(data.symbols)
    if n < 2:
        raise ValidationError(
            f"{data.start}..{data.end} has {n} business days; need 2", code="empty"
        )
    if n * m > MAX_SYNTHETIC_BARS:
        raise ValidationError(
            f"{n} bars x {m} symbols exceed the limit of {MAX_SYNTHETIC_BARS}",
            code="too_large",
            limit=MAX_SYNTHETIC_BARS,
        )
    rng = np.random.default_rng(data.seed)
    dt = 1.0 / 252.0
    sig = data.volatility
    z = rng.standard_normal((n, m))
    log_ret = (data.drift - 0.5 * sig * sig) * dt + sig * math.sqrt(dt) * z
    log_ret[0] = 0.0
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    gap = sig * math.sqrt(dt) * 0.2 * rng.standard_normal((n, m))
    prev = np.vstack([close[:1], close[:-1]])
    open_ = prev * np.exp(gap)
    wick = np.abs(sig * math.sqrt(dt) * 0.5 * rng.standard_normal((2, n, m)))
    high = np.maximum(open_, close) * np.exp(wick[0])
    low = np.minimum(open_, close) * np.exp(-wick[1])
    return Market(days.asi8.astype(np.int64), close, open_, high, low, list(data.symbols))


class SweepJobParams(FrozenConfig):
    """Parameters of ``backtest.sweep``."""

    data: SyntheticData = SyntheticData()
    strategy: str = Field("sma_cross", description="A SIGNAL_STRATEGIES name.")
    method: Literal["grid", "random", "bayesian"] = "grid"
    grid: dict[str, list[float]] = Field(
        default_factory=lambda: {"fast": [5, 10, 20], "slow": [50, 100, 200]},
        description="Values per parameter (grid method).",
    )
    space: dict[str, ParamRange] = Field(
        default_factory=dict, description="Ranges (random / bayesian methods)."
    )
    n_trials: int = Field(50, ge=1, le=100_000)
    seed: int = 0
    backtest: VectorizedConfig = VectorizedConfig()
    sweep: SweepConfig = SweepConfig()
    heatmap: bool = Field(True, description="Attach a PNG of the first two parameters.")
    pbo_blocks: int | None = Field(None, ge=2, le=16, description="CSCV blocks for PBO; off.")
    top: int = Field(20, ge=1, le=1000, description="Trials listed in the result.")


def _grid_values(grid: dict[str, list[float]]) -> dict[str, list[Any]]:
    return {k: [int(v) if float(v).is_integer() else v for v in vals] for k, vals in grid.items()}


@JOB_KINDS.register("backtest.sweep", config=SweepJobParams, tags=("backtest",))
def run_sweep_job(params: SweepJobParams, progress: Progress) -> dict[str, Any]:
    """Grid, random or Bayesian search of a signal strategy on a synthetic panel."""
    market = synthetic_market(params.data)
    progress.update(0.0, f"{market.n_bars} bars x {market.close.shape[1]} symbols")
    if params.method == "grid":
        rep = grid_search(
            market,
            params.strategy,
            _grid_values(params.grid),
            params.backtest,
            params.sweep,
            progress,
        )
    else:
        if not params.space:
            raise ValidationError(f"method {params.method!r} needs a space", code="empty")
        search = random_search if params.method == "random" else bayesian_search
        rep = search(
            market,
            params.strategy,
            dict(params.space),
            params.n_trials,
            params.seed,
            params.backtest,
            params.sweep,
            progress,
        )
    out = rep.to_dict(top=params.top)
    out["bars"] = market.n_bars
    out["symbols"] = list(params.data.symbols)
    if params.heatmap and len(rep.param_names) >= 2 and rep.n_trials > 0:
        names = list(params.grid) if params.method == "grid" else list(params.space)
        png = heatmap_png(rep.table, names[0], names[1], rep.objective)
        out["heatmap_png_base64"] = base64.b64encode(png).decode()
    if params.pbo_blocks is not None and rep.n_trials >= 2:
        plist = [{k: rep.table.at[i, k] for k in rep.param_names} for i in range(rep.n_trials)]
        plist = [
            {k: (int(v) if float(v).is_integer() else float(v)) for k, v in p.items()}
            for p in plist
        ]
        rets = trial_returns(market, params.strategy, plist, params.backtest)
        out["pbo"] = probability_of_backtest_overfitting(rets, params.pbo_blocks).to_dict()
    progress.update(1.0, f"{rep.n_trials} trials")
    return out


class WalkForwardJobParams(FrozenConfig):
    """Parameters of ``backtest.walk_forward``."""

    data: SyntheticData = SyntheticData()
    strategy: str = "sma_cross"
    grid: dict[str, list[float]] = Field(
        default_factory=lambda: {"fast": [5, 10, 20], "slow": [50, 100]}
    )
    space: dict[str, ParamRange] = Field(default_factory=dict)
    walk_forward: WalkForwardConfig = WalkForwardConfig(train_bars=504, test_bars=126)
    backtest: VectorizedConfig = VectorizedConfig()
    sweep: SweepConfig = SweepConfig()


@JOB_KINDS.register("backtest.walk_forward", config=WalkForwardJobParams, tags=("backtest",))
def run_walk_forward_job(params: WalkForwardJobParams, progress: Progress) -> dict[str, Any]:
    """Walk-forward optimisation on a synthetic panel; the stitched OOS metrics."""
    market = synthetic_market(params.data)
    space: dict[str, Any] = (
        _grid_values(params.grid) if params.walk_forward.method == "grid" else dict(params.space)
    )
    res = walk_forward(
        market, params.strategy, space, params.walk_forward, params.backtest, params.sweep, progress
    )
    out = res.to_dict()
    out["bars"] = market.n_bars
    return out
