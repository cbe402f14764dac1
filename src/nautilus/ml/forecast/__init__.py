"""Forecasters: volatility (GARCH family, HAR-RV) and direction/return (sklearn)."""

from __future__ import annotations

from nautilus.ml.forecast.direction import (
    GradientBoostedDirection,
    LogisticDirection,
    ReturnRegressor,
    confidence,
    hit_rate,
    log_loss,
)
from nautilus.ml.forecast.volatility import HARRV, GarchForecaster, har_design, mse, qlike

__all__ = [
    "HARRV",
    "GarchForecaster",
    "GradientBoostedDirection",
    "LogisticDirection",
    "ReturnRegressor",
    "confidence",
    "har_design",
    "hit_rate",
    "log_loss",
    "mse",
    "qlike",
]
