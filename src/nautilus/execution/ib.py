"""Interactive Brokers as a venue, through ``ib-async`` (TWS or IB Gateway must run).

:class:`IbVenue` is a :class:`~nautilus.execution.oms.VenueClient`: the OMS gates and persists
an order, then ``submit`` places it with ``IB.placeOrder`` (our client order id travels as
IB's ``orderRef``); IB's ``orderStatusEvent`` and ``execDetailsEvent`` come back as order
events through ``on_event``:

============================  =========================================================
IB                            order event
============================  =========================================================
placeOrder returned           ``OrderSubmitted`` (at once, before IB answers)
status PreSubmitted/Submitted ``OrderAccepted`` (``venue_order_id`` = IB ``permId`` or
                              ``orderId``), once
execDetails                   ``OrderFilled`` (``trade_id`` = IB ``execId``; IB resends
                              executions on reconnect, the OMS drops the repeats)
status Cancelled/ApiCancelled ``OrderCanceled``
status Inactive               ``OrderRejected`` (reason ``venue_inactive``)
============================  =========================================================

Reconciliation (:meth:`IbVenue.report`): open trades, today's executions and the positions
from ``reqPositions``. When the positions request fails (not connected, timeout), the report
carries ``positions=None`` and the OMS refuses to start: a missing report is not flat.

Quantities and prices are converted to Decimal on the instrument's lot/tick grid; times are
int ns UTC from the ``clock`` the OMS uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ib_async import Contract, LimitOrder, MarketOrder, Stock, StopLimitOrder, StopOrder
from ib_async import Order as IbOrder

from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.execution.oms import OrderReport, VenueReport
from nautilus.model.events import (
    LiquiditySide,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    OrderUpdated,
    TimeInForce,
)
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order, OrderList

log = logging.getLogger(__name__)

_TIF = {
    TimeInForce.GTC: "GTC",
    TimeInForce.DAY: "DAY",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.GTD: "GTD",
}
_ACTIVE = {"PreSubmitted", "Submitted"}
_CANCELLED = {"Cancelled", "ApiCancelled"}


def default_contract(instrument: Instrument) -> Contract:
    """A SMART-routed stock contract for ``SYMBOL.VENUE`` in the instrument's currency."""
    return Stock(instrument.symbol, "SMART", instrument.currency)


