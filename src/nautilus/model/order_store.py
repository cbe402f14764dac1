"""The order store: orders by client order id, with events routed to their order."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nautilus.model.events import OrderEvent

if TYPE_CHECKING:
    from nautilus.model.orders import Order

log = logging.getLogger(__name__)


class OrderStore:
    """Orders by client order id; adding is idempotent and events are routed to their order.

    >>> from nautilus.model.instrument import Instrument
    >>> from nautilus.model.orders import make_order
    >>> inst = Instrument.create("AAPL.XNAS", "equity", "USD")
    >>> store = OrderStore()
    >>> o = make_order(inst, "buy", "market", 1, client_order_id="C-1")
    >>> store.add(o) is store.add(make_order(inst, "buy", "market", 2, client_order_id="C-1"))
    True
    """

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}

    def add(self, order: Order) -> Order:
        """Store ``order``; a repeat with a known ``client_order_id`` returns the original."""
        existing = self._orders.get(order.client_order_id)
        if existing is not None:
            return existing
        self._orders[order.client_order_id] = order
        return order

    def get(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._orders

    def __len__(self) -> int:
        return len(self._orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._orders.values())

    def apply(self, event: OrderEvent) -> Order | None:
        """Apply ``event`` to its order; ``None`` for an unknown order (logged, not raised)."""
        order = self._orders.get(event.client_order_id)
        if order is None:
            log.warning(
                "event %s for unknown order %s", type(event).__name__, event.client_order_id
            )
            return None
        order.apply(event)
        return order

    def open_orders(self, instrument_id: str | None = None) -> list[Order]:
        return [
            o
            for o in self._orders.values()
            if o.is_open and (instrument_id is None or o.instrument_id == instrument_id)
        ]

    def closed_orders(self) -> list[Order]:
        return [o for o in self._orders.values() if o.is_closed]
