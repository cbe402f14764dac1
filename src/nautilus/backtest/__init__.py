"""Research backtester: vectorized simulation, sweeps, walk-forward and overfitting statistics.

Public names are loaded on first use, so ``import nautilus.backtest.vectorized`` (or a worker
running one kernel) does not import the sweep, Optuna, Ray or matplotlib layers. Importing
``nautilus.backtest.jobs`` registers the job kinds in ``nautilus.jobs.base.JOB_KINDS``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "deflated_sharpe_ratio": "overfitting",
    "probabilistic_sharpe_ratio": "overfitting",
    "probability_of_backtest_overfitting": "overfitting",
    "optimiser_rotation": "rotation",
    "optimiser_weight_fn": "rotation",
    "rank_and_rotate": "rotation",
    "top_n_weights": "rotation",
    "SIGNAL_STRATEGIES": "signals",
    "Market": "sweep",
    "ParamRange": "sweep",
    "SweepConfig": "sweep",
    "SweepReport": "sweep",
    "bayesian_search": "sweep",
    "grid_search": "sweep",
    "random_search": "sweep",
    "BacktestResult": "vectorized",
    "VectorizedConfig": "vectorized",
    "rebalance_schedule": "vectorized",
    "run_signals": "vectorized",
    "run_targets": "vectorized",
    "WalkForwardConfig": "walkforward",
    "WalkForwardResult": "walkforward",
    "walk_forward": "walkforward",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nautilus.backtest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"nautilus.backtest.{module}"), name)
