"""Bollinger breakout: enter on a close outside the band with a bracket (take profit, stop).

A close above the upper band buys with a take profit ``reward`` band-widths above the entry
close and a stop at the middle band (sells mirror it). The exits are linked OUO at the venue.
"""

from __future__ import annotations

from pydantic import Field

from nautilus.strategy.base import STRATEGIES
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.series import BarSeries


class BollingerBreakoutConfig(StrategyConfig):
    """Band period and width (standard deviations), reward in half band-widths."""

    period: int = Field(20, ge=2, le=10_000)
    nbdev: float = Field(2.0, gt=0, le=10)
    reward: float = Field(1.0, gt=0, le=20, description="Take profit distance / (upper - mid).")
    allow_short: bool = True


@STRATEGIES.register("bollinger_breakout", config=BollingerBreakoutConfig, tags=("breakout",))
class BollingerBreakout(EventStrategy):
    """Bracket entries on closes outside the Bollinger band."""

    name = "bollinger_breakout"
    config_class = BollingerBreakoutConfig
    config: BollingerBreakoutConfig

    def setup(self) -> None:
        cfg = self.config
        self.bands = {
            iid: self.indicator(
                s, "bbands", timeperiod=cfg.period, nbdevup=cfg.nbdev, nbdevdn=cfg.nbdev
            )
            for iid, s in self.bars.items()
        }

    def on_bar(self, bar: BarSeries) -> None:
        iid = bar.instrument_id
        b = self.bands[iid]
        if not b.ready or self.position(iid) != 0 or self.open_orders(iid):
            return
        up, mid, lo = b["upperband"], b["middleband"], b["lowerband"]
        close = bar.close
        width = up - mid
        tick = float(self.instrument(iid).tick_size)
        if width < 2 * tick:
            return
        qty = self.config.quantity
        if close > up:
            tp = self.price(iid, close + self.config.reward * width, up=True)
            sl = self.price(iid, mid)
            if sl < tp:
                self.bracket(iid, "buy", qty, take_profit=tp, stop_loss=sl)
        elif close < lo and self.config.allow_short:
            tp = self.price(iid, close - self.config.reward * width)
            sl = self.price(iid, mid, up=True)
            if tp < sl and tp > 0:
                self.bracket(iid, "sell", qty, take_profit=tp, stop_loss=sl)
