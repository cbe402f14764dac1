"""EMA cross: long while the fast EMA is above the slow one, short (or flat) below.

Optional trend filter on a higher timeframe (``trend_timeframe``, e.g. ``1h``): positions are
only taken in the direction of the close versus that timeframe's EMA; the higher-timeframe bar
is the last *closed* one (delivered at its close, so no look-ahead).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from nautilus.model.data import Timeframe
from nautilus.strategy.base import STRATEGIES
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.indicators import IndicatorHandle
from nautilus.strategy.series import BarSeries


class EmaCrossConfig(StrategyConfig):
    """EMA cross parameters (bars of ``timeframe``)."""

    fast: int = Field(10, ge=1, le=10_000, description="Fast EMA period (bars).")
    slow: int = Field(30, ge=2, le=10_000, description="Slow EMA period (bars).")
    allow_short: bool = Field(True, description="Short below the cross (else flat).")
    trend_timeframe: Timeframe | None = Field(None, description="Higher-timeframe filter.")
    trend_period: int = Field(20, ge=1, le=10_000, description="EMA period of the filter.")


@STRATEGIES.register("ema_cross", config=EmaCrossConfig, tags=("trend",))
class EmaCross(EventStrategy):
    """Fast/slow EMA crossover, long/short or long/flat, optional higher-timeframe filter."""

    name = "ema_cross"
    config_class = EmaCrossConfig
    config: EmaCrossConfig

    def setup(self) -> None:
        cfg = self.config
        self.fast: dict[str, IndicatorHandle] = {}
        self.slow: dict[str, IndicatorHandle] = {}
        self.trend: dict[str, IndicatorHandle] = {}
        self.side: dict[str, int] = {}
        for iid, series in self.bars.items():
            self.fast[iid] = self.indicator(series, "ema", timeperiod=cfg.fast)
            self.slow[iid] = self.indicator(series, "ema", timeperiod=cfg.slow)
            self.side[iid] = 0
            if cfg.trend_timeframe is not None:
                higher = self.subscribe_bars(iid, cfg.trend_timeframe)
                self.trend[iid] = self.indicator(higher, "ema", timeperiod=cfg.trend_period)
        self._short = -1 if cfg.allow_short else 0
        self._qty = cfg.quantity

    def on_bar(self, bar: BarSeries) -> None:
        iid = bar.instrument_id
        fast = self.fast.get(iid)
        if fast is None or bar is not self.bars[iid]:
            return
        f = fast.value
        s = self.slow[iid].value
        if f > s:
            want = 1
        elif f < s:
            want = self._short
        else:
            return
        if self.trend:
            t = self.trend[iid]
            if not t.ready or (want > 0) != (t.series.close > t.value):
                want = 0
        if want != self.side[iid]:
            self.side[iid] = want
            self.target_position(iid, self._qty * Decimal(want))
