"""Orders: the validated order value and its lifecycle, brackets and OCO order lists.

An :class:`Order` changes only by applying order events (:mod:`nautilus.model.events`). The
legal moves form the explicit table :data:`TRANSITIONS`: ``(status, event class) -> target``.
An event that is not in the table for the current status is an illegal transition: it is
logged, raises :class:`~nautilus.core.errors.ConflictError` with code ``illegal_transition``
and is never applied. Fills never take ``filled_qty`` above ``quantity`` (code ``overfill``)
and a fill whose ``trade_id`` was already applied is ignored.

Prices and quantities are ``Decimal`` on the instrument's tick and lot grid; times are int ns
UTC. ``avg_px`` is the exact quantity-weighted fill price (sum of ``qty * px`` over fills,
divided by ``filled_qty`` once, when read).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from nautilus.core.errors import ConflictError, ValidationError
from nautilus.core.ids import new_id
from nautilus.core.money import to_decimal
from nautilus.model.events import (
    ContingencyType,
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderSide,
    OrderStatus,
    OrderTriggered,
    OrderType,
    OrderUpdated,
    RejectReason,
    TimeInForce,
    TrailingOffsetType,
)
from nautilus.model.instrument import Instrument
from nautilus.model.order_states import FILL, PREVIOUS, SAME, TRANSITIONS, Target
from nautilus.model.order_store import OrderStore

__all__ = [
    "FILL",
    "PREVIOUS",
    "SAME",
    "TRANSITIONS",
    "Order",
    "OrderList",
    "OrderStore",
    "Target",
    "bracket",
    "make_order",
    "oco",
]

log = logging.getLogger(__name__)

_CLOSED = frozenset(s for s in OrderStatus if s.is_closed)
_NOT_OPEN = _CLOSED | {OrderStatus.INITIALIZED}
_PRICED = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
_TRIGGERED_TYPES = frozenset({OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP})


@dataclass(slots=True, eq=False)
class Order:
    """One order and its lifecycle. Build with :func:`make_order` (validates) or the shortcuts.

    ``quantity`` is positive; ``side`` gives the direction. ``price`` is the limit price (limit,
    stop-limit), ``trigger_price`` the stop price (stop, stop-limit, trailing stop: the current
    trigger, moved by the venue as the market trails). ``expire_time_ns`` applies to GTD.
    """

    client_order_id: str
    instrument_id: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    trailing_offset: Decimal | None = None
    trailing_offset_type: TrailingOffsetType = TrailingOffsetType.PRICE
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_time_ns: int | None = None
    reduce_only: bool = False
    post_only: bool = False
    order_list_id: str | None = None
    contingency: ContingencyType = ContingencyType.NONE
    parent_order_id: str | None = None
    linked_order_ids: tuple[str, ...] = ()
    position_id: str | None = None
    tags: tuple[str, ...] = ()
    ts_init: int = 0
    status: OrderStatus = OrderStatus.INITIALIZED
    venue_order_id: str | None = None
    filled_qty: Decimal = Decimal(0)
    filled_cost: Decimal = Decimal(0)
    is_triggered: bool = False
    ts_last: int = 0
    previous_status: OrderStatus | None = None
    events: list[OrderEvent] = field(default_factory=list)
    trade_ids: set[str] = field(default_factory=set)

    @property
    def leaves_qty(self) -> Decimal:
        """Quantity still to fill (``quantity - filled_qty``, never negative)."""
        return self.quantity - self.filled_qty

    @property
    def avg_px(self) -> Decimal | None:
        """Exact quantity-weighted average fill price, ``None`` before the first fill."""
        if self.filled_qty == 0:
            return None
        return self.filled_cost / self.filled_qty

    @property
    def is_open(self) -> bool:
        """Working at (or travelling to) the venue."""
        return self.status not in _NOT_OPEN

    @property
    def is_closed(self) -> bool:
        return self.status in _CLOSED

    @property
    def is_buy(self) -> bool:
        return self.side is OrderSide.BUY

    def clone_initial(self) -> Order:
        """A fresh ``initialized`` copy with the same parameters (the venue keeps its own)."""
        return Order(
            client_order_id=self.client_order_id,
            instrument_id=self.instrument_id,
            side=self.side,
            order_type=self.order_type,
            quantity=self.quantity,
            price=self.price,
            trigger_price=self.trigger_price,
            trailing_offset=self.trailing_offset,
            trailing_offset_type=self.trailing_offset_type,
            time_in_force=self.time_in_force,
            expire_time_ns=self.expire_time_ns,
            reduce_only=self.reduce_only,
            post_only=self.post_only,
            order_list_id=self.order_list_id,
            contingency=self.contingency,
            parent_order_id=self.parent_order_id,
            linked_order_ids=self.linked_order_ids,
            position_id=self.position_id,
            tags=self.tags,
            ts_init=self.ts_init,
        )

    def target_of(self, event: OrderEvent) -> OrderStatus | None:
        """The status ``event`` would move this order to, or ``None`` if it is illegal."""
        target = TRANSITIONS[self.status].get(type(event))
        if target is None:
            return None
        return self._resolve(target, event) if type(target) is str else cast(OrderStatus, target)

    def _resolve(self, rule: str, event: OrderEvent) -> OrderStatus:
        if rule == SAME:
            return self.status
        if rule == PREVIOUS:
            return self.previous_status or OrderStatus.ACCEPTED
        assert rule == FILL and isinstance(event, OrderFilled)
        done = self.filled_qty + event.last_qty >= self.quantity
        return OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED

    def can_apply(self, event: OrderEvent) -> bool:
        return self.target_of(event) is not None

    def apply(self, event: OrderEvent) -> bool:
        """Apply ``event``; ``True`` if applied, ``False`` for a duplicate fill (ignored).

        Refusals are the caller's to report (the venue and the OMS log what they drop), so
        they are logged here at debug level only.

        Raises:
            ConflictError: ``illegal_transition``, ``overfill`` or ``quantity_below_filled``;
                the order is left unchanged.
        """
        if event.client_order_id != self.client_order_id:
            raise ConflictError(
                f"event for {event.client_order_id} applied to {self.client_order_id}",
                code=RejectReason.ILLEGAL_TRANSITION.value,
            )
        # Event classes are final (no subclasses), so the class is the table key.
        cls = type(event)
        is_fill = cls is OrderFilled
        if is_fill and event.trade_id in self.trade_ids:  # type: ignore[attr-defined]
            return False
        target = TRANSITIONS[self.status].get(cls)
        if target is None:
            log.debug(
                "illegal order transition %s --%s--> (order %s)",
                self.status.value,
                cls.__name__,
                self.client_order_id,
            )
            raise ConflictError(
                f"order {self.client_order_id} cannot take {cls.__name__} "
                f"in status {self.status.value}",
                code=RejectReason.ILLEGAL_TRANSITION.value,
            )
        status = self._resolve(target, event) if type(target) is str else cast(OrderStatus, target)
        if is_fill:
            assert isinstance(event, OrderFilled)
            self._apply_fill(event, status)
            return True
        if cls is OrderUpdated:
            assert isinstance(event, OrderUpdated)
            if event.quantity is not None and (
                event.quantity < self.filled_qty or event.quantity <= 0
            ):
                raise ConflictError(
                    f"new quantity {event.quantity} is below filled {self.filled_qty}",
                    code=RejectReason.QUANTITY_BELOW_FILLED.value,
                )
        self._mutate(event, status)
        return True

    def _apply_fill(self, event: OrderFilled, target: OrderStatus) -> None:
        qty = event.last_qty
        if qty <= 0 or self.filled_qty + qty > self.quantity:
            log.debug(
                "rejected fill of %s on %s (filled %s of %s)",
                qty,
                self.client_order_id,
                self.filled_qty,
                self.quantity,
            )
            raise ConflictError(
                f"fill of {qty} would take {self.client_order_id} past "
                f"{self.quantity} (filled {self.filled_qty})",
                code=RejectReason.OVERFILL.value,
            )
        self.trade_ids.add(event.trade_id)
        self.filled_qty += qty
        self.filled_cost += qty * event.last_px
        if self.venue_order_id is None:
            self.venue_order_id = event.venue_order_id
        self.status = target
        self.ts_last = event.ts_event
        self.events.append(event)

    def _mutate(self, event: OrderEvent, target: OrderStatus) -> None:
        pending = target is OrderStatus.PENDING_UPDATE or target is OrderStatus.PENDING_CANCEL
        if pending and self.status not in (OrderStatus.PENDING_UPDATE, OrderStatus.PENDING_CANCEL):
            self.previous_status = self.status
        cls = type(event)
        if cls is OrderAccepted:
            assert isinstance(event, OrderAccepted)
            self.venue_order_id = event.venue_order_id
            if pending:
                # accepted while a modify/cancel travels: the request resolves to accepted
                self.previous_status = OrderStatus.ACCEPTED
        elif cls is OrderTriggered:
            self.is_triggered = True
        elif cls is OrderUpdated:
            assert isinstance(event, OrderUpdated)
            if event.quantity is not None:
                self.quantity = event.quantity
            if event.price is not None:
                self.price = event.price
            if event.trigger_price is not None:
                self.trigger_price = event.trigger_price
            if self.filled_qty > 0 and self.filled_qty == self.quantity:
                target = OrderStatus.FILLED
        self.status = target
        self.ts_last = event.ts_event
        self.events.append(event)


def _positive(inst: Instrument, value: object, what: str) -> Decimal:
    make = inst.make_qty if what == "quantity" else inst.make_price
    try:
        d = make(value)
    except ValidationError as exc:
        raise ValidationError(f"{what}: {exc.detail}", code=exc.code) from None
    if d <= 0:
        code = RejectReason.INVALID_QUANTITY if what == "quantity" else RejectReason.INVALID_PRICE
        raise ValidationError(f"{what} must be positive, got {d}", code=code.value)
    return d


def make_order(
    instrument: Instrument,
    side: OrderSide | str,
    order_type: OrderType | str,
    quantity: object,
    *,
    price: object | None = None,
    trigger_price: object | None = None,
    trailing_offset: object | None = None,
    trailing_offset_type: TrailingOffsetType | str = TrailingOffsetType.PRICE,
    time_in_force: TimeInForce | str = TimeInForce.GTC,
    expire_time_ns: int | None = None,
    reduce_only: bool = False,
    post_only: bool = False,
    client_order_id: str | None = None,
    position_id: str | None = None,
    tags: Iterable[str] = (),
    ts_init: int = 0,
) -> Order:
    """A validated order on ``instrument``'s tick and lot grid.

    Raises :class:`ValidationError` with a :class:`RejectReason` code: non-finite numbers,
    zero/negative quantity or price, values off the tick/lot grid (``invalid_increment``),
    missing price/trigger/offset for the type, GTD without or with a past expire time
    (``expired_gtd`` when ``expire_time_ns <= ts_init``), post-only on a non-limit order.

    >>> from nautilus.model.instrument import Instrument
    >>> aapl = Instrument.create("AAPL.XNAS", "equity", "USD")
    >>> make_order(aapl, "buy", "limit", "10", price="187.25").price
    Decimal('187.25')
    """
    side = OrderSide(side)
    order_type = OrderType(order_type)
    tif = TimeInForce(time_in_force)
    qty = _positive(instrument, quantity, "quantity")
    if qty < instrument.min_quantity:
        raise ValidationError(
            f"quantity {qty} is below the minimum {instrument.min_quantity}",
            code=RejectReason.BELOW_MIN_QUANTITY.value,
        )
    px: Decimal | None = None
    trig: Decimal | None = None
    offset: Decimal | None = None
    if order_type in _PRICED:
        if price is None:
            raise ValidationError(
                f"{order_type.value} order needs a price", code=RejectReason.MISSING_PRICE.value
            )
        px = _positive(instrument, price, "price")
    if order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
        if trigger_price is None:
            raise ValidationError(
                f"{order_type.value} order needs a trigger price",
                code=RejectReason.MISSING_TRIGGER_PRICE.value,
            )
        trig = _positive(instrument, trigger_price, "price")
    if order_type is OrderType.TRAILING_STOP:
        if trailing_offset is None:
            raise ValidationError(
                "trailing stop needs trailing_offset",
                code=RejectReason.MISSING_TRAILING_OFFSET.value,
            )
        tot = TrailingOffsetType(trailing_offset_type)
        if tot is TrailingOffsetType.PRICE:
            offset = _positive(instrument, trailing_offset, "price")
        else:
            offset = to_decimal(trailing_offset, field="trailing_offset")
            if offset <= 0 or offset >= 100:
                raise ValidationError(
                    "percent trailing offset must be in (0, 100)",
                    code=RejectReason.INVALID_PRICE.value,
                )
        if trigger_price is not None:
            trig = _positive(instrument, trigger_price, "price")
    if tif is TimeInForce.GTD:
        if expire_time_ns is None:
            raise ValidationError(
                "GTD order needs expire_time_ns", code=RejectReason.MISSING_EXPIRE_TIME.value
            )
        if expire_time_ns <= ts_init:
            raise ValidationError(
                f"GTD expire time {expire_time_ns} is not after {ts_init}",
                code=RejectReason.EXPIRED_GTD.value,
            )
    if post_only and order_type is not OrderType.LIMIT:
        raise ValidationError(
            "post-only applies to limit orders only", code=RejectReason.POST_ONLY_NOT_LIMIT.value
        )
    return Order(
        client_order_id=client_order_id or new_id("O-"),
        instrument_id=instrument.id,
        side=side,
        order_type=order_type,
        quantity=qty,
        price=px,
        trigger_price=trig,
        trailing_offset=offset,
        trailing_offset_type=TrailingOffsetType(trailing_offset_type),
        time_in_force=tif,
        expire_time_ns=expire_time_ns if tif is TimeInForce.GTD else None,
        reduce_only=reduce_only,
        post_only=post_only,
        position_id=position_id,
        tags=tuple(tags),
        ts_init=ts_init,
        ts_last=ts_init,
    )


@dataclass(slots=True)
class OrderList:
    """Orders submitted together: a bracket (entry OTO [take-profit OUO stop]) or an OCO group.

    ``orders[0]`` is the entry of a bracket; children carry ``parent_order_id`` and are held
    by the venue until the entry fills (released with the entry's filled quantity).
    """

    order_list_id: str
    orders: list[Order]

    def __iter__(self) -> Iterator[Order]:
        return iter(self.orders)

    @property
    def first(self) -> Order:
        return self.orders[0]


def bracket(
    instrument: Instrument,
    side: OrderSide | str,
    quantity: object,
    *,
    take_profit: object,
    stop_loss: object,
    entry_price: object | None = None,
    entry_type: OrderType | str | None = None,
    stop_limit_price: object | None = None,
    time_in_force: TimeInForce | str = TimeInForce.GTC,
    ts_init: int = 0,
    list_id: str | None = None,
) -> OrderList:
    """An entry with a take-profit limit and a protective stop, the exits linked OUO.

    The entry is a market order, or a limit order when ``entry_price`` is given. Exits are on
    the opposite side, ``reduce_only``; the stop is a stop-limit when ``stop_limit_price`` is
    given. A buy bracket needs ``stop_loss < take_profit``.
    """
    side = OrderSide(side)
    lid = list_id or new_id("L-")
    etype = (
        OrderType(entry_type)
        if entry_type
        else (OrderType.LIMIT if entry_price is not None else OrderType.MARKET)
    )
    entry = make_order(
        instrument,
        side,
        etype,
        quantity,
        price=entry_price,
        time_in_force=time_in_force,
        ts_init=ts_init,
        client_order_id=f"{lid}-E",
    )
    tp_px = instrument.make_price(take_profit)
    sl_px = instrument.make_price(stop_loss)
    if (side is OrderSide.BUY and not sl_px < tp_px) or (
        side is OrderSide.SELL and not tp_px < sl_px
    ):
        raise ValidationError(
            "stop loss must be on the losing side of the take profit",
            code=RejectReason.INVALID_PRICE.value,
        )
    exit_side = side.opposite
    tp = make_order(
        instrument,
        exit_side,
        OrderType.LIMIT,
        quantity,
        price=tp_px,
        reduce_only=True,
        ts_init=ts_init,
        client_order_id=f"{lid}-TP",
    )
    if stop_limit_price is None:
        sl = make_order(
            instrument,
            exit_side,
            OrderType.STOP,
            quantity,
            trigger_price=sl_px,
            reduce_only=True,
            ts_init=ts_init,
            client_order_id=f"{lid}-SL",
        )
    else:
        sl = make_order(
            instrument,
            exit_side,
            OrderType.STOP_LIMIT,
            quantity,
            price=stop_limit_price,
            trigger_price=sl_px,
            reduce_only=True,
            ts_init=ts_init,
            client_order_id=f"{lid}-SL",
        )
    entry.order_list_id = tp.order_list_id = sl.order_list_id = lid
    entry.contingency = ContingencyType.OTO
    entry.linked_order_ids = (tp.client_order_id, sl.client_order_id)
    for child, other in ((tp, sl), (sl, tp)):
        child.parent_order_id = entry.client_order_id
        child.contingency = ContingencyType.OUO
        child.linked_order_ids = (other.client_order_id,)
    return OrderList(lid, [entry, tp, sl])


def oco(
    orders: Iterable[Order],
    *,
    list_id: str | None = None,
    contingency: ContingencyType = ContingencyType.OCO,
) -> OrderList:
    """Link ``orders`` so a fill of one cancels (OCO) or reduces (OUO) the others."""
    items = list(orders)
    if len(items) < 2:
        raise ValidationError("an OCO group needs at least two orders", code="invalid_order_list")
    lid = list_id or new_id("L-")
    ids = [o.client_order_id for o in items]
    for o in items:
        o.order_list_id = lid
        o.contingency = contingency
        o.linked_order_ids = tuple(i for i in ids if i != o.client_order_id)
    return OrderList(lid, items)
