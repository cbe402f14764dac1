"""Clocks: replayed time for backtests, wall time for live, feed time for replayed live feeds.

Every clock returns int ns UTC from ``now_ns()``. Only the engine moves a replay clock; a
:class:`FeedClock` follows the market data it has seen (paper trading on a replay source at
N x speed, where the data's own time is the session's time).
"""

from __future__ import annotations

import abc

from nautilus.core.time import now_ns as wall_now_ns


class Clock(abc.ABC):
    @abc.abstractmethod
    def now_ns(self) -> int:
        """Current time, int ns UTC."""


class ReplayClock(Clock):
    """Set by the backtest loop to the time of the event being processed."""

    __slots__ = ("now",)

    def __init__(self, start_ns: int = 0) -> None:
        self.now = start_ns

    def now_ns(self) -> int:
        return self.now

    def advance(self, ts: int) -> None:
        if ts < self.now:
            raise ValueError(f"replay clock cannot go back from {self.now} to {ts}")
        self.now = ts


class WallClock(Clock):
    """Real time (paper and live trading on a provider stream)."""

    def now_ns(self) -> int:
        return wall_now_ns()


class FeedClock(Clock):
    """The time of the latest market event seen, never going back."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0

    def observe(self, ts: int) -> None:
        if ts > self.now:
            self.now = ts

    def now_ns(self) -> int:
        return self.now
