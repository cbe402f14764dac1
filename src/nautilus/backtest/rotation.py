"""Portfolio-level research: rank-and-rotate and optimiser-driven weights.

Both build a target-weight matrix from data known at each rebalance bar's close and hand it to
``run_targets`` with one shared cash balance, so the trades happen on the next bar
(``VectorizedConfig.execution``). Weights are fractions of equity; between rebalances the
weights are held as targets (they matter only for drift-triggered rebalancing).

>>> import numpy as np
>>> top_n_weights(np.array([[1.0, 3.0, 2.0]]), 2)[0].tolist()
[0.0, 0.5, 0.5]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from nautilus.backtest.vectorized.engine import (
    VectorizedConfig,
    as_panel,
    bar_index,
    rebalance_schedule,
    run_targets,
)
from nautilus.backtest.vectorized.results import BacktestResult
from nautilus.core.errors import ValidationError

WeightFn = Callable[[npt.NDArray[np.float64]], Any]
"""Maps a (lookback, assets) window of simple returns to one weight per asset."""


def top_n_weights(
    scores: npt.NDArray[np.float64], n: int, short_bottom: bool = False
) -> npt.NDArray[np.float64]:
    """Equal weights ``1/n`` on the ``n`` highest scores of each row (NaN scores never chosen;
    ties go to the earlier column); with ``short_bottom`` also ``-1/n`` on the ``n`` lowest."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValidationError(f"scores must be 2-D, got {s.ndim}-D", code="bad_shape")
    if n < 1 or n > s.shape[1]:
        raise ValidationError(f"top_n must be in [1, {s.shape[1]}], got {n}", code="out_of_range")
    w = np.zeros_like(s)
    for t in range(s.shape[0]):
        row = s[t]
        valid = np.flatnonzero(~np.isnan(row))
        if valid.size == 0:
            continue
        k = min(n, valid.size)
        order = valid[np.argsort(-row[valid], kind="stable")]
        w[t, order[:k]] = 1.0 / n
        if short_bottom:
            w[t, order[::-1][:k]] -= 1.0 / n
    return w


def _schedule(
    index: npt.NDArray[np.int64],
    every: Literal["bar", "week", "month"] | int,
) -> npt.NDArray[np.bool_]:
    return rebalance_schedule(index, every)


def rank_and_rotate(
    close: Any,
    scores: Any,
    top_n: int,
    *,
    every: Literal["bar", "week", "month"] | int = "month",
    index: Any = None,
    short_bottom: bool = False,
    drift_threshold: float | None = None,
    open: Any = None,
    config: VectorizedConfig | None = None,
) -> BacktestResult:
    """Hold the ``top_n`` instruments by ``scores`` (bars × instruments, known at each close),
    equally weighted, re-ranked on the ``every`` schedule; one shared cash balance."""
    c = as_panel(close, "close")
    idx = bar_index(index, close, c.shape[0])
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != c.shape:
        raise ValidationError(
            f"scores have shape {s.shape}, close has shape {c.shape}", code="misaligned"
        )
    reb = _schedule(idx, every)
    w = top_n_weights(s, top_n, short_bottom)
    target = _hold_between(w, reb)
    cfg = (config or VectorizedConfig()).model_copy(update={"cash_sharing": True})
    return run_targets(
        c,
        target,
        kind="weights",
        rebalance=reb,
        drift_threshold=drift_threshold,
        open=open,
        index=idx,
        config=cfg,
    )


def optimiser_rotation(
    close: Any,
    weight_fn: WeightFn,
    lookback: int,
    *,
    every: Literal["bar", "week", "month"] | int = "month",
    index: Any = None,
    open: Any = None,
    config: VectorizedConfig | None = None,
) -> BacktestResult:
    """Weights from ``weight_fn`` applied to the last ``lookback`` bars of returns at each
    rebalance bar (bars before ``lookback`` returns exist stay in cash)."""
    c = as_panel(close, "close")
    idx = bar_index(index, close, c.shape[0])
    if lookback < 2 or lookback >= c.shape[0]:
        raise ValidationError(
            f"lookback must be in [2, {c.shape[0] - 1}], got {lookback}", code="out_of_range"
        )
    reb = _schedule(idx, every)
    rets = np.zeros_like(c)
    rets[1:] = c[1:] / c[:-1] - 1.0
    w = np.full_like(c, np.nan)
    for t in np.flatnonzero(reb):
        if t < lookback:
            continue
        window = rets[t - lookback + 1 : t + 1]
        wt = np.asarray(weight_fn(window), dtype=np.float64).reshape(-1)
        if wt.shape != (c.shape[1],) or not np.isfinite(wt).all():
            raise ValidationError(
                f"weight_fn returned shape {wt.shape} (finite: {bool(np.isfinite(wt).all())}), "
                f"expected ({c.shape[1]},) finite weights",
                code="bad_weights",
            )
        w[t] = wt
    target = _hold_between(np.where(np.isnan(w), 0.0, w), reb & ~np.isnan(w).any(axis=1))
    reb = reb & ~np.isnan(w).any(axis=1)
    cfg = (config or VectorizedConfig()).model_copy(update={"cash_sharing": True})
    return run_targets(c, target, kind="weights", rebalance=reb, open=open, index=idx, config=cfg)


def optimiser_weight_fn(
    name: str, assets: list[str] | None = None, periods_per_year: float = 252.0, **params: object
) -> WeightFn:
    """A ``WeightFn`` running the registered portfolio optimiser ``name`` on the window's
    annualised sample mean and covariance (``nautilus.portfolio.optimisers.optimise``)."""
    from nautilus.portfolio.optimisers import optimise, prepare_inputs

    def fn(window: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        names = assets or [f"a{i}" for i in range(window.shape[1])]
        mu = window.mean(axis=0) * periods_per_year
        cov = np.cov(window, rowvar=False, ddof=1).reshape(window.shape[1], -1) * periods_per_year
        inputs = prepare_inputs(names, mu, cov, returns=window)
        res = optimise(name, inputs, **params)
        return np.array([res.weights[a] for a in names])

    return fn


def _hold_between(
    w: npt.NDArray[np.float64], reb: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """Weights set on rebalance bars, carried forward; NaN (hold) before the first one."""
    out = np.full_like(w, np.nan)
    last: npt.NDArray[np.float64] | None = None
    for t in range(w.shape[0]):
        if reb[t]:
            last = w[t]
        if last is not None:
            out[t] = last
    return out
