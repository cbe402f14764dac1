"""The order management system: gate, persist, send; apply venue events; positions and cash.

One :class:`Oms` per account. Every order command follows the trading path

``strategy/API -> validation -> PreTradeGate -> ledger (persisted) -> venue``

and every venue event comes back through :meth:`Oms.on_venue_event`, is applied to the OMS's
own copy of the order, persisted, and published on the bus (``orders.<account>``,
``fills.<account>``, ``positions.<account>``).

Guarantees:

- **Validation before anything else**: unknown instrument, non-finite / zero / negative
  quantity or price, values off the tick or lot grid, an expired GTD order -> ``OrderDenied``
  with a stable :class:`~nautilus.model.events.RejectReason` code; no venue call.
- **Gate**: a denial of the :class:`~nautilus.execution.pretrade.PreTradeGate` becomes
  ``OrderDenied`` with the decision's code; no venue call.
- **Persisted before sent**: the ledger (relational in paper/live, none in backtests, where the
  in-memory order store is the record) holds the order before the venue sees it.
- **Idempotent client order ids**: a repeat returns the first order, no venue call.
- **Fills deduplicated by venue trade id** (across restarts too: the ids are persisted).
- **Stop means stop**: after :meth:`Oms.stop` every submit is denied (``stopped``) and
  no order reaches the venue.

Times are int ns UTC; quantities, prices and money Decimal. Position messages carry
``signed_qty`` (long > 0).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from nautilus.bus.base import MessageBus, message_type
from nautilus.core.errors import ConflictError, NotFoundError
from nautilus.execution.pretrade import ApproveAll, PreTradeGate
from nautilus.model.account import Account
from nautilus.model.events import (
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderStatus,
    RejectReason,
    TimeInForce,
)
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order, OrderList, OrderStore
from nautilus.model.position import OmsType, Position, PositionBook

log = logging.getLogger(__name__)
ZERO = Decimal(0)
STOPPED = "stopped"


class VenueClient(Protocol):
    """What the OMS needs from a venue (the simulated venue, a broker adapter)."""

    def submit(self, order: Order, ts: int) -> Any: ...

    def submit_list(self, order_list: OrderList, ts: int) -> Any: ...

    def cancel(self, client_order_id: str, ts: int) -> None: ...

    def modify(
        self,
        client_order_id: str,
        ts: int,
        *,
        quantity: object | None = None,
        price: object | None = None,
        trigger_price: object | None = None,
    ) -> None: ...


class Ledger(Protocol):
    """Durable record of orders and their events (see :mod:`nautilus.execution.tables`)."""

    def add_order(self, order: Order, account_id: str, strategy_id: str | None) -> None: ...

    def add_event(self, event: OrderEvent, account_id: str) -> None: ...


class OmsListener(Protocol):
    def on_order_event(self, order: Order, event: OrderEvent) -> None: ...

    def on_order_fill(self, order: Order, fill: OrderFilled) -> None: ...


@message_type
class PositionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A position after a fill, published on ``positions.<account_id>``."""

    account_id: str
    position_id: str
    instrument_id: str
    signed_qty: Decimal
    avg_px_open: Decimal | None
    realized_pnl: Decimal
    commission: Decimal
    ts_event: int


