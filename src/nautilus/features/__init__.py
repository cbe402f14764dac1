"""Features engine: the indicator library (numba kernels, streaming twins, parameter grids).

>>> from nautilus.features import compute, INDICATORS
>>> "rsi" in INDICATORS
True
"""

from __future__ import annotations

from nautilus.features import (  # noqa: F401  (importing registers the indicators)
    cycles,
    momentum,
    overlap,
    patterns,
    price_levels,
    regression,
    statistics,
    stochastic,
    trend,
    volatility,
    volume,
)
from nautilus.features.base import INDICATORS, Indicator, compute, list_indicators, register
from nautilus.features.grid import run_grid
from nautilus.features.streaming import IndicatorStream
from nautilus.features.universe_stream import UniverseStream

__all__ = [
    "INDICATORS",
    "Indicator",
    "IndicatorStream",
    "UniverseStream",
    "compute",
    "list_indicators",
    "register",
    "run_grid",
]
