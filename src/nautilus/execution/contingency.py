"""Contingent orders at the simulated venue: brackets (OTO), OCO and OUO groups.

Rules (the venue applies them after every fill and close):

- bracket children are held until the entry fills and are released with the entry's filled
  quantity; when the entry closes unfilled they are canceled (``parent_closed``);
- the open quantity of a bracket is the entry's filled quantity minus what the exits have
  filled, and each working exit is sized to fill exactly that;
- OUO members shrink each other on partial fills and cancel on a full fill; OCO members
  cancel each other on any fill.
"""

from __future__ import annotations

import abc
from decimal import Decimal

from nautilus.execution.matching import MatchingEngine
from nautilus.execution.sessions import ExpiryQueue
from nautilus.model.events import ContingencyType, OrderEvent, OrderStatus, OrderUpdated
from nautilus.model.orders import Order

ZERO = Decimal(0)


class ContingentOrders(abc.ABC):
    """The contingency rules of :class:`~nautilus.execution.venue.SimulatedVenue`."""

    orders: dict[str, Order]
    engines: dict[str, MatchingEngine]
    clock_ns: int
    _expiry: ExpiryQueue
    _held: dict[str, list[Order]]
    _released: set[str]

    @abc.abstractmethod
    def _emit(self, order: Order, event: OrderEvent) -> bool:
        """Apply ``event`` to the venue's copy of ``order`` and publish it if applied."""

    @abc.abstractmethod
    def _cancel(self, order: Order, reason: str) -> None:
        """Cancel ``order`` at the venue clock."""

    @abc.abstractmethod
    def _schedule(self, ts: int, kind: str, payload: object) -> None:
        """Queue a command sent at ``ts`` for arrival after the latency."""

    @abc.abstractmethod
    def advance(self, ts: int) -> None:
        """Deliver the commands that arrived by ``ts``."""

    def _closed(self, order: Order) -> None:
        """Clean up after ``order`` closed: leave the book, settle held bracket children."""
        oid = order.client_order_id
        self._expiry.discard(oid)
        engine = self.engines.get(order.instrument_id)
        if engine is not None:
            engine.remove(oid)
        children = self._held.pop(oid, None)
        if children and order.filled_qty == 0:
            for child in children:
                self._cancel(child, "parent_closed")
        elif children:
            self._held[oid] = children
            self._release(order)
            self._held.pop(oid, None)

    def _release(self, parent: Order) -> None:
        """Send held children of ``parent``, or resize working ones to the open quantity.

        The open quantity of a bracket is the entry's filled quantity minus what the exits
        have filled; each working exit is sized to fill exactly that.
        """
        children = self._held.get(parent.client_order_id, [])
        open_qty = parent.filled_qty - sum((c.filled_qty for c in children), ZERO)
        for child in children:
            if child.is_closed:
                continue
            if child.status is OrderStatus.SUBMITTED:
                if child.client_order_id not in self._released:
                    self._released.add(child.client_order_id)
                    self._schedule(self.clock_ns, "submit", child.client_order_id)
                    self.advance(self.clock_ns)
            elif open_qty > 0 and child.quantity != child.filled_qty + open_qty:
                self._update_qty(child, child.filled_qty + open_qty)

    def _update_qty(self, order: Order, qty: Decimal) -> None:
        ts = self.clock_ns
        if (
            self._emit(
                order,
                OrderUpdated(
                    client_order_id=order.client_order_id,
                    instrument_id=order.instrument_id,
                    ts_event=ts,
                    ts_init=ts,
                    quantity=qty,
                ),
            )
            and order.is_closed
        ):
            self._closed(order)

    def _contingencies(self, order: Order) -> None:
        if order.client_order_id in self._held:
            self._release(order)
        if order.contingency in (ContingencyType.OCO, ContingencyType.OUO):
            for lid in order.linked_order_ids:
                other = self.orders.get(lid)
                if other is None or other.is_closed:
                    continue
                if order.contingency is ContingencyType.OCO or order.leaves_qty == 0:
                    self._cancel(other, order.contingency.value)
                elif other.leaves_qty > order.leaves_qty:
                    self._update_qty(other, other.filled_qty + order.leaves_qty)