@message_type
class OrderReport(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's view of one order (reconciliation)."""

    client_order_id: str
    instrument_id: str
    status: OrderStatus
    filled_qty: Decimal
    venue_order_id: str | None = None


@message_type
class VenueReport(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a venue reports at (re)connection. ``positions`` None = not received."""

    account_id: str
    orders: list[OrderReport]
    fills: list[OrderFilled]
    positions: dict[str, Decimal] | None
    ts: int


class ReconciliationError(ConflictError):
    """The stored state and the venue's reports disagree; trading must not start."""

    code = "reconciliation_failed"


def validate_order(order: Order, instrument: Instrument | None, now: int) -> str | None:
    """The :class:`RejectReason` code that makes ``order`` unacceptable, or None."""
    if instrument is None:
        return RejectReason.UNKNOWN_INSTRUMENT.value
    qty = order.quantity
    if not isinstance(qty, Decimal) or not qty.is_finite():
        return RejectReason.NON_FINITE.value
    if qty <= 0:
        return RejectReason.INVALID_QUANTITY.value
    if qty % instrument.lot_size != 0:
        return RejectReason.INVALID_INCREMENT.value
    if qty < instrument.min_quantity:
        return RejectReason.BELOW_MIN_QUANTITY.value
    for px in (order.price, order.trigger_price):
        if px is None:
            continue
        if not isinstance(px, Decimal) or not px.is_finite():
            return RejectReason.NON_FINITE.value
        if px <= 0:
            return RejectReason.INVALID_PRICE.value
        if px % instrument.tick_size != 0:
            return RejectReason.INVALID_INCREMENT.value
    if order.time_in_force is TimeInForce.GTD:
        if order.expire_time_ns is None:
            return RejectReason.MISSING_EXPIRE_TIME.value
        if order.expire_time_ns <= now:
            return RejectReason.EXPIRED_GTD.value
    return None


class _Store(OrderStore):
    """The order store with removal of closed orders (see :meth:`Oms.release`)."""

    def discard(self, client_order_id: str) -> None:
        self._orders.pop(client_order_id, None)


class Oms:
    """Orders, positions and cash of one account, between strategies and one venue.

    ``clock`` returns the current time (replayed in backtests, wall or feed time live);
    ``mark`` returns the latest reference price ``(float, ts)`` of an instrument for the
    gate's :class:`~nautilus.execution.pretrade.TradingView` (this object is that view).
    """

    def __init__(
        self,
        account: Account,
        instruments: Iterable[Instrument],
        *,
        clock: Callable[[], int],
        venue: VenueClient | None = None,
        gate: PreTradeGate | None = None,
        ledger: Ledger | None = None,
        bus: MessageBus | None = None,
        oms_type: OmsType = OmsType.NETTING,
        mark: Callable[[str], tuple[float, int] | None] | None = None,
        strategy_id: str | None = None,
    ) -> None:
        self.account_id = account.account_id
        self.strategy_id = strategy_id
        self._account = account
        self.instruments: dict[str, Instrument] = {i.id: i for i in instruments}
        self.clock = clock
        self.venue = venue
        self.gate: PreTradeGate = gate or ApproveAll()
        self.ledger = ledger
        self.bus = bus
        self.mark = mark
        self.orders = _Store()
        self.book = PositionBook(oms_type)
        self.open_count: dict[str, int] = dict.fromkeys(self.instruments, 0)
        self.listeners: list[OmsListener] = []
        self.stopped = False
        self.venue_calls = 0
        self._counted: set[str] = set()
        self._trade_ids: set[str] = set()
        self._owner: dict[str, str | None] = {}
        self._topics = (
            f"orders.{self.account_id}",
            f"fills.{self.account_id}",
            f"positions.{self.account_id}",
        )

    # -- TradingView ---------------------------------------------------------------------

    def now_ns(self) -> int:
        return self.clock()

    def instrument(self, instrument_id: str) -> Instrument | None:
        return self.instruments.get(instrument_id)

    def reference_price(self, instrument_id: str) -> tuple[Decimal, int] | None:
        got = self.mark(instrument_id) if self.mark is not None else None
        if got is None:
            return None
        return Decimal(repr(got[0])), got[1]

    def account(self) -> Account:
        return self._account

    def positions(self) -> list[Position]:
        return self.book.open_positions()

    def open_orders(self, instrument_id: str | None = None) -> list[Order]:
        return self.orders.open_orders(instrument_id)

    # -- reads ---------------------------------------------------------------------------

    def net_qty(self, instrument_id: str) -> Decimal:
        pos = self.book.net_position(instrument_id)
        return pos.signed_qty if pos is not None else ZERO

    def cash(self, currency: str | None = None) -> Decimal:
        return self._account.balance(currency).total

    def strategy_of(self, client_order_id: str) -> str | None:
        return self._owner.get(client_order_id)

    def release(self, client_order_id: str) -> Order | None:
        """Forget a closed order (long backtests keep only its result row); None if open."""
        order = self.orders.get(client_order_id)
        if order is None or not order.is_closed:
            return None
        self.orders.discard(client_order_id)
        self._owner.pop(client_order_id, None)
        return order

    # -- commands ------------------------------------------------------------------------

    def _deny(self, order: Order, code: str, message: str = "") -> Order:
        ts = self.clock()
        event = OrderDenied(
            client_order_id=order.client_order_id,
            instrument_id=order.instrument_id,
            ts_event=ts,
            ts_init=ts,
            reason=code,
            message=message,
        )
        order.apply(event)
        self._record(order, event)
        for lst in self.listeners:
            lst.on_order_event(order, event)
        return order

    def _admit(self, order: Order, strategy_id: str | None) -> str | None:
        """Store a new order; the denial code if it may not be sent, else None."""
        self.orders.add(order)
        self._owner[order.client_order_id] = strategy_id
        if self.ledger is not None:
            self.ledger.add_order(order, self.account_id, strategy_id)
        if self.stopped:
            return STOPPED
        code = validate_order(order, self.instruments.get(order.instrument_id), self.clock())
        if code is not None:
            return code
        decision = self.gate.check_submit(order, self)
        return None if decision.approved else decision.code

    def submit(self, order: Order, strategy_id: str | None = None) -> Order:
        """Gate, persist and send ``order``; a known client order id returns the original."""
        known = self.orders.get(order.client_order_id)
        if known is not None:
            return known
        if order.status is not OrderStatus.INITIALIZED:
            raise ConflictError(
                f"order {order.client_order_id} is {order.status.value}",
                code=RejectReason.ILLEGAL_TRANSITION.value,
            )
        code = self._admit(order, strategy_id or self.strategy_id)
        if code is not None:
            return self._deny(order, code)
        self._count_open(order)
        if self.venue is None:
            raise ConflictError("no venue connected", code="no_venue")
        self.venue_calls += 1
        self.venue.submit(order, self.clock())
        return order

    def submit_list(self, order_list: OrderList, strategy_id: str | None = None) -> list[Order]:
        """Send a bracket / OCO group atomically: one denial denies every member."""
        if all(o.client_order_id in self.orders for o in order_list):
            return [self.orders.get(o.client_order_id) for o in order_list]  # type: ignore[misc]
        codes = [self._admit(o, strategy_id or self.strategy_id) for o in order_list]
        bad = next((c for c in codes if c is not None), None)
        if bad is not None:
            for o in order_list:
                self._deny(o, bad, "order list denied")
            return list(order_list)
        for o in order_list:
            self._count_open(o)
        if self.venue is None:
            raise ConflictError("no venue connected", code="no_venue")
        self.venue_calls += 1
        self.venue.submit_list(order_list, self.clock())
        return list(order_list)

    def _working(self, client_order_id: str) -> Order:
        order = self.orders.get(client_order_id)
        if order is None:
            raise NotFoundError(
                f"unknown order {client_order_id}", code=RejectReason.UNKNOWN_ORDER.value
            )
        if not order.is_open:
            raise ConflictError(
                f"order {client_order_id} is {order.status.value}",
                code=RejectReason.ORDER_CLOSED.value,
            )
        return order

    def cancel(self, client_order_id: str) -> None:
        self._working(client_order_id)
        if self.venue is None:
            raise ConflictError("no venue connected", code="no_venue")
        self.venue_calls += 1
        self.venue.cancel(client_order_id, self.clock())

    def modify(
        self,
        client_order_id: str,
        *,
        quantity: object | None = None,
        price: object | None = None,
        trigger_price: object | None = None,
    ) -> None:
        """Change a working order after the gate approved the new values."""
        order = self._working(client_order_id)
        if self.stopped:
            raise ConflictError("trading is stopped", code=STOPPED)
        inst = self.instruments[order.instrument_id]
        qty = inst.make_qty(quantity) if quantity is not None else None
        px = inst.make_price(price) if price is not None else None
        trig = inst.make_price(trigger_price) if trigger_price is not None else None
        for v, code in (
            (qty, RejectReason.INVALID_QUANTITY),
            (px, RejectReason.INVALID_PRICE),
            (trig, RejectReason.INVALID_PRICE),
        ):
            if v is not None and v <= 0:
                raise ConflictError(f"{code.value}: {v}", code=code.value)
        decision = self.gate.check_modify(order, qty, px, self)
        if not decision.approved:
            raise ConflictError(decision.message or "modify denied", code=decision.code)
        if self.venue is None:
            raise ConflictError("no venue connected", code="no_venue")
        self.venue_calls += 1
        self.venue.modify(client_order_id, self.clock(), quantity=qty, price=px, trigger_price=trig)

    def stop(self, *, cancel_open: bool = True) -> None:
        """Refuse every later submit; cancel working orders first when ``cancel_open``."""
        if cancel_open and self.venue is not None and not self.stopped:
            for o in self.orders.open_orders():
                try:
                    self.cancel(o.client_order_id)
                except ConflictError:
                    pass
        self.stopped = True

    # -- venue events --------------------------------------------------------------------

    def _count_open(self, order: Order) -> None:
        self._counted.add(order.client_order_id)
        self.open_count[order.instrument_id] = self.open_count.get(order.instrument_id, 0) + 1

    def on_venue_event(self, event: OrderEvent) -> None:
        """Apply, persist and publish one venue event (duplicates of fills are dropped)."""
        order = self.orders.get(event.client_order_id)
        if order is None:
            log.warning(
                "venue event %s for unknown order %s", type(event).__name__, event.client_order_id
            )
            return
        listeners = self.listeners
        if type(event) is OrderFilled:
            if event.trade_id in self._trade_ids:
                return
            if not order.apply(event):
                return
            self._trade_ids.add(event.trade_id)
            self._book_fill(event)
            self._record(order, event)
            for lst in listeners:
                lst.on_order_fill(order, event)
        else:
            try:
                order.apply(event)
            except ConflictError:
                log.info(
                    "dropped %s for %s in %s",
                    type(event).__name__,
                    order.client_order_id,
                    order.status.value,
                )
                return
            if self.ledger is not None or self.bus is not None:
                self._record(order, event)
        if order.status.is_closed and order.client_order_id in self._counted:
            self._counted.discard(order.client_order_id)
            self.open_count[order.instrument_id] -= 1
        for lst in listeners:
            lst.on_order_event(order, event)

    def _book_fill(self, fill: OrderFilled) -> None:
        inst = self.instruments[fill.instrument_id]
        pnl = self.book.apply_fill(fill, inst)
        self._account.apply_fill(fill, inst, pnl)
        if self.bus is not None:
            pos = self.book.net_position(fill.instrument_id)
            if pos is None:
                pos = next(
                    p
                    for p in reversed(self.book.positions.values())
                    if p.instrument_id == fill.instrument_id
                )
            self.bus.publish(
                self._topics[2],
                PositionUpdate(
                    account_id=self.account_id,
                    position_id=pos.position_id,
                    instrument_id=pos.instrument_id,
                    signed_qty=pos.signed_qty,
                    avg_px_open=pos.avg_px_open,
                    realized_pnl=pos.realized_pnl,
                    commission=pos.commission,
                    ts_event=fill.ts_event,
                ),
            )

    def _record(self, order: Order, event: OrderEvent) -> None:
        if self.ledger is not None:
            self.ledger.add_event(event, self.account_id)
        if self.bus is not None:
            topic = self._topics[1] if isinstance(event, OrderFilled) else self._topics[0]
            self.bus.publish(topic, event)

    # -- restart -------------------------------------------------------------------------

    def restore(
        self, orders: Iterable[tuple[Order, str | None]], events: Iterable[OrderEvent]
    ) -> None:
        """Rebuild state from a ledger: orders (fresh, ``initialized``) then their events.

        Nothing is persisted, published or sent; fills move positions and cash exactly as
        they did the first time.
        """
        for order, strategy_id in orders:
            self.orders.add(order)
            self._owner[order.client_order_id] = strategy_id
        for event in events:
            order = self.orders.get(event.client_order_id)
            if order is None:
                continue
            if isinstance(event, OrderFilled):
                if event.trade_id in self._trade_ids or not order.apply(event):
                    continue
                self._trade_ids.add(event.trade_id)
                inst = self.instruments[event.instrument_id]
                self._account.apply_fill(event, inst, self.book.apply_fill(event, inst))
            elif order.can_apply(event):
                order.apply(event)
        for order in self.orders.open_orders():
            self._count_open(order)

    def reconcile(self, report: VenueReport) -> dict[str, Any]:
        """Bring stored state in line with the venue's report, or fail closed.

        Missed fills are applied (deduplicated by trade id); locally open orders the venue
        reports closed or does not know are closed here; then every net position must equal
        the venue's. A missing position report is not taken as flat: it raises.
        """
        if report.positions is None:
            raise ReconciliationError(
                f"venue sent no position report for account {self.account_id}; refusing to "
                "start (a missing report is not the same as flat)",
                code="position_report_missing",
            )
        applied = 0
        for fill in report.fills:
            if fill.trade_id not in self._trade_ids and fill.client_order_id in self.orders:
                self.on_venue_event(fill)
                applied += 1
        by_id = {r.client_order_id: r for r in report.orders}
        closed = 0
        ts = self.clock()
        for order in self.orders.open_orders():
            rep = by_id.get(order.client_order_id)
            if rep is not None and not rep.status.is_closed:
                continue
            reason = "not_at_venue" if rep is None else f"venue_{rep.status.value}"
            self.on_venue_event(
                OrderCanceled(
                    client_order_id=order.client_order_id,
                    instrument_id=order.instrument_id,
                    ts_event=ts,
                    ts_init=ts,
                    reason=reason,
                )
            )
            closed += 1
        mismatches = {}
        for iid in sorted(set(report.positions) | {p.instrument_id for p in self.positions()}):
            ours, theirs = self.net_qty(iid), report.positions.get(iid, ZERO)
            if ours != theirs:
                mismatches[iid] = (str(ours), str(theirs))
        if mismatches:
            detail = ", ".join(f"{k}: stored {a} vs venue {b}" for k, (a, b) in mismatches.items())
            raise ReconciliationError(
                f"positions differ from the venue: {detail}", code="position_mismatch"
            )
        return {
            "fills_applied": applied,
            "orders_closed": closed,
            "positions": {k: str(v) for k, v in report.positions.items()},
        }
