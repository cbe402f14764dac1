"""The strategy API inside the event engine: hooks, order helpers, reads, indicators, MTF."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from nautilus.backtest.event import EventBacktest, EventBacktestConfig
from nautilus.core.errors import ValidationError
from nautilus.features.base import INDICATORS
from nautilus.features.streaming import IndicatorStream
from nautilus.model.events import OrderEvent, OrderFilled
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order
from nautilus.strategy import STRATEGIES, build_strategy
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.series import BarSeries

from .conftest import MINUTE, gbm_bars


def backtest(
    strategy: EventStrategy, inst: Instrument, frame: pd.DataFrame, **cfg: object
) -> EventBacktest:
    bt = EventBacktest(strategy, [inst], EventBacktestConfig(**cfg))  # type: ignore[arg-type]
    bt.add_bars(inst.id, "1m", frame)
    bt.result = bt.run()  # type: ignore[attr-defined]
    return bt


class Script(EventStrategy):
    """Exercises every helper at fixed bars and records every hook call."""

    name = "script"

    def setup(self) -> None:
        s = next(iter(self.bars.values()))
        self.sma = self.indicator(s, "sma", timeperiod=5)
        self.hour = self.subscribe_bars(s.instrument_id, "1h", keep=3)
        self.calls: list[tuple[str, object]] = []
        self.n = 0
        self.set_timer("tick", 30 * MINUTE)

    def on_bar(self, bar: BarSeries) -> None:
        if bar is self.hour:
            # a 1h bar is seen only at its close, never before
            assert bar.ts <= self.now_ns() and bar.ts % (60 * MINUTE) == 0
            self.calls.append(("hour", bar.ts))
            return
        self.n += 1
        self.calls.append(("bar", (bar.ts, self.sma.value)))
        iid = bar.instrument_id
        if self.hour.ready:
            assert self.hour.ts <= bar.ts
        if self.n == 2:
            self.limit = self.buy(iid, 5, price=self.price(iid, bar.close * 0.5))
            self.stop = self.sell(iid, 5, trigger_price=self.price(iid, bar.close * 0.5))
        elif self.n == 4:
            self.modify(self.limit, price=self.price(iid, bar.close * 0.6))
            self.cancel(self.stop)
        elif self.n == 6:
            self.cancel(self.limit)
            self.buy(iid, 7)
        elif self.n == 9:
            assert self.position(iid) == Decimal(7)
            assert self.cash() < Decimal(100_000)
            self.close_position(iid)
        elif self.n == 12:
            self.bracket(
                iid,
                "buy",
                3,
                take_profit=self.price(iid, bar.close * 1.5),
                stop_loss=self.price(iid, bar.close * 0.5),
            )

    def on_order(self, order: Order, event: OrderEvent) -> None:
        self.calls.append(("order", (order.client_order_id, type(event).__name__)))

    def on_fill(self, order: Order, fill: OrderFilled) -> None:
        self.calls.append(("fill", (order.client_order_id, fill.last_qty)))

    def on_timer(self, name: str, ts: int) -> None:
        self.calls.append(("timer", ts))

    def on_stop(self) -> None:
        self.calls.append(("stop", self.position(next(iter(self.bars)))))


def test_hooks_helpers_and_reads(inst: Instrument) -> None:
    frame = gbm_bars(240)
    s = Script(StrategyConfig(instruments=(inst.id,)))
    bt = backtest(s, inst, frame, initial_cash=Decimal(100_000))
    kinds = {k for k, _ in s.calls}
    assert kinds == {"bar", "hour", "order", "fill", "timer", "stop"}
    events = [v for k, v in s.calls if k == "order"]
    assert ("script-1", "OrderUpdated") in events  # modified limit
    assert ("script-2", "OrderCanceled") in events  # canceled stop
    assert ("script-1", "OrderCanceled") in events
    fills = [v for k, v in s.calls if k == "fill"]
    assert fills[:2] == [("script-3", Decimal(7)), ("script-4", Decimal(7))]
    assert any(oid.endswith("-E") for oid, _ in fills)  # bracket entry filled
    assert s.calls[-1] == ("stop", Decimal(3))
    hours = [v for k, v in s.calls if k == "hour"]
    assert len(hours) == 4
    timers = [v for k, v in s.calls if k == "timer"]
    assert timers == sorted(timers) and len(timers) >= 7
    # indicator values equal the batch indicator, bar by bar
    batch = INDICATORS.get("sma")
    ref = IndicatorStream(batch, timeperiod=5).update_many(frame)[0]
    got = np.array([v[1] for k, v in s.calls if k == "bar"])
    np.testing.assert_array_equal(got, ref)
    assert bt.oms.venue_calls >= 8


def test_history_spans_blocks(inst: Instrument) -> None:
    seen: list[np.ndarray] = []

    class Hist(EventStrategy):
        name = "hist"

        def on_start(self) -> None:
            self.s = self.subscribe_bars(inst.id, keep=10)

        def on_bar(self, bar: BarSeries) -> None:
            seen.append(bar.history("close", 4))

    frame = gbm_bars(40)
    backtest(Hist(StrategyConfig(instruments=(inst.id,))), inst, frame, block_rows=3)
    closes = frame["close"].to_numpy()
    for k, h in enumerate(seen):
        np.testing.assert_array_equal(h, closes[max(0, k - 3) : k + 1])


def test_registry_lists_five_strategies_with_frozen_configs() -> None:
    names = set(STRATEGIES.names())
    assert {"ema_cross", "rsi_reversion", "bollinger_breakout", "donchian_atr", "pairs"} <= names
    for spec in STRATEGIES.specs():
        schema = spec.describe()["parameters"]
        assert schema is not None and "instruments" in schema["properties"]
    with pytest.raises(Exception, match="extra"):
        build_strategy("ema_cross", {"fastt": 3})
    with pytest.raises(Exception, match="exactly two"):
        build_strategy("pairs", {"instruments": ["A.X"]})
    cfg = build_strategy("ema_cross", {"fast": 3}).config
    assert cfg.config_id() == build_strategy("ema_cross", {"fast": 3}).config.config_id()


def test_bad_orders_from_a_strategy_never_reach_the_venue(inst: Instrument) -> None:
    class Bad(EventStrategy):
        name = "bad"

        def on_bar(self, bar: BarSeries) -> None:
            if len(self.open_orders()) + len(self.host.oms.orders) == 0:  # type: ignore[union-attr]
                for qty in (Decimal("0.5"), Decimal("NaN"), Decimal(0), -3):
                    self.buy(bar.instrument_id, qty)

    bt = backtest(Bad(StrategyConfig(instruments=(inst.id,))), inst, gbm_bars(5))
    reasons = [o["reason"] for o in bt.result.orders]  # type: ignore[attr-defined]
    assert reasons == ["invalid_increment", "non_finite", "invalid_quantity", "invalid_quantity"]
    assert bt.oms.venue_calls == 0

    class Typo(EventStrategy):
        name = "typo"

        def on_bar(self, bar: BarSeries) -> None:
            self.buy(bar.instrument_id, "0.5", price="10.00")  # off the lot grid

    with pytest.raises(ValidationError) as err:
        backtest(Typo(StrategyConfig(instruments=(inst.id,))), inst, gbm_bars(5))
    assert err.value.code == "invalid_increment"