class IbVenue:
    """Orders of one IB account through an ``ib_async.IB`` client (see the module docstring)."""

    def __init__(
        self,
        ib: Any,
        instruments: Iterable[Instrument],
        on_event: Callable[[OrderEvent], None],
        *,
        account: str = "",
        clock: Callable[[], int],
        contract_for: Callable[[Instrument], Contract] = default_contract,
    ) -> None:
        self.ib = ib
        self.account = account
        self.instruments = {i.id: i for i in instruments}
        self.on_event = on_event
        self.clock = clock
        self.contract_for = contract_for
        self.calls: list[str] = []
        self._orders: dict[str, Order] = {}
        self._trades: dict[str, Any] = {}
        self._accepted: set[str] = set()
        self._closed: set[str] = set()
        ib.orderStatusEvent += self._on_status
        ib.execDetailsEvent += self._on_exec

    # -- commands ------------------------------------------------------------------------

    def _ib_order(self, order: Order) -> IbOrder:
        action = "BUY" if order.is_buy else "SELL"
        qty = float(order.quantity)
        t = order.order_type
        if t is OrderType.MARKET:
            o: IbOrder = MarketOrder(action, qty)
        elif t is OrderType.LIMIT:
            o = LimitOrder(action, qty, float(order.price or 0))
        elif t is OrderType.STOP:
            o = StopOrder(action, qty, float(order.trigger_price or 0))
        elif t is OrderType.STOP_LIMIT:
            o = StopLimitOrder(
                action, qty, float(order.price or 0), float(order.trigger_price or 0)
            )
        else:
            raise ValidationError(
                f"{t.value} orders are not supported on IB here", code="unsupported_order_type"
            )
        o.orderRef = order.client_order_id
        o.tif = _TIF[order.time_in_force]
        if self.account:
            o.account = self.account
        return o

    def submit(self, order: Order, ts: int) -> Order:
        if order.client_order_id in self._orders:
            return self._orders[order.client_order_id]
        inst = self.instruments.get(order.instrument_id)
        if inst is None:
            raise NotFoundError(
                f"IB venue has no instrument {order.instrument_id}", code="unknown_instrument"
            )
        ib_order = self._ib_order(order)
        self._orders[order.client_order_id] = order
        self.on_event(
            OrderSubmitted(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
            )
        )
        self.calls.append(f"placeOrder:{order.client_order_id}")
        self._trades[order.client_order_id] = self.ib.placeOrder(self.contract_for(inst), ib_order)
        return order

    def submit_list(self, order_list: OrderList, ts: int) -> list[Order]:
        """Orders of a list are placed one by one (IB brackets need parent ids; not used)."""
        return [self.submit(o, ts) for o in order_list]

    def _trade(self, client_order_id: str) -> Any:
        trade = self._trades.get(client_order_id)
        if trade is None:
            raise NotFoundError(f"unknown order {client_order_id}", code="unknown_order")
        if client_order_id in self._closed:
            raise ConflictError(f"order {client_order_id} is closed", code="order_closed")
        return trade

    def cancel(self, client_order_id: str, ts: int) -> None:
        trade = self._trade(client_order_id)
        order = self._orders[client_order_id]
        self.on_event(
            OrderPendingCancel(
                client_order_id=client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
            )
        )
        self.calls.append(f"cancelOrder:{client_order_id}")
        self.ib.cancelOrder(trade.order)

    def modify(
        self,
        client_order_id: str,
        ts: int,
        *,
        quantity: object | None = None,
        price: object | None = None,
        trigger_price: object | None = None,
    ) -> None:
        """Re-place the IB order with new values; IB answers with a status update."""
        trade = self._trade(client_order_id)
        order = self._orders[client_order_id]
        self.on_event(
            OrderPendingUpdate(
                client_order_id=client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
            )
        )
        ib_order = trade.order
        if quantity is not None:
            ib_order.totalQuantity = float(str(quantity))
        if price is not None:
            ib_order.lmtPrice = float(str(price))
        if trigger_price is not None:
            ib_order.auxPrice = float(str(trigger_price))
        self.calls.append(f"placeOrder:{client_order_id}:modify")
        self.ib.placeOrder(trade.contract, ib_order)
        self.on_event(
            OrderUpdated(
                client_order_id=client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
                quantity=None if quantity is None else Decimal(str(quantity)),
                price=None if price is None else Decimal(str(price)),
                trigger_price=None if trigger_price is None else Decimal(str(trigger_price)),
            )
        )

    # -- IB events -----------------------------------------------------------------------

    def _coid(self, trade: Any) -> str | None:
        ref = getattr(trade.order, "orderRef", "") or ""
        return ref if ref in self._orders else None

    def _on_status(self, trade: Any) -> None:
        coid = self._coid(trade)
        if coid is None:
            return
        order = self._orders[coid]
        status = trade.orderStatus.status
        ts = self.clock()
        base = {
            "client_order_id": coid,
            "instrument_id": order.instrument_id,
            "ts_event": ts,
            "ts_init": ts,
        }
        if status in _ACTIVE and coid not in self._accepted:
            self._accepted.add(coid)
            vid = str(trade.orderStatus.permId or trade.order.permId or trade.order.orderId)
            self.on_event(OrderAccepted(**base, venue_order_id=vid))
        elif status in _CANCELLED and coid not in self._closed:
            self._closed.add(coid)
            self.on_event(OrderCanceled(**base, reason="venue"))
        elif status == "Inactive" and coid not in self._closed:
            self._closed.add(coid)
            self.on_event(
                OrderRejected(
                    **base,
                    reason="venue_inactive",
                    message=getattr(trade, "advancedError", "") or "",
                )
            )
        elif status == "Filled":
            self._closed.add(coid)

    def fill_event(self, trade: Any, fill: Any) -> OrderFilled | None:
        """Our ``OrderFilled`` for an IB fill of one of our orders (None if not ours)."""
        coid = self._coid(trade) or (
            fill.execution.orderRef if fill.execution.orderRef in self._orders else None
        )
        if coid is None:
            return None
        order = self._orders[coid]
        inst = self.instruments[order.instrument_id]
        ex = fill.execution
        report = getattr(fill, "commissionReport", None)
        commission = (
            Decimal(repr(float(report.commission))) if report and report.commission else Decimal(0)
        )
        ts = int(ex.time.timestamp() * 1_000_000) * 1000 if ex.time else self.clock()
        px = (Decimal(repr(float(ex.price))) / inst.tick_size).to_integral_value() * inst.tick_size
        qty = (Decimal(repr(float(ex.shares))) / inst.lot_size).to_integral_value() * inst.lot_size
        return OrderFilled(
            client_order_id=coid,
            instrument_id=order.instrument_id,
            ts_event=ts,
            ts_init=ts,
            venue_order_id=str(ex.permId or ex.orderId),
            trade_id=ex.execId,
            side=order.side,
            order_type=order.order_type,
            last_qty=qty,
            last_px=px,
            currency=inst.currency,
            commission=commission,
            commission_currency=inst.currency,
            liquidity_side=LiquiditySide.NONE,
        )

    def _on_exec(self, trade: Any, fill: Any) -> None:
        event = self.fill_event(trade, fill)
        if event is not None:
            coid = event.client_order_id
            if coid not in self._accepted:
                self._accepted.add(coid)
                self.on_event(
                    OrderAccepted(
                        client_order_id=coid,
                        instrument_id=event.instrument_id,
                        ts_event=event.ts_event,
                        ts_init=event.ts_init,
                        venue_order_id=event.venue_order_id,
                    )
                )
            self.on_event(event)

    # -- reconciliation ------------------------------------------------------------------

    def adopt(self, orders: Iterable[Order]) -> None:
        """Know restored orders again (after a restart) so IB events map to them."""
        for o in orders:
            self._orders.setdefault(o.client_order_id, o)
            if o.is_open:
                self._accepted.add(o.client_order_id)
        for trade in self.ib.openTrades():
            coid = self._coid(trade)
            if coid is not None:
                self._trades[coid] = trade

    def report(self) -> VenueReport:
        """Open orders, executions and positions as IB reports them now."""
        positions: dict[str, Decimal] | None
        by_symbol = {(i.symbol, i.currency): i for i in self.instruments.values()}
        try:
            raw = self.ib.reqPositions()
        except Exception as exc:  # any failure means we do not know the positions
            log.warning("IB position request failed: %s", exc)
            raw = None
        if raw is None:
            positions = None
        else:
            positions = {}
            for p in raw:
                if self.account and p.account != self.account:
                    continue
                inst = by_symbol.get((p.contract.symbol, p.contract.currency))
                if inst is None:
                    continue
                positions[inst.id] = Decimal(repr(float(p.position)))
        orders = []
        for trade in self.ib.openTrades():
            coid = self._coid(trade)
            if coid is None:
                continue
            o = self._orders[coid]
            orders.append(
                OrderReport(
                    client_order_id=coid,
                    instrument_id=o.instrument_id,
                    status=OrderStatus.ACCEPTED,
                    filled_qty=Decimal(repr(float(trade.orderStatus.filled))),
                    venue_order_id=str(trade.order.permId or trade.order.orderId),
                )
            )
        fills = [
            f for f in (self.fill_event(_FillTrade(x), x) for x in self.ib.fills()) if f is not None
        ]
        return VenueReport(
            account_id=self.account,
            orders=orders,
            fills=fills,
            positions=positions,
            ts=self.clock(),
        )


class _FillTrade:
    """Adapter giving a bare IB fill the ``order.orderRef`` shape of a trade."""

    def __init__(self, fill: Any) -> None:
        self.order = IbOrder(orderRef=fill.execution.orderRef)
