"""Donchian trend following with an ATR trailing stop.

A close above the previous bar's ``entry``-bar channel high buys (below the low sells); a
protective stop order rests ``atr_mult`` ATRs away and is moved (modified) only in the trade's
favour each bar; a close through the opposite ``exit``-bar channel flattens.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from nautilus.model.orders import Order
from nautilus.strategy.base import STRATEGIES
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.series import BarSeries


class DonchianAtrConfig(StrategyConfig):
    """Channel lengths and stop distance (bars, ATR multiples)."""

    entry: int = Field(20, ge=2, le=10_000)
    exit: int = Field(10, ge=2, le=10_000)
    atr_period: int = Field(14, ge=1, le=10_000)
    atr_mult: float = Field(2.0, gt=0, le=50)
    allow_short: bool = True


@STRATEGIES.register("donchian_atr", config=DonchianAtrConfig, tags=("trend",))
class DonchianAtr(EventStrategy):
    """Channel breakout entries, ATR trailing stop orders, channel exits."""

    name = "donchian_atr"
    config_class = DonchianAtrConfig
    config: DonchianAtrConfig

    def setup(self) -> None:
        cfg = self.config
        self.entry_ch = {
            i: self.indicator(s, "donchian", timeperiod=cfg.entry) for i, s in self.bars.items()
        }
        self.exit_ch = {
            i: self.indicator(s, "donchian", timeperiod=cfg.exit) for i, s in self.bars.items()
        }
        self.atr = {
            i: self.indicator(s, "atr", timeperiod=cfg.atr_period) for i, s in self.bars.items()
        }
        self.prev: dict[str, tuple[float, float, float, float]] = {}
        self.stop: dict[str, Order | None] = dict.fromkeys(self.bars)

    def on_bar(self, bar: BarSeries) -> None:
        iid = bar.instrument_id
        ent, ext, atr = self.entry_ch[iid], self.exit_ch[iid], self.atr[iid]
        now = (ent["upper"], ent["lower"], ext["upper"], ext["lower"])
        prev = self.prev.get(iid)
        self.prev[iid] = now
        if prev is None or prev[0] != prev[0] or not atr.ready:
            return
        close, a = bar.close, atr.value
        pos = self.position(iid)
        stop = self.stop[iid]
        if stop is not None and not stop.is_open:
            stop = self.stop[iid] = None
        cfg = self.config
        if pos == 0:
            if self.open_orders(iid):
                return
            if close > prev[0]:
                self.buy(iid, cfg.quantity)
                self.stop[iid] = self.sell(
                    iid, cfg.quantity, trigger_price=self.price(iid, close - cfg.atr_mult * a)
                )
            elif close < prev[1] and cfg.allow_short:
                self.sell(iid, cfg.quantity)
                self.stop[iid] = self.buy(
                    iid,
                    cfg.quantity,
                    trigger_price=self.price(iid, close + cfg.atr_mult * a, up=True),
                )
            return
        if (pos > 0 and close < prev[3]) or (pos < 0 and close > prev[2]):
            if stop is not None:
                self.cancel(stop)
                self.stop[iid] = None
            self.close_position(iid)
            return
        if (
            stop is not None
            and stop.trigger_price is not None
            and stop.status.value in ("accepted", "triggered")
        ):
            if pos > 0:
                new = self.price(iid, close - cfg.atr_mult * a)
                if new > stop.trigger_price:
                    self.modify(stop, trigger_price=new)
            else:
                new = self.price(iid, close + cfg.atr_mult * a, up=True)
                if new < stop.trigger_price:
                    self.modify(stop, trigger_price=new)

    def on_stop(self) -> None:
        for iid in self.bars:
            if self.position(iid) != Decimal(0):
                self.cancel_all(iid)
