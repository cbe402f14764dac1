"""The strategy host shared by event-driven backtests and paper/live trading.

:class:`StrategyRuntime` owns one strategy, its bar series, indicators and timers, and routes
its order commands to an :class:`~nautilus.execution.oms.Oms`. The engine in use (backtest
loop or live session) loads bar blocks into the series, sets ``now`` (int ns UTC, the replayed
or wall/feed clock) and calls the strategy hooks; OMS events come back through
:meth:`on_order_event` / :meth:`on_order_fill`.
"""

from __future__ import annotations

import heapq
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.model.data import Quote, Timeframe, Trade
from nautilus.model.events import OrderEvent, OrderFilled
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order, OrderList
from nautilus.model.position import Position
from nautilus.strategy.base import Strategy
from nautilus.strategy.indicators import IndicatorHandle
from nautilus.strategy.series import BarSeries

if TYPE_CHECKING:
    from nautilus.execution.oms import Oms

NEVER = 2**63 - 1


class StrategyRuntime:
    """Implements :class:`~nautilus.strategy.base.StrategyHost` over an OMS."""

    def __init__(self, strategy: Strategy, oms: Oms, *, base_timeframe: str | None = None) -> None:
        self.strategy = strategy
        self.oms = oms
        self.base_timeframe = base_timeframe
        self.now = 0
        self.series: dict[tuple[str, str], BarSeries] = {}
        self.quote_subs: set[str] = set()
        self.trade_subs: set[str] = set()
        self.next_timer = NEVER
        self._timers: list[tuple[int, str, int]] = []
        self._timer_live: dict[str, int] = {}
        self._order_n = 0
        self._prefix = strategy.strategy_id
        self.started = False
        self.stopped = False
        self._hooks = self._order_hooks()
        oms.listeners.append(self)
        if oms.mark is None:
            oms.mark = self.mark
        strategy.bind(self)

    # -- StrategyHost --------------------------------------------------------------------

    def now_ns(self) -> int:
        return self.now

    def instrument(self, instrument_id: str) -> Instrument:
        inst = self.oms.instruments.get(instrument_id)
        if inst is None:
            raise NotFoundError(f"unknown instrument {instrument_id}", code="unknown_instrument")
        return inst

    def subscribe_bars(self, instrument_id: str, timeframe: str, *, keep: int = 0) -> BarSeries:
        self.instrument(instrument_id)
        tf = Timeframe(timeframe)
        if self.base_timeframe is not None and tf.ns < Timeframe(self.base_timeframe).ns:
            raise ValidationError(
                f"{tf.value} bars are finer than the data ({self.base_timeframe})",
                code="timeframe_too_fine",
            )
        key = (instrument_id, tf.value)
        s = self.series.get(key)
        if s is None:
            s = self.series[key] = BarSeries(instrument_id, tf.value, tf.ns, keep=keep)
        s.keep = max(s.keep, keep)
        self._assign_venue_feeds()
        return s

    def _assign_venue_feeds(self) -> None:
        finest: dict[str, BarSeries] = {}
        for s in self.series.values():
            cur = finest.get(s.instrument_id)
            if cur is None or s.tf_ns < cur.tf_ns:
                finest[s.instrument_id] = s
        for s in self.series.values():
            s.feeds_venue = finest[s.instrument_id] is s

    def subscribe_quotes(self, instrument_id: str) -> None:
        self.instrument(instrument_id)
        self.quote_subs.add(instrument_id)

    def subscribe_trades(self, instrument_id: str) -> None:
        self.instrument(instrument_id)
        self.trade_subs.add(instrument_id)

    def add_indicator(self, series: BarSeries, name: str, **params: Any) -> IndicatorHandle:
        h = IndicatorHandle(series, name, **params)
        series.indicators.append(h)
        return h

    def set_timer(self, name: str, interval_ns: int, start_ns: int | None = None) -> None:
        if interval_ns <= 0:
            raise ValidationError("timer interval must be positive", code="invalid_interval")
        first = (start_ns if start_ns is not None else self.now) + interval_ns
        self._timer_live[name] = interval_ns
        heapq.heappush(self._timers, (first, name, interval_ns))
        self.next_timer = self._timers[0][0]

    def cancel_timer(self, name: str) -> None:
        self._timer_live.pop(name, None)

    def fire_timers(self, ts: int) -> None:
        """Fire every timer due at or before ``ts`` in time order (at its own time)."""
        while self._timers and self._timers[0][0] <= ts:
            due, name, interval = heapq.heappop(self._timers)
            if self._timer_live.get(name) != interval:
                continue
            heapq.heappush(self._timers, (due + interval, name, interval))
            saved, self.now = self.now, due
            self.strategy.on_timer(name, due)
            self.now = max(saved, due)
        self.next_timer = self._timers[0][0] if self._timers else NEVER

    def next_order_id(self) -> str:
        self._order_n += 1
        return f"{self._prefix}-{self._order_n}"

    def submit(self, order: Order) -> Order:
        return self.oms.submit(order, self._prefix)

    def submit_list(self, order_list: OrderList) -> list[Order]:
        return self.oms.submit_list(order_list, self._prefix)

    def cancel(self, client_order_id: str) -> None:
        self.oms.cancel(client_order_id)

    def modify(
        self,
        client_order_id: str,
        *,
        quantity: object | None = None,
        price: object | None = None,
        trigger_price: object | None = None,
    ) -> None:
        self.oms.modify(
            client_order_id, quantity=quantity, price=price, trigger_price=trigger_price
        )

    def order(self, client_order_id: str) -> Order | None:
        return self.oms.orders.get(client_order_id)

    def open_orders(self, instrument_id: str | None = None) -> list[Order]:
        return self.oms.open_orders(instrument_id)

    def position_qty(self, instrument_id: str) -> Decimal:
        return self.oms.net_qty(instrument_id)

    def positions(self) -> list[Position]:
        return self.oms.positions()

    def cash(self) -> Decimal:
        return self.oms.cash()

    def mark(self, instrument_id: str) -> tuple[float, int] | None:
        """Last close of the finest series of ``instrument_id`` and its time."""
        best: BarSeries | None = None
        for s in self.series.values():
            if s.instrument_id == instrument_id and s.feeds_venue:
                best = s
        if best is None or not best.ready:
            return None
        return best.close, best.ts

    def equity(self) -> float:
        total = float(self.oms.cash())
        for p in self.oms.positions():
            m = self.mark(p.instrument_id)
            if m is not None:
                total += float(p.signed_qty) * m[0] * float(p.multiplier)
        return total

    # -- lifecycle and events ------------------------------------------------------------

    def _order_hooks(self) -> tuple[bool, bool]:
        """Whether the strategy overrides ``on_order`` / ``on_fill`` (the base ones do
        nothing, so events are not routed to them: a fill then costs no ownership lookup)."""
        return tuple(  # type: ignore[return-value]
            getattr(getattr(self.strategy, name), "__func__", None) is not getattr(Strategy, name)
            for name in ("on_order", "on_fill")
        )

    def start(self) -> None:
        if not self.started:
            self.started = True
            self.strategy.on_start()
            self._hooks = self._order_hooks()

    def stop(self) -> None:
        """``on_stop`` then the OMS refuses every later order (stop means stop)."""
        if self.stopped:
            return
        self.stopped = True
        try:
            self.strategy.on_stop()
        finally:
            self.oms.stop(cancel_open=False)

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        if self._hooks[0] and self.oms.strategy_of(order.client_order_id) == self._prefix:
            self.strategy.on_order(order, event)

    def on_order_fill(self, order: Order, fill: OrderFilled) -> None:
        if self._hooks[1] and self.oms.strategy_of(order.client_order_id) == self._prefix:
            self.strategy.on_fill(order, fill)

    def deliver_quote(self, quote: Quote) -> None:
        if quote.instrument_id in self.quote_subs:
            self.strategy.on_quote(quote)

    def deliver_trade(self, trade: Trade) -> None:
        if trade.instrument_id in self.trade_subs:
            self.strategy.on_trade(trade)
