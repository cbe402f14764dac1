"""Strategies: the plug-in contract, event and signal strategies, indicators and the library.

``STRATEGIES`` lists every registered strategy with its parameter schema; importing
``nautilus.strategy.library`` registers the shipped ones.
"""

from __future__ import annotations

from nautilus.strategy.base import STRATEGIES, Strategy, StrategyHost, build_strategy
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.indicators import IndicatorHandle
from nautilus.strategy.series import BarSeries
from nautilus.strategy.signal import SignalStrategy

__all__ = [
    "STRATEGIES",
    "BarSeries",
    "EventStrategy",
    "IndicatorHandle",
    "SignalStrategy",
    "Strategy",
    "StrategyConfig",
    "StrategyHost",
    "build_strategy",
]

import nautilus.strategy.library  # noqa: F401 - registers the shipped strategies
