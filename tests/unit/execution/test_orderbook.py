"""Order books against a plain-Python reference on random delta streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nautilus.execution.orderbook import BookType, LevelBook, OrderLevelBook, make_book
from nautilus.model.data import BookAction, BookDelta, BookSide, Quote
from nautilus.model.events import OrderSide

IID = "BTCUSD.SIM"


def delta(action: int, side: int, price: float, size: float, oid: int = 0) -> BookDelta:
    return BookDelta(
        instrument_id=IID,
        action=BookAction(action),
        side=BookSide(side),
        price=price,
        size=size,
        order_id=oid,
        sequence=0,
        ts_event=0,
        ts_init=0,
    )


class RefBook:
    """Price -> size dicts; the obvious implementation."""

    def __init__(self) -> None:
        self.sides: dict[int, dict[float, float]] = {1: {}, 2: {}}

    def apply(self, action: int, side: int, price: float, size: float) -> None:
        if action == 4:
            self.sides = {1: {}, 2: {}}
        elif action == 3 or size <= 0:
            self.sides[side].pop(price, None)
        else:
            self.sides[side][price] = size

    def levels(self, side: int, depth: int | None = None) -> list[tuple[float, float]]:
        items = sorted(self.sides[side].items(), reverse=(side == 1))
        return items if depth is None else items[:depth]

    def walk(self, side: OrderSide, qty: float, limit: float | None) -> tuple[float, float]:
        filled = notional = 0.0
        for px, sz in self.levels(2 if side is OrderSide.BUY else 1):
            if filled >= qty or (
                limit is not None and (px > limit if side is OrderSide.BUY else px < limit)
            ):
                break
            take = min(sz, qty - filled)
            filled += take
            notional += take * px
        return filled, notional


deltas_st = st.lists(
    st.tuples(
        st.sampled_from([1, 1, 2, 3]),
        st.sampled_from([1, 2]),
        st.integers(9900, 10100).map(lambda t: t / 4),
        st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0]),
    ),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(deltas_st, st.booleans())
def test_l2_matches_reference(ops: list[tuple[int, int, float, float]], clear_mid: bool) -> None:
    if clear_mid and ops:
        ops = [*ops[: len(ops) // 2], (4, 1, 0.0, 0.0), *ops[len(ops) // 2 :]]
    ref = RefBook()
    one = LevelBook(IID, BookType.L2, capacity=1024)
    batch = LevelBook(IID, BookType.L2, capacity=1024)
    for a, s, p, z in ops:
        ref.apply(a, s, p, z)
        one.apply(delta(a, s, p, z))
    arr = np.array(ops, dtype=np.float64).reshape(-1, 4)
    assert (
        batch.apply_arrays(
            arr[:, 0].astype(np.int8), arr[:, 1].astype(np.int8), arr[:, 2].copy(), arr[:, 3].copy()
        )
        == 0
    )
    for book in (one, batch):
        for side in (1, 2):
            assert book.levels(BookSide(side)) == ref.levels(side)
            assert book.levels(BookSide(side), 3) == ref.levels(side, 3)
        bids, asks = ref.levels(1), ref.levels(2)
        assert book.best_bid_price() == (bids[0][0] if bids else None)
        assert book.best_ask_price() == (asks[0][0] if asks else None)
        if bids and asks:
            assert book.spread() == asks[0][0] - bids[0][0]
            assert book.mid() == (asks[0][0] + bids[0][0]) / 2
            b, a = sum(s for _, s in bids[:2]), sum(s for _, s in asks[:2])
            assert book.imbalance(2) == pytest.approx((b - a) / (b + a))
        for side in (OrderSide.BUY, OrderSide.SELL):
            for qty, lim in ((3.0, None), (12.5, 2500.0), (1e9, None)):
                got, want = book.walk(side, qty, lim), ref.walk(side, qty, lim)
                assert got[0] == pytest.approx(want[0]) and got[1] == pytest.approx(want[1])
        assert book.depth(2) == {"bids": bids[:2], "asks": asks[:2]}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 2), st.integers(0, 60).map(float), st.sampled_from([1.0, 2.0])),
        max_size=200,
    )
)
def test_capacity_keeps_the_best_levels(ops: list[tuple[int, float, float]]) -> None:
    ref = RefBook()
    book = LevelBook(IID, BookType.L2, capacity=8)
    for s, p, z in ops:
        ref.apply(1, s, p, z)
        book.apply(delta(1, s, p, z))
        for side in (1, 2):
            # with add-only streams, a capped book holds exactly the best 8 levels
            assert book.levels(BookSide(side)) == ref.levels(side, 8)


def test_avg_fill_price_and_filled_size() -> None:
    book = make_book(IID, "l2")
    for p, z in ((100.0, 1.0), (101.0, 2.0), (103.0, 5.0)):
        book.apply(delta(1, 2, p, z))
    assert book.filled_size(OrderSide.BUY, 4.0) == 4.0
    assert book.avg_fill_price(OrderSide.BUY, 4.0) == pytest.approx((100 + 202 + 103) / 4)
    assert book.filled_size(OrderSide.BUY, 10.0, limit=101.0) == 3.0
    assert book.avg_fill_price(OrderSide.SELL, 1.0) is None


def test_l1_replaces_the_top() -> None:
    book = make_book(IID, "l1")
    book.apply(delta(1, 1, 99.0, 1.0))
    book.apply(delta(1, 1, 98.0, 4.0))
    assert book.levels(BookSide.BID) == [(98.0, 4.0)]
    book.update_quote(
        Quote(instrument_id=IID, bid=99.5, ask=100.5, bid_size=3, ask_size=2, ts_event=5, ts_init=5)
    )
    assert book.depth(5) == {"bids": [(99.5, 3.0)], "asks": [(100.5, 2.0)]}


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 1, 2, 3]),
            st.integers(1, 2),
            st.integers(1, 20),
            st.integers(95, 105).map(float),
            st.sampled_from([0.0, 1.0, 3.0]),
        ),
        max_size=200,
    )
)
def test_l3_aggregates_like_reference(ops: list[tuple[int, int, int, float, float]]) -> None:
    book = OrderLevelBook(IID)
    orders: dict[int, tuple[int, float, float]] = {}
    for a, s, oid, p, z in ops:
        book.apply(delta(a, s, p, z, oid))
        if a == 3 or z <= 0:
            orders.pop(oid, None)
        else:
            orders[oid] = (s, p, z)
    for side in (1, 2):
        agg: dict[float, float] = {}
        for s, p, z in orders.values():
            if s == side:
                agg[p] = agg.get(p, 0.0) + z
        want = sorted(agg.items(), reverse=(side == 1))
        assert book.levels(BookSide(side)) == want
    assert len(book) == len(orders)


def test_l3_time_priority() -> None:
    book = OrderLevelBook(IID)
    for oid in (1, 2, 3):
        book.apply(delta(1, 1, 100.0, 5.0, oid))
    book.apply(delta(2, 1, 100.0, 4.0, 1))  # decrease keeps place
    book.apply(delta(2, 1, 100.0, 9.0, 2))  # increase goes to the back
    assert book.orders_at(BookSide.BID, 100.0) == [(1, 4.0), (3, 5.0), (2, 9.0)]
    book.apply(delta(2, 1, 99.0, 9.0, 3))  # price change moves level
    assert book.order(3) == (BookSide.BID, 99.0, 9.0)
    assert book.levels(BookSide.BID) == [(100.0, 13.0), (99.0, 9.0)]
    book.apply(delta(4, 1, 0.0, 0.0))
    assert book.levels(BookSide.BID) == [] and len(book) == 0


def test_snapshot_replaces_the_book() -> None:
    for book in (make_book(IID, "l2"), make_book(IID, "l3")):
        book.apply(delta(1, 1, 50.0, 1.0, 7))
        book.apply_snapshot(
            [delta(1, 1, 99.0, 2.0, 1), delta(1, 2, 101.0, 3.0, 2), delta(1, 2, 102.0, 1.0, 3)]
        )
        assert book.depth(5) == {"bids": [(99.0, 2.0)], "asks": [(101.0, 3.0), (102.0, 1.0)]}
        assert book.imbalance(1) == pytest.approx(-0.2)
        assert book.best_bid_size() == 2.0 and book.best_ask_size() == 3.0
