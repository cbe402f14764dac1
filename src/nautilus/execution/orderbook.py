"""Order books at L1 (top of book), L2 (price levels) and L3 (individual orders).

Market data is measured, so book prices and sizes are float64 (as in
:class:`nautilus.model.BookDelta`); the matching engine converts fill prices to Decimal at the
instrument's precision. Sides follow :class:`nautilus.model.BookSide`. Queries that take an
order ``side`` (:meth:`OrderBook.walk`, :meth:`OrderBook.avg_fill_price`) name the side of the
*taking* order: a buy walks the asks, a sell walks the bids.

L1 and L2 books keep levels in the compiled fixed-capacity arrays of
:mod:`nautilus.execution.orderbook_kernels`; :meth:`LevelBook.apply_arrays` applies a whole
batch of L2 deltas in one compiled call. L3 books keep orders per price level in arrival order
(time priority): a size decrease keeps an order's place, a size increase or a price change
sends it to the back of its level.

>>> from nautilus.model import BookAction, BookDelta, BookSide
>>> book = make_book("AAPL.XNAS", BookType.L2)
>>> for side, px, sz in ((BookSide.BID, 99.0, 5.0), (BookSide.ASK, 101.0, 3.0)):
...     book.apply(BookDelta(instrument_id="AAPL.XNAS", action=BookAction.ADD, side=side,
...                price=px, size=sz, order_id=0, sequence=0, ts_event=0, ts_init=0))
>>> book.mid(), book.spread()
(100.0, 2.0)
"""

from __future__ import annotations

import abc
import bisect
import functools
import math
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError
from nautilus.execution import orderbook_kernels as k
from nautilus.model.data import BookAction, BookDelta, BookSide, Quote
from nautilus.model.events import OrderSide

Level = tuple[float, float]
"""``(price, size)`` of one price level."""


class BookType(StrEnum):
    L1 = "l1"
    L2 = "l2"
    L3 = "l3"


class OrderBook(abc.ABC):
    """Common queries over a book; subclasses hold the levels."""

    book_type: BookType

    def __init__(self, instrument_id: str) -> None:
        self.instrument_id = instrument_id
        self.sequence = 0
        self.ts_last = 0
        self.update_count = 0

    @abc.abstractmethod
    def apply(self, delta: BookDelta) -> None:
        """Apply one delta (the L2 level or L3 order named by ``delta.order_id``)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove every level on both sides."""

    @abc.abstractmethod
    def levels(self, side: BookSide, depth: int | None = None) -> list[Level]:
        """Up to ``depth`` levels of ``side``, best first (bids descending, asks ascending)."""

    def _stamp(self, delta: BookDelta) -> None:
        if delta.sequence > self.sequence:
            self.sequence = delta.sequence
        if delta.ts_event > self.ts_last:
            self.ts_last = delta.ts_event
        self.update_count += 1

    def apply_deltas(self, deltas: Iterable[BookDelta]) -> None:
        for d in deltas:
            self.apply(d)

    def apply_snapshot(self, deltas: Iterable[BookDelta]) -> None:
        """Replace the whole book with the levels/orders in ``deltas``."""
        self.clear()
        for d in deltas:
            if d.action is not BookAction.CLEAR:
                self.apply(d)

    def update_quote(self, quote: Quote) -> None:
        """Replace the top of book with ``quote`` (the whole book, for L1 and L2)."""
        self.clear()
        for side, px, sz in (
            (BookSide.BID, quote.bid, quote.bid_size),
            (BookSide.ASK, quote.ask, quote.ask_size),
        ):
            if sz > 0 and math.isfinite(px):
                self.apply(
                    BookDelta(
                        instrument_id=self.instrument_id,
                        action=BookAction.ADD,
                        side=side,
                        price=px,
                        size=sz,
                        order_id=0,
                        sequence=self.sequence,
                        ts_event=quote.ts_event,
                        ts_init=quote.ts_init,
                    )
                )

    def best_bid_price(self) -> float | None:
        lv = self.levels(BookSide.BID, 1)
        return lv[0][0] if lv else None

    def best_ask_price(self) -> float | None:
        lv = self.levels(BookSide.ASK, 1)
        return lv[0][0] if lv else None

    def best_bid_size(self) -> float | None:
        lv = self.levels(BookSide.BID, 1)
        return lv[0][1] if lv else None

    def best_ask_size(self) -> float | None:
        lv = self.levels(BookSide.ASK, 1)
        return lv[0][1] if lv else None

    def spread(self) -> float | None:
        """Best ask minus best bid (``None`` if a side is empty)."""
        bid, ask = self.best_bid_price(), self.best_ask_price()
        return None if bid is None or ask is None else ask - bid

    def mid(self) -> float | None:
        bid, ask = self.best_bid_price(), self.best_ask_price()
        return None if bid is None or ask is None else (bid + ask) / 2.0

    def depth(self, n: int) -> dict[str, list[Level]]:
        """Top ``n`` levels of both sides, best first."""
        return {"bids": self.levels(BookSide.BID, n), "asks": self.levels(BookSide.ASK, n)}

    def imbalance(self, n: int = 1) -> float | None:
        """``(bid size - ask size) / (bid size + ask size)`` over the top ``n`` levels.

        In [-1, 1]; positive when bids outweigh asks, ``None`` on an empty book.
        """
        b = sum(s for _, s in self.levels(BookSide.BID, n))
        a = sum(s for _, s in self.levels(BookSide.ASK, n))
        return None if a + b == 0 else (b - a) / (b + a)

    def walk(self, side: OrderSide, qty: float, limit: float | None = None) -> tuple[float, float]:
        """``(filled size, notional)`` for a ``side`` order of ``qty`` taking displayed size.

        Levels worse than ``limit`` (above it for a buy, below it for a sell) are not taken.
        """
        book_side = BookSide.ASK if side is OrderSide.BUY else BookSide.BID
        filled = notional = 0.0
        for px, sz in self.levels(book_side):
            if filled >= qty:
                break
            if limit is not None and (px > limit if side is OrderSide.BUY else px < limit):
                break
            take = min(sz, qty - filled)
            filled += take
            notional += take * px
        return filled, notional

    def filled_size(self, side: OrderSide, qty: float, limit: float | None = None) -> float:
        return self.walk(side, qty, limit)[0]

    def avg_fill_price(
        self, side: OrderSide, qty: float, limit: float | None = None
    ) -> float | None:
        """Size-weighted price a ``side`` order of ``qty`` would get (``None`` if nothing fills)."""
        filled, notional = self.walk(side, qty, limit)
        return notional / filled if filled > 0 else None


