"""Walk-forward optimisation: optimise in-sample, trade the winner out-of-sample, stitch.

Windows are in bars. Fold ``k`` trains on ``[train_start, train_stop - purge)`` and tests on
``[train_stop + embargo, train_stop + embargo + test_bars)``; the next fold moves
``train_stop`` by ``step_bars`` (default ``test_bars``, so test windows tile without overlap).
``anchored`` keeps ``train_start`` at 0 (expanding window), otherwise the window rolls with
``train_bars`` bars. The purge drops the last training bars (whose outcomes overlap the test
period); the embargo leaves a gap before the test so serial correlation cannot leak.

Out-of-sample, the strategy's signals are computed on the history up to the end of the test
window (indicators warm up on past bars only) and traded on the test bars alone, starting flat
with the fold's capital. Each fold's OOS returns are concatenated into one equity curve that
compounds from ``init_cash``; a fold with no feasible in-sample trial stays in cash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from nautilus.analytics import metrics_table
from nautilus.backtest.signals import strategy_signals
from nautilus.backtest.sweep import (
    Market,
    ParamRange,
    SweepConfig,
    SweepReport,
    bayesian_search,
    grid_search,
    random_search,
)
from nautilus.backtest.vectorized.engine import VectorizedConfig, run_signals
from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.jobs.base import Progress


class WalkForwardConfig(FrozenConfig):
    """Window geometry and the in-sample search method."""

    train_bars: int = Field(ge=2, description="In-sample bars (first fold, rolling length).")
    test_bars: int = Field(ge=1, description="Out-of-sample bars per fold.")
    step_bars: int | None = Field(None, ge=1, description="Fold step; default test_bars.")
    anchored: bool = Field(False, description="Expanding (True) or rolling (False) train window.")
    purge_bars: int = Field(0, ge=0, description="Training bars dropped before the test.")
    embargo_bars: int = Field(0, ge=0, description="Gap between train end and test start.")
    method: Literal["grid", "random", "bayesian"] = "grid"
    n_trials: int = Field(50, ge=1, description="Trials per fold for random / bayesian search.")
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Fold:
    """Bar ranges of a fold: fit ``[train_start, fit_stop)``, test ``[test_start, test_stop)``."""

    train_start: int
    fit_stop: int
    test_start: int
    test_stop: int


def walk_forward_folds(n_bars: int, wf: WalkForwardConfig) -> list[Fold]:
    """The folds that fit in ``n_bars`` (the last test window may be shorter)."""
    if wf.train_bars - wf.purge_bars < 2:
        raise ValidationError(
            "train_bars - purge_bars must leave at least 2 bars", code="out_of_range"
        )
    step = wf.step_bars or wf.test_bars
    folds: list[Fold] = []
    train_stop = wf.train_bars
    while True:
        test_start = train_stop + wf.embargo_bars
        if test_start >= n_bars:
            break
        start = 0 if wf.anchored else train_stop - wf.train_bars
        folds.append(
            Fold(
                start,
                train_stop - wf.purge_bars,
                test_start,
                min(test_start + wf.test_bars, n_bars),
            )
        )
        train_stop += step
    if not folds:
        raise ValidationError(
            f"{n_bars} bars are too few for train_bars={wf.train_bars} + "
            f"embargo_bars={wf.embargo_bars} and one test bar",
            code="out_of_range",
        )
    return folds


@dataclass
class WalkForwardResult:
    """Per-fold choices and the stitched out-of-sample equity."""

    folds: list[dict[str, Any]]
    index: npt.NDArray[np.int64]
    returns: npt.NDArray[np.float64]
    equity: npt.NDArray[np.float64]
    periods_per_year: float

    def metrics(self) -> dict[str, float]:
        """``metrics_table`` of the stitched OOS returns."""
        t = metrics_table(self.returns.reshape(-1, 1), periods_per_year=self.periods_per_year)
        return {k: float(v) for k, v in t.iloc[:, 0].items()}

    def equity_series(self) -> pd.Series:
        return pd.Series(self.equity, index=pd.to_datetime(self.index, utc=True), name="oos")

    def to_dict(self) -> dict[str, Any]:
        m = {k: (None if np.isnan(v) else v) for k, v in self.metrics().items()}
        return {
            "folds": self.folds,
            "oos_bars": len(self.index),
            "oos_final_equity": float(self.equity[-1]),
            "oos_metrics": m,
        }


def _search(
    market: Market,
    strategy: str,
    space: dict[str, Any],
    config: VectorizedConfig,
    sweep: SweepConfig,
    wf: WalkForwardConfig,
    fold: int,
) -> SweepReport:
    if wf.method == "grid":
        return grid_search(market, strategy, space, config, sweep)
    ranges = {
        k: v if isinstance(v, ParamRange) else ParamRange.model_validate(v)
        for k, v in space.items()
    }
    search = random_search if wf.method == "random" else bayesian_search
    return search(market, strategy, ranges, wf.n_trials, wf.seed + fold, config, sweep)


def walk_forward(
    market: Market,
    strategy: str,
    space: dict[str, Any],
    wf: WalkForwardConfig,
    config: VectorizedConfig | None = None,
    sweep: SweepConfig | None = None,
    progress: Progress | None = None,
) -> WalkForwardResult:
    """Run every fold (see the module docstring). ``space`` is a grid (lists of values) for
    ``method="grid"``, else ``ParamRange``s (or their dicts)."""
    cfg = config or VectorizedConfig()
    sw = sweep or SweepConfig()
    folds = walk_forward_folds(market.n_bars, wf)
    out_folds: list[dict[str, Any]] = []
    rets: list[npt.NDArray[np.float64]] = []
    idx: list[npt.NDArray[np.int64]] = []
    for i, f in enumerate(folds):
        if progress is not None:
            if progress.cancelled:
                break
            progress.update(i / len(folds), f"fold {i + 1} of {len(folds)}")
        rep = _search(market.slice(f.train_start, f.fit_stop), strategy, space, cfg, sw, wf, i)
        best = rep.best_params
        n_test = f.test_stop - f.test_start
        if best is None:
            r = np.zeros(n_test)
        else:
            history = market.slice(0, f.test_stop)
            ent, ext = strategy_signals(strategy, history.close, best)
            test = market.slice(f.test_start, f.test_stop)
            res = run_signals(
                test.close,
                ent[f.test_start :],
                ext[f.test_start :],
                open=test.open,
                high=test.high,
                low=test.low,
                index=test.index,
                config=cfg,
            )
            total = res.value.sum(axis=1)
            prev = np.concatenate([[res.init_cash * res.value.shape[1]], total[:-1]])
            r = total / prev - 1.0
        rets.append(r)
        idx.append(market.index[f.test_start : f.test_stop])
        out_folds.append(
            {
                "fold": i,
                "train_start_ns": int(market.index[f.train_start]),
                "fit_stop_ns": int(market.index[f.fit_stop - 1]),
                "test_start_ns": int(market.index[f.test_start]),
                "test_stop_ns": int(market.index[f.test_stop - 1]),
                "best_params": best,
                "in_sample_value": rep.best_value,
                "n_trials": rep.n_trials,
                "oos_return": float(np.prod(1.0 + r) - 1.0),
            }
        )
    if progress is not None:
        progress.update(1.0, f"{len(out_folds)} folds")
    returns = np.concatenate(rets) if rets else np.empty(0)
    equity = cfg.init_cash * np.cumprod(1.0 + returns)
    return WalkForwardResult(
        out_folds,
        np.concatenate(idx) if idx else np.empty(0, np.int64),
        returns,
        equity,
        cfg.periods_per_year,
    )
