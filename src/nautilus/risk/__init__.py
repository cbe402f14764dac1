"""Risk: covariance, VaR/ES, VaR backtests, stress tests (rules and monitoring build on them)."""

from __future__ import annotations

from nautilus.risk.covariance import COVARIANCE_ESTIMATORS, nearest_psd
from nautilus.risk.var import (
    VarResult,
    historical_var,
    incremental_var,
    marginal_var,
    monte_carlo_var,
    parametric_var,
)
from nautilus.risk.var_backtest import VarBacktest, var_backtest

__all__ = [
    "COVARIANCE_ESTIMATORS",
    "VarBacktest",
    "VarResult",
    "historical_var",
    "incremental_var",
    "marginal_var",
    "monte_carlo_var",
    "nearest_psd",
    "parametric_var",
    "var_backtest",
]
