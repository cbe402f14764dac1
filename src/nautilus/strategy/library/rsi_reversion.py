"""RSI mean reversion: buy oversold, sell overbought, exit when RSI returns to the middle."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from nautilus.strategy.base import STRATEGIES
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.series import BarSeries


class RsiReversionConfig(StrategyConfig):
    """RSI thresholds in RSI points (0..100)."""

    period: int = Field(14, ge=2, le=1000, description="RSI period (bars).")
    oversold: float = Field(30.0, gt=0, lt=50, description="Go long below this.")
    overbought: float = Field(70.0, gt=50, lt=100, description="Go short above this.")
    exit_level: float = Field(50.0, gt=0, lt=100, description="Flatten when RSI crosses it.")
    allow_short: bool = True


@STRATEGIES.register("rsi_reversion", config=RsiReversionConfig, tags=("mean_reversion",))
class RsiReversion(EventStrategy):
    """Long below ``oversold``, short above ``overbought``, flat back at ``exit_level``."""

    name = "rsi_reversion"
    config_class = RsiReversionConfig
    config: RsiReversionConfig

    def setup(self) -> None:
        self.rsi = {
            iid: self.indicator(s, "rsi", timeperiod=self.config.period)
            for iid, s in self.bars.items()
        }
        self.side = dict.fromkeys(self.bars, 0)

    def on_bar(self, bar: BarSeries) -> None:
        iid = bar.instrument_id
        r = self.rsi[iid].value
        if r != r:  # warm-up NaN
            return
        cfg = self.config
        side = self.side[iid]
        want = side
        if side == 0:
            if r < cfg.oversold:
                want = 1
            elif r > cfg.overbought and cfg.allow_short:
                want = -1
        elif (side > 0 and r >= cfg.exit_level) or (side < 0 and r <= cfg.exit_level):
            want = 0
        if want != side:
            self.side[iid] = want
            self.target_position(iid, cfg.quantity * Decimal(want))