@functools.cache
def _compiled_apply_one() -> Callable[..., int]:
    """``apply_one`` compiled for the book's array types, called without type dispatch.

    Dispatch costs about as much as the kernel itself on the per-delta path; the compiled
    entry point skips it. Falls back to the dispatcher if numba's layout differs.
    """
    keys, sizes, counts = k.new_book_arrays(1)
    args = (keys, sizes, counts, k.CLEAR, k.BID, 0.0, 0.0)
    k.apply_one(*args)
    try:
        sig = tuple(k.apply_one.typeof_pyval(a) for a in args)
        compiled: Any = k.apply_one.overloads[sig]
        entry: Callable[..., int] = compiled.entry_point
        return entry
    except (AttributeError, KeyError):
        return k.apply_one


class LevelBook(OrderBook):
    """L1/L2 book over the compiled sorted-level arrays.

    An L1 book holds one level per side: every add/update replaces that side's level.
    """

    def __init__(
        self, instrument_id: str, book_type: BookType = BookType.L2, capacity: int = 512
    ) -> None:
        super().__init__(instrument_id)
        if book_type is BookType.L3:
            raise ValidationError("LevelBook holds L1 or L2 only", code="invalid_book_type")
        self.book_type = book_type
        self.capacity = 1 if book_type is BookType.L1 else capacity
        self.keys, self.sizes, self.counts = k.new_book_arrays(self.capacity)
        self.dropped = 0
        self._apply_one = _compiled_apply_one()

    def apply(self, delta: BookDelta) -> None:
        action = int(delta.action)
        side = int(delta.side)
        if self.book_type is BookType.L1 and action in (k.ADD, k.UPDATE) and delta.size > 0:
            self.counts[0 if side == k.BID else 1] = 0
        self.dropped += self._apply_one(
            self.keys, self.sizes, self.counts, action, side, float(delta.price), float(delta.size)
        )
        self._stamp(delta)

    def apply_arrays(
        self,
        actions: npt.NDArray[np.int8],
        sides: npt.NDArray[np.int8],
        prices: npt.NDArray[np.float64],
        sizes: npt.NDArray[np.float64],
    ) -> int:
        """Apply a batch of L2 deltas held as arrays in one compiled call; returns drops."""
        if self.book_type is not BookType.L2:
            raise ValidationError("batched apply is for L2 books", code="invalid_book_type")
        n = k.apply_batch(self.keys, self.sizes, self.counts, actions, sides, prices, sizes)
        self.dropped += n
        self.update_count += len(actions)
        return int(n)

    def clear(self) -> None:
        self.counts[:] = 0

    def levels(self, side: BookSide, depth: int | None = None) -> list[Level]:
        row = 0 if side == BookSide.BID else 1
        n = int(self.counts[row])
        m = n if depth is None else min(depth, n)
        keys = self.keys[row, n - m : n][::-1]
        sizes = self.sizes[row, n - m : n][::-1]
        prices = keys if row == 0 else -keys
        return list(zip(prices.tolist(), sizes.tolist(), strict=True))

    def best_bid_price(self) -> float | None:
        n = self.counts[0]
        return float(self.keys[0, n - 1]) if n else None

    def best_ask_price(self) -> float | None:
        n = self.counts[1]
        return float(-self.keys[1, n - 1]) if n else None

    def walk(self, side: OrderSide, qty: float, limit: float | None = None) -> tuple[float, float]:
        if side is OrderSide.BUY:
            lk = -np.inf if limit is None else -limit
            f, notional = k.walk(self.keys, self.sizes, self.counts, 1, qty, lk)
        else:
            lk = -np.inf if limit is None else limit
            f, notional = k.walk(self.keys, self.sizes, self.counts, 0, qty, lk)
        return float(f), float(notional)


