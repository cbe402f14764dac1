"""Event-driven backtests: the trading path (strategy, OMS, simulated venue) on replayed time."""

from __future__ import annotations

from nautilus.backtest.event.clock import FeedClock, ReplayClock, WallClock
from nautilus.backtest.event.engine import EventBacktest, EventBacktestConfig, periods_per_year
from nautilus.backtest.event.feed import frame_blocks, merge_blocks, resample_blocks
from nautilus.backtest.event.results import EventBacktestResult

__all__ = [
    "EventBacktest",
    "EventBacktestConfig",
    "EventBacktestResult",
    "FeedClock",
    "ReplayClock",
    "WallClock",
    "frame_blocks",
    "merge_blocks",
    "periods_per_year",
    "resample_blocks",
]
