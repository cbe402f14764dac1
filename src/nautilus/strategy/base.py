"""The strategy plug-in contract, the host it runs in, and the ``STRATEGIES`` registry.

A strategy is a class with a frozen config (``config_class``) registered in ``STRATEGIES``.
The same strategy object runs in an event-driven backtest (replayed clock) and in paper or
live trading (wall clock): both implement :class:`StrategyHost`, the only thing a strategy
talks to. Orders go ``strategy -> pre-trade gate -> OMS (persisted) -> venue``; the strategy
never calls a venue.

Conventions: times are int ns UTC (``now_ns``; a bar's ``ts`` is its close and a bar is
delivered at its close, never earlier); quantities and prices of orders are ``Decimal`` on the
instrument's lot/tick grid; positions are signed (long > 0).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from nautilus.core.registry import Registry
from nautilus.model.events import OrderSide, OrderType
from nautilus.strategy.config import StrategyConfig

if TYPE_CHECKING:
    from nautilus.model.data import Quote, Trade
    from nautilus.model.events import OrderEvent, OrderFilled
    from nautilus.model.instrument import Instrument
    from nautilus.model.orders import Order, OrderList
    from nautilus.model.position import Position
    from nautilus.strategy.indicators import IndicatorHandle
    from nautilus.strategy.series import BarSeries


class StrategyHost(Protocol):
    """What a running strategy may use: clock, data subscriptions, orders, portfolio reads."""

    def now_ns(self) -> int: ...

    def instrument(self, instrument_id: str) -> Instrument: ...

    def subscribe_bars(self, instrument_id: str, timeframe: str, *, keep: int = 0) -> BarSeries: ...

    def subscribe_quotes(self, instrument_id: str) -> None: ...

    def subscribe_trades(self, instrument_id: str) -> None: ...

    def add_indicator(self, series: BarSeries, name: str, **params: Any) -> IndicatorHandle: ...

    def set_timer(self, name: str, interval_ns: int, start_ns: int | None = None) -> None: ...

    def cancel_timer(self, name: str) -> None: ...

    def next_order_id(self) -> str: ...

    def submit(self, order: Order) -> Order: ...

    def submit_list(self, order_list: OrderList) -> list[Order]: ...

    def cancel(self, client_order_id: str) -> None: ...

    def modify(
        self,
        client_order_id: str,
        *,
        quantity: object | None = None,
        price: object | None = None,
        trigger_price: object | None = None,
    ) -> None: ...

    def order(self, client_order_id: str) -> Order | None: ...

    def open_orders(self, instrument_id: str | None = None) -> list[Order]: ...

    def position_qty(self, instrument_id: str) -> Decimal: ...

    def positions(self) -> list[Position]: ...

    def cash(self) -> Decimal: ...

    def equity(self) -> float: ...


class Strategy(abc.ABC):
    """Base of all strategies. Override the ``on_*`` hooks you need; all default to no-ops.

    Subclasses set ``name`` and ``config_class`` and are registered in ``STRATEGIES``.
    The host is attached before ``on_start`` and stays for the strategy's life.
    """

    name: ClassVar[str] = "strategy"
    config_class: ClassVar[type[StrategyConfig]] = StrategyConfig

    def __init__(self, config: StrategyConfig | None = None) -> None:
        self.config = config if config is not None else self.config_class()
        self.host: StrategyHost | None = None

    @property
    def strategy_id(self) -> str:
        return self.config.strategy_id or self.name

    def bind(self, host: StrategyHost) -> None:
        """Attach the host (the engine calls this once)."""
        self.host = host

    @property
    def _h(self) -> StrategyHost:
        if self.host is None:
            from nautilus.core.errors import ConflictError

            raise ConflictError("strategy is not running in an engine", code="strategy_unbound")
        return self.host

    # -- hooks ----------------------------------------------------------------------------

    @abc.abstractmethod
    def on_start(self) -> None:
        """Subscribe to data and register indicators (called once, before any data)."""

    def on_bar(self, bar: BarSeries) -> None:  # noqa: B027 - optional hook
        """A bar closed; ``bar`` is the series with its cursor on the new bar."""

    def on_quote(self, quote: Quote) -> None:  # noqa: B027 - optional hook
        """A quote arrived (subscribed with ``subscribe_quotes``)."""

    def on_trade(self, trade: Trade) -> None:  # noqa: B027 - optional hook
        """A market trade arrived (subscribed with ``subscribe_trades``)."""

    def on_order(self, order: Order, event: OrderEvent) -> None:  # noqa: B027 - optional hook
        """An event changed one of this strategy's orders (already applied)."""

    def on_fill(self, order: Order, fill: OrderFilled) -> None:  # noqa: B027 - optional hook
        """One of this strategy's orders filled (positions and cash already updated)."""

    def on_timer(self, name: str, ts: int) -> None:  # noqa: B027 - optional hook
        """Timer ``name`` fired at ``ts`` (ns UTC)."""

    def on_stop(self) -> None:  # noqa: B027 - optional hook
        """The run ends; orders can no longer be sent after this returns."""

    # -- reads ----------------------------------------------------------------------------

    def now_ns(self) -> int:
        return self._h.now_ns()

    def instrument(self, instrument_id: str) -> Instrument:
        return self._h.instrument(instrument_id)

    def position(self, instrument_id: str) -> Decimal:
        """Signed net quantity held (long > 0), Decimal."""
        return self._h.position_qty(instrument_id)

    def positions(self) -> list[Position]:
        return self._h.positions()

    def cash(self) -> Decimal:
        return self._h.cash()

    def equity(self) -> float:
        """Cash plus open positions marked at the last close (float, reporting only)."""
        return self._h.equity()

    def open_orders(self, instrument_id: str | None = None) -> list[Order]:
        return self._h.open_orders(instrument_id)

    # -- data -----------------------------------------------------------------------------

    def subscribe_bars(
        self, instrument_id: str, timeframe: str | None = None, *, keep: int = 0
    ) -> BarSeries:
        """Bars of ``instrument_id``; a timeframe above the data's is aggregated and delivered
        at its close only. ``keep`` bars of history stay reachable across blocks."""
        return self._h.subscribe_bars(
            instrument_id, str(timeframe or self.config.timeframe), keep=keep
        )

    def subscribe_quotes(self, instrument_id: str) -> None:
        """Deliver ``instrument_id`` quotes to ``on_quote`` (live feeds that carry them)."""
        self._h.subscribe_quotes(instrument_id)

    def subscribe_trades(self, instrument_id: str) -> None:
        """Deliver ``instrument_id`` market trades to ``on_trade``."""
        self._h.subscribe_trades(instrument_id)

    def indicator(self, series: BarSeries, name: str, **params: Any) -> IndicatorHandle:
        """Register indicator ``name`` (a ``nautilus.features`` indicator) on ``series``."""
        return self._h.add_indicator(series, name, **params)

    def set_timer(self, name: str, interval_ns: int, start_ns: int | None = None) -> None:
        self._h.set_timer(name, interval_ns, start_ns)

    # -- orders ---------------------------------------------------------------------------

    def submit(self, order: Order) -> Order:
        return self._h.submit(order)

    def _order(
        self,
        instrument_id: str,
        side: str,
        quantity: object,
        price: object | None,
        trigger_price: object | None,
        order_type: str | None,
        **kw: Any,
    ) -> Order:
        from nautilus.model.orders import Order, make_order

        if order_type is None:
            order_type = (
                "stop_limit"
                if price is not None and trigger_price is not None
                else "limit"
                if price is not None
                else "stop"
                if trigger_price is not None
                else "market"
            )
        h = self._h
        if (
            not kw
            and order_type == "market"
            and isinstance(quantity, Decimal | int)
            and not isinstance(quantity, bool)
        ):
            # Fast path for the commonest order: the OMS validates the quantity (finite,
            # positive, on the lot grid) and denies a bad one with its reason code.
            return h.submit(
                Order(
                    client_order_id=h.next_order_id(),
                    instrument_id=h.instrument(instrument_id).id,
                    side=_SIDES[side],
                    order_type=_MARKET,
                    quantity=quantity if isinstance(quantity, Decimal) else Decimal(quantity),
                    tags=(self.strategy_id,),
                    ts_init=h.now_ns(),
                    ts_last=h.now_ns(),
                )
            )
        return h.submit(
            make_order(
                h.instrument(instrument_id),
                side,
                order_type,
                quantity,
                price=price,
                trigger_price=trigger_price,
                client_order_id=h.next_order_id(),
                ts_init=h.now_ns(),
                tags=(self.strategy_id,),
                **kw,
            )
        )

    def buy(
        self,
        instrument_id: str,
        quantity: object,
        *,
        price: object | None = None,
        trigger_price: object | None = None,
        order_type: str | None = None,
        **kw: Any,
    ) -> Order:
        """Buy ``quantity``: market, or limit with ``price``, stop with ``trigger_price``."""
        return self._order(instrument_id, "buy", quantity, price, trigger_price, order_type, **kw)

    def sell(
        self,
        instrument_id: str,
        quantity: object,
        *,
        price: object | None = None,
        trigger_price: object | None = None,
        order_type: str | None = None,
        **kw: Any,
    ) -> Order:
        """Sell ``quantity`` (see :meth:`buy`)."""
        return self._order(instrument_id, "sell", quantity, price, trigger_price, order_type, **kw)

    def cancel(self, order: Order | str) -> None:
        self._h.cancel(order if isinstance(order, str) else order.client_order_id)

    def cancel_all(self, instrument_id: str | None = None) -> None:
        for o in self._h.open_orders(instrument_id):
            self._h.cancel(o.client_order_id)

    def modify(
        self,
        order: Order | str,
        *,
        quantity: object | None = None,
        price: object | None = None,
        trigger_price: object | None = None,
    ) -> None:
        oid = order if isinstance(order, str) else order.client_order_id
        self._h.modify(oid, quantity=quantity, price=price, trigger_price=trigger_price)

    def close_position(self, instrument_id: str) -> Order | None:
        """Market order flattening the net position (None when flat)."""
        qty = self._h.position_qty(instrument_id)
        if qty == 0:
            return None
        return (self.sell if qty > 0 else self.buy)(instrument_id, abs(qty))

    def target_position(self, instrument_id: str, target: Decimal) -> Order | None:
        """Market order taking the net position to ``target`` (signed); None if already there."""
        delta = target - self._h.position_qty(instrument_id)
        if delta == 0:
            return None
        return (self.buy if delta > 0 else self.sell)(instrument_id, abs(delta))

    def bracket(
        self,
        instrument_id: str,
        side: str,
        quantity: object,
        *,
        take_profit: object,
        stop_loss: object,
        entry_price: object | None = None,
    ) -> list[Order]:
        """Entry (market, or limit at ``entry_price``) with a take-profit and a stop, OUO."""
        from nautilus.model.orders import bracket

        h = self._h
        lst = bracket(
            h.instrument(instrument_id),
            side,
            quantity,
            take_profit=take_profit,
            stop_loss=stop_loss,
            entry_price=entry_price,
            ts_init=h.now_ns(),
            list_id=h.next_order_id(),
        )
        return h.submit_list(lst)

    def price(self, instrument_id: str, value: float, *, up: bool = False) -> Decimal:
        """``value`` rounded onto the instrument's tick grid (down, or up with ``up``)."""
        from decimal import ROUND_CEILING, ROUND_FLOOR

        tick = self._h.instrument(instrument_id).tick_size
        steps = (Decimal(repr(float(value))) / tick).to_integral_value(
            rounding=ROUND_CEILING if up else ROUND_FLOOR
        )
        return steps * tick


_SIDES = {"buy": OrderSide.BUY, "sell": OrderSide.SELL}
_MARKET = OrderType.MARKET

STRATEGIES: Registry[type[Strategy]] = Registry("strategy")
"""Strategy classes by name; each spec's ``config`` is the strategy's config class."""


def build_strategy(name: str, params: dict[str, Any] | None = None) -> Strategy:
    """Instantiate registered strategy ``name`` with its config validated from ``params``."""
    spec = STRATEGIES.spec(name)
    cfg_cls = spec.config or StrategyConfig
    return spec.obj(cfg_cls(**(params or {})))  # type: ignore[arg-type]


def instruments_of(strategies: Iterable[Strategy]) -> list[str]:
    out: list[str] = []
    for s in strategies:
        out.extend(i for i in s.config.instruments if i not in out)
    return out