class _L3Side:
    """Orders of one side: ascending price list, per-price ``{order_id: size}`` in time order."""

    __slots__ = ("orders", "prices", "totals")

    def __init__(self) -> None:
        self.prices: list[float] = []
        self.orders: dict[float, dict[int, float]] = {}
        self.totals: dict[float, float] = {}

    def add(self, price: float, oid: int, size: float) -> None:
        level = self.orders.get(price)
        if level is None:
            bisect.insort(self.prices, price)
            level = self.orders[price] = {}
            self.totals[price] = 0.0
        level[oid] = size
        self.totals[price] += size

    def remove(self, price: float, oid: int) -> None:
        level = self.orders[price]
        size = level.pop(oid)
        if not level:
            del self.orders[price]
            del self.totals[price]
            self.prices.pop(bisect.bisect_left(self.prices, price))
        else:
            self.totals[price] -= size


class OrderLevelBook(OrderBook):
    """L3 book: individual orders, price-time priority within a level."""

    book_type = BookType.L3

    def __init__(self, instrument_id: str) -> None:
        super().__init__(instrument_id)
        self._sides = {BookSide.BID: _L3Side(), BookSide.ASK: _L3Side()}
        self._where: dict[int, tuple[BookSide, float]] = {}

    def apply(self, delta: BookDelta) -> None:
        self._stamp(delta)
        if delta.action is BookAction.CLEAR:
            self.clear()
            return
        oid = delta.order_id
        known = self._where.get(oid)
        if delta.action is BookAction.DELETE or delta.size <= 0:
            if known is not None:
                self._sides[known[0]].remove(known[1], oid)
                del self._where[oid]
            return
        side = BookSide(delta.side)
        if known is not None:
            old_side, old_px = known
            old_size = self._sides[old_side].orders[old_px][oid]
            if old_side == side and old_px == delta.price and delta.size <= old_size:
                self._sides[side].orders[old_px][oid] = delta.size
                self._sides[side].totals[old_px] += delta.size - old_size
                return
            self._sides[old_side].remove(old_px, oid)
        self._sides[side].add(delta.price, oid, delta.size)
        self._where[oid] = (side, delta.price)

    def clear(self) -> None:
        self._sides = {BookSide.BID: _L3Side(), BookSide.ASK: _L3Side()}
        self._where.clear()

    def levels(self, side: BookSide, depth: int | None = None) -> list[Level]:
        s = self._sides[BookSide(side)]
        prices = s.prices[::-1] if side == BookSide.BID else s.prices
        if depth is not None:
            prices = prices[:depth]
        return [(p, s.totals[p]) for p in prices]

    def orders_at(self, side: BookSide, price: float) -> list[tuple[int, float]]:
        """``(order_id, size)`` resting at ``price`` in time priority."""
        return list(self._sides[BookSide(side)].orders.get(price, {}).items())

    def order(self, order_id: int) -> tuple[BookSide, float, float] | None:
        where = self._where.get(order_id)
        if where is None:
            return None
        return where[0], where[1], self._sides[where[0]].orders[where[1]][order_id]

    def __len__(self) -> int:
        return len(self._where)


def make_book(
    instrument_id: str, book_type: BookType | str = BookType.L2, capacity: int = 512
) -> OrderBook:
    """A book of ``book_type`` for ``instrument_id``."""
    bt = BookType(book_type)
    if bt is BookType.L3:
        return OrderLevelBook(instrument_id)
    return LevelBook(instrument_id, bt, capacity)
