"""The order state machine as data: ``(status, event class) -> target status``.

:data:`TRANSITIONS` lists every legal move; a status missing an event class rejects that event
(see :meth:`nautilus.model.orders.Order.apply`). Three targets are rules rather than statuses:
:data:`SAME` (the status does not change), :data:`PREVIOUS` (back to the status held before a
pending update/cancel) and :data:`FILL` (``partially_filled`` or ``filled`` by the cumulative
quantity).
"""

from __future__ import annotations

from typing import Final

from nautilus.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderStatus,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)

S = OrderStatus

PREVIOUS: Final = "previous"
"""Target meaning: back to the status held before the pending update/cancel."""
FILL: Final = "fill"
"""Target meaning: ``partially_filled`` or ``filled`` depending on the cumulative quantity."""
SAME: Final = "same"
"""Target meaning: the status does not change (e.g. an update of a working order)."""

Target = OrderStatus | str

_WORKING_MOVES: dict[type[OrderEvent], Target] = {
    OrderPendingUpdate: S.PENDING_UPDATE,
    OrderPendingCancel: S.PENDING_CANCEL,
    OrderUpdated: SAME,
    OrderCanceled: S.CANCELED,
    OrderExpired: S.EXPIRED,
    OrderFilled: FILL,
}

TRANSITIONS: dict[OrderStatus, dict[type[OrderEvent], Target]] = {
    S.INITIALIZED: {
        OrderDenied: S.DENIED,
        OrderSubmitted: S.SUBMITTED,
        OrderRejected: S.REJECTED,
        OrderCanceled: S.CANCELED,
    },
    S.SUBMITTED: {
        OrderAccepted: S.ACCEPTED,
        OrderRejected: S.REJECTED,
        OrderCanceled: S.CANCELED,
        OrderPendingUpdate: S.PENDING_UPDATE,
        OrderPendingCancel: S.PENDING_CANCEL,
        OrderTriggered: S.TRIGGERED,
        OrderFilled: FILL,
    },
    S.ACCEPTED: {**_WORKING_MOVES, OrderTriggered: S.TRIGGERED, OrderRejected: S.REJECTED},
    S.TRIGGERED: {**_WORKING_MOVES, OrderRejected: S.REJECTED},
    S.PARTIALLY_FILLED: dict(_WORKING_MOVES),
    S.PENDING_UPDATE: {
        **_WORKING_MOVES,
        OrderUpdated: PREVIOUS,
        OrderModifyRejected: PREVIOUS,
        OrderAccepted: SAME,
        OrderTriggered: S.TRIGGERED,
        OrderRejected: S.REJECTED,
    },
    S.PENDING_CANCEL: {
        OrderPendingCancel: S.PENDING_CANCEL,
        OrderCancelRejected: PREVIOUS,
        OrderAccepted: SAME,
        OrderRejected: S.REJECTED,
        OrderCanceled: S.CANCELED,
        OrderExpired: S.EXPIRED,
        OrderFilled: FILL,
    },
    S.DENIED: {},
    S.REJECTED: {},
    S.FILLED: {},
    S.CANCELED: {},
    S.EXPIRED: {},
}
"""The complete order state machine; statuses missing an event class reject that event."""
