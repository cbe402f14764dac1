"""Pairs / spread trading: trade the z-score of ``log(A) - hedge_ratio * log(B)``.

The spread's rolling mean and standard deviation over ``window`` bars are kept streaming (ring
buffer, running sums). ``z > entry_z`` sells the spread (sell A, buy B), ``z < -entry_z`` buys
it; ``|z| < exit_z`` flattens both legs. Decisions are taken on the bar at which both legs have
a bar with the same close time.
"""

from __future__ import annotations

import math
from collections import deque
from decimal import Decimal

from pydantic import Field, model_validator

from nautilus.strategy.base import STRATEGIES
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.series import BarSeries


class PairsConfig(StrategyConfig):
    """Two instruments (A, B); thresholds in standard deviations of the spread."""

    instruments: tuple[str, ...] = ("TEC01.XSYN", "TEC02.XSYN")
    window: int = Field(60, ge=5, le=100_000)
    entry_z: float = Field(2.0, gt=0, le=10)
    exit_z: float = Field(0.5, ge=0, le=10)
    hedge_ratio: float = Field(1.0, gt=0, le=100)

    @model_validator(mode="after")
    def _two(self) -> PairsConfig:
        if len(self.instruments) != 2 or self.instruments[0] == self.instruments[1]:
            raise ValueError("pairs needs exactly two different instruments")
        if self.exit_z >= self.entry_z:
            raise ValueError("exit_z must be below entry_z")
        return self


@STRATEGIES.register("pairs", config=PairsConfig, tags=("stat_arb",))
class Pairs(EventStrategy):
    """Z-score spread trading of two instruments."""

    name = "pairs"
    config_class = PairsConfig
    config: PairsConfig

    def setup(self) -> None:
        self.a, self.b = self.config.instruments
        self.window: deque[float] = deque()
        self.sum = 0.0
        self.sum2 = 0.0
        self.state = 0
        self.z = math.nan

    def on_bar(self, bar: BarSeries) -> None:
        sa, sb = self.bars[self.a], self.bars[self.b]
        if not (sa.ready and sb.ready) or sa.ts != sb.ts or bar is not sb:
            return
        spread = math.log(sa.close) - self.config.hedge_ratio * math.log(sb.close)
        w = self.window
        w.append(spread)
        self.sum += spread
        self.sum2 += spread * spread
        if len(w) > self.config.window:
            old = w.popleft()
            self.sum -= old
            self.sum2 -= old * old
        n = len(w)
        if n < self.config.window:
            return
        mean = self.sum / n
        var = max(self.sum2 / n - mean * mean, 0.0)
        if var <= 1e-18:
            return
        self.z = (spread - mean) / math.sqrt(var)
        cfg = self.config
        want = self.state
        if self.state == 0:
            if self.z > cfg.entry_z:
                want = -1
            elif self.z < -cfg.entry_z:
                want = 1
        elif abs(self.z) < cfg.exit_z:
            want = 0
        if want != self.state and not self.open_orders():
            self.state = want
            q = cfg.quantity * Decimal(want)
            self.target_position(self.a, q)
            self.target_position(self.b, -q)
