"""Order enums and order events as they travel on the bus.

Every event is a frozen ``msgspec.Struct`` registered with :func:`message_type`, so it encodes
to msgpack/JSON for Redis and WebSocket frames as it is. Conventions:

- times are ``int`` nanoseconds since the epoch, UTC (``ts_event`` when it happened at the
  venue, ``ts_init`` when the event object was created);
- prices, quantities and money are ``Decimal`` at the instrument's precision;
- quantities are always positive; the direction lives in ``side``;
- ``commission`` is a cost when positive and a rebate when negative, in
  ``commission_currency``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import msgspec

from nautilus.bus.base import message_type


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell (the sign of the position change)."""
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"
    TRAILING_STOP = "trailing_stop"
    MARKET_ON_OPEN = "market_on_open"
    MARKET_ON_CLOSE = "market_on_close"


class TimeInForce(StrEnum):
    GTC = "gtc"
    DAY = "day"
    IOC = "ioc"
    FOK = "fok"
    GTD = "gtd"


class TrailingOffsetType(StrEnum):
    """How a trailing stop's offset is measured: absolute price units or percent of price."""

    PRICE = "price"
    PERCENT = "percent"


class OrderStatus(StrEnum):
    INITIALIZED = "initialized"
    DENIED = "denied"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TRIGGERED = "triggered"
    PENDING_UPDATE = "pending_update"
    PENDING_CANCEL = "pending_cancel"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def is_closed(self) -> bool:
        """Terminal: no further transition is legal."""
        return self in _CLOSED


_CLOSED = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.REJECTED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
    }
)


class LiquiditySide(StrEnum):
    """Whether a fill added liquidity (maker, resting order) or removed it (taker)."""

    NONE = "none"
    MAKER = "maker"
    TAKER = "taker"


class ContingencyType(StrEnum):
    """Links between orders of an order list.

    ``OTO``: children are released when the parent fills; ``OCO``: a fill of one cancels the
    others; ``OUO``: a fill of one reduces the others to its remaining quantity (and cancels them
    when it is completely filled).
    """

    NONE = "none"
    OTO = "oto"
    OCO = "oco"
    OUO = "ouo"


class RejectReason(StrEnum):
    """Stable reason codes carried by rejections (``OrderRejected.reason``, error ``code``)."""

    NON_FINITE = "non_finite"
    INVALID_NUMBER = "invalid_number"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_PRICE = "invalid_price"
    INVALID_INCREMENT = "invalid_increment"
    MISSING_PRICE = "missing_price"
    MISSING_TRIGGER_PRICE = "missing_trigger_price"
    MISSING_TRAILING_OFFSET = "missing_trailing_offset"
    MISSING_EXPIRE_TIME = "missing_expire_time"
    EXPIRED_GTD = "expired_gtd"
    POST_ONLY_NOT_LIMIT = "post_only_not_limit"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"
    REDUCE_ONLY_WOULD_INCREASE = "reduce_only_would_increase"
    FOK_NOT_FILLABLE = "fok_not_fillable"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    UNKNOWN_ORDER = "unknown_order"
    DUPLICATE_ORDER = "duplicate_order"
    ILLEGAL_TRANSITION = "illegal_transition"
    OVERFILL = "overfill"
    QUANTITY_BELOW_FILLED = "quantity_below_filled"
    ORDER_CLOSED = "order_closed"
    BELOW_MIN_QUANTITY = "below_min_quantity"


class OrderEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Base of all order events: which order, and when (ns UTC).

    Events hold only strings, numbers, Decimals and enums, so they cannot be part of a
    reference cycle: they are not tracked by the garbage collector (``gc=False``), which
    keeps collections cheap in runs that create millions of them.
    """

    client_order_id: str
    instrument_id: str
    ts_event: int
    ts_init: int


@message_type
class OrderDenied(OrderEvent, frozen=True, kw_only=True):
    """Refused before it left the platform (risk engine); ``reason`` is a stable code."""

    reason: str
    message: str = ""


@message_type
class OrderSubmitted(OrderEvent, frozen=True, kw_only=True):
    """Sent to the venue."""


@message_type
class OrderAccepted(OrderEvent, frozen=True, kw_only=True):
    """Acknowledged by the venue and working there under ``venue_order_id``."""

    venue_order_id: str


@message_type
class OrderRejected(OrderEvent, frozen=True, kw_only=True):
    """Refused by the venue; ``reason`` is a :class:`RejectReason` value."""

    reason: str
    message: str = ""


@message_type
class OrderPendingUpdate(OrderEvent, frozen=True, kw_only=True):
    """A modify request was sent and is not yet answered."""


@message_type
class OrderPendingCancel(OrderEvent, frozen=True, kw_only=True):
    """A cancel request was sent and is not yet answered."""


@message_type
class OrderModifyRejected(OrderEvent, frozen=True, kw_only=True):
    """The venue refused a modify; the order returns to its status before the request."""

    reason: str
    message: str = ""


@message_type
class OrderCancelRejected(OrderEvent, frozen=True, kw_only=True):
    """The venue refused a cancel; the order returns to its status before the request."""

    reason: str
    message: str = ""


@message_type
class OrderUpdated(OrderEvent, frozen=True, kw_only=True):
    """Quantity, limit price or trigger price changed (``None`` = unchanged)."""

    quantity: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None


@message_type
class OrderTriggered(OrderEvent, frozen=True, kw_only=True):
    """A stop-limit's trigger was hit; the order now works as a limit order."""


@message_type
class OrderFilled(OrderEvent, frozen=True, kw_only=True):
    """An execution of ``last_qty`` at ``last_px`` (both positive Decimals).

    ``trade_id`` is the venue's execution id and is unique per venue: positions and orders
    ignore a fill whose ``trade_id`` they have already applied. ``position_id`` is set in
    hedging mode to name the position the fill belongs to.
    """

    venue_order_id: str
    trade_id: str
    side: OrderSide
    order_type: OrderType
    last_qty: Decimal
    last_px: Decimal
    currency: str
    commission: Decimal = Decimal(0)
    commission_currency: str = ""
    liquidity_side: LiquiditySide = LiquiditySide.NONE
    position_id: str | None = None


@message_type
class OrderCanceled(OrderEvent, frozen=True, kw_only=True):
    """No longer working; ``reason`` says why (``user``, ``ioc``, ``oco``, ...)."""

    reason: str = "user"


@message_type
class OrderExpired(OrderEvent, frozen=True, kw_only=True):
    """A DAY or GTD order reached its expire time."""


ORDER_EVENT_TYPES: tuple[type[OrderEvent], ...] = (
    OrderDenied,
    OrderSubmitted,
    OrderAccepted,
    OrderRejected,
    OrderPendingUpdate,
    OrderPendingCancel,
    OrderModifyRejected,
    OrderCancelRejected,
    OrderUpdated,
    OrderTriggered,
    OrderFilled,
    OrderCanceled,
    OrderExpired,
)
"""Every concrete order event class, in lifecycle order."""
