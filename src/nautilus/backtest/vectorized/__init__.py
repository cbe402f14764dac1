"""Vectorized backtester: numba kernels, the engine façade and its results."""

from __future__ import annotations

from nautilus.backtest.vectorized.engine import (
    VectorizedConfig,
    annual_volatility,
    rebalance_schedule,
    run_signals,
    run_targets,
)
from nautilus.backtest.vectorized.results import ORDER_DTYPE, TRADE_DTYPE, BacktestResult

__all__ = [
    "ORDER_DTYPE",
    "TRADE_DTYPE",
    "BacktestResult",
    "VectorizedConfig",
    "annual_volatility",
    "rebalance_schedule",
    "run_signals",
    "run_targets",
]
