"""Matching against quotes, trades and L2/L3 books: displayed size, IOC/FOK, post-only."""

from __future__ import annotations

from decimal import Decimal as D

from nautilus.execution.matching import MatchingEngine, MatchSink
from nautilus.model.data import AggressorSide, Trade
from nautilus.model.events import (
    LiquiditySide,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderSubmitted,
)
from nautilus.model.orders import Order, make_order
from tests.unit.execution.builders import AAPL, T0, VenueFactory, level, quote


def trade(ts: int, px: float, size: float) -> Trade:
    return Trade(
        instrument_id=AAPL.id,
        price=px,
        size=size,
        aggressor=AggressorSide.SELLER,
        trade_id=f"X{ts}",
        ts_event=ts,
        ts_init=ts,
    )


def asks(venue, ts: int, *levels: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    venue.process_deltas([level(ts, "ask", p, s) for p, s in levels])


def test_market_order_fills_against_displayed_size(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.process_quote(quote(T0, 99.99, 100.01, ask_size=4))
    venue.submit(make_order(AAPL, "buy", "market", 10, client_order_id="A"), T0 + 1)
    venue.advance(T0 + 1)
    assert rec.fills() == [("4", "100.01")]
    assert venue.orders["A"].status is OrderStatus.PARTIALLY_FILLED
    venue.process_quote(quote(T0 + 2, 100.00, 100.02, ask_size=3))
    venue.process_quote(quote(T0 + 3, 100.00, 100.03, ask_size=50))
    assert rec.fills() == [("4", "100.01"), ("3", "100.02"), ("3", "100.03")]
    assert venue.orders["A"].avg_px == D("100.019")  # 1000.19 / 10


def test_ioc_walks_levels_and_cancels_the_rest(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(book_type="l2")
    asks(venue, T0, (100.00, 4), (100.01, 3), (100.05, 50))
    venue.submit(
        make_order(
            AAPL, "buy", "limit", 10, price="100.01", time_in_force="ioc", client_order_id="I"
        ),
        T0 + 1,
    )
    venue.advance(T0 + 1)
    assert rec.fills("I") == [("4", "100.00"), ("3", "100.01")]
    assert rec.of(OrderCanceled, "I")[0].reason == "ioc"
    assert venue.orders["I"].filled_qty == 7


def test_fok_all_or_nothing(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(book_type="l2")
    asks(venue, T0, (100.00, 4), (100.01, 3))
    venue.submit(
        make_order(
            AAPL, "buy", "limit", 8, price="100.01", time_in_force="fok", client_order_id="F1"
        ),
        T0 + 1,
    )
    venue.submit(
        make_order(
            AAPL, "buy", "limit", 7, price="100.01", time_in_force="fok", client_order_id="F2"
        ),
        T0 + 1,
    )
    venue.advance(T0 + 1)
    assert rec.fills("F1") == [] and rec.of(OrderCanceled, "F1")[0].reason == "fok"
    assert rec.fills("F2") == [("4", "100.00"), ("3", "100.01")]
    assert venue.orders["F2"].status is OrderStatus.FILLED


def test_post_only_rejected_if_it_would_take(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(
        book_type="l2", fees=("maker_taker", {"maker_bps": "-1", "taker_bps": "2"})
    )
    asks(venue, T0, (100.00, 5))
    venue.submit(
        make_order(AAPL, "buy", "limit", 2, price="100.00", post_only=True, client_order_id="P"),
        T0 + 1,
    )
    venue.submit(
        make_order(AAPL, "buy", "limit", 2, price="99.98", post_only=True, client_order_id="Q"),
        T0 + 1,
    )
    venue.advance(T0 + 1)
    assert [(r.client_order_id, r.reason) for r in rec.of(OrderRejected)] == [
        ("P", "post_only_would_take")
    ]
    assert not rec.fills()
    # the ask comes down through the resting bid: maker fill at the limit price, rebate
    asks(venue, T0 + 2, (99.97, 1))
    (f,) = rec.of(OrderFilled)
    assert (f.last_qty, f.last_px, f.liquidity_side) == (D(1), D("99.98"), LiquiditySide.MAKER)
    assert f.commission == D("-0.01")  # 99.98 * -1 bp, rounded to cents


def test_price_time_priority_between_our_orders(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(book_type="l2")
    venue.process_quote(quote(T0, 99.00, 101.00))
    for cid, px in (("late", "100.00"), ("best", "100.01")):
        venue.submit(make_order(AAPL, "buy", "limit", 5, price=px, client_order_id=cid), T0 + 1)
    venue.submit(
        make_order(AAPL, "buy", "limit", 5, price="100.00", client_order_id="later"), T0 + 2
    )
    venue.advance(T0 + 2)
    venue.process_quote(quote(T0 + 3, 99.00, 100.00, ask_size=7))
    assert [(f.client_order_id, str(f.last_qty)) for f in rec.of(OrderFilled)] == [
        ("best", "5"),
        ("late", "2"),
    ]


def test_stop_triggers_on_quote_and_takes_the_book(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.process_quote(quote(T0, 100.00, 100.02))
    venue.submit(make_order(AAPL, "buy", "market", 5, client_order_id="L"), T0 + 1)
    venue.submit(
        make_order(AAPL, "sell", "stop", 5, trigger_price="99.00", client_order_id="S"), T0 + 2
    )
    venue.process_quote(quote(T0 + 3, 99.50, 99.52))
    assert rec.fills("S") == []
    venue.process_quote(quote(T0 + 4, 98.50, 98.60))
    assert rec.fills("S") == [("5", "98.50")]


def test_trades_fill_resting_limits(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.submit(make_order(AAPL, "buy", "limit", 5, price="100.00", client_order_id="L"), T0)
    venue.advance(T0)
    venue.process_trade(trade(T0 + 1, 100.00, 10))  # touch, fill model says no
    assert rec.fills() == []
    venue.process_trade(trade(T0 + 2, 99.99, 3))  # through: fill up to the trade's size
    venue.process_trade(trade(T0 + 3, 99.98, 10))
    assert rec.fills() == [("3", "100.00"), ("2", "100.00")]


def test_l3_book_matching(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(book_type="l3")
    venue.process_deltas(
        [
            level(T0, "ask", 100.00, 2, oid=1),
            level(T0, "ask", 100.00, 3, oid=2),
            level(T0, "ask", 100.10, 9, oid=3),
        ]
    )
    venue.submit(make_order(AAPL, "buy", "market", 6, client_order_id="M"), T0 + 1)
    venue.advance(T0 + 1)
    assert rec.fills("M") == [("5", "100.00"), ("1", "100.10")]


class _Sink(MatchSink):
    """Applies fills straight to the order (no fees, no events) to drive the engine alone."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, str]] = []
        self.n = 0

    def on_fill(self, order: Order, qty: D, px: D, liquidity: LiquiditySide) -> D:
        self.n += 1
        order.apply(
            OrderFilled(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=0,
                ts_init=0,
                venue_order_id="V",
                trade_id=f"T{self.n}",
                side=order.side,
                order_type=order.order_type,
                last_qty=qty,
                last_px=px,
                currency="USD",
            )
        )
        self.log.append((order.client_order_id, str(qty), str(px)))
        return qty

    def on_trigger(self, order: Order) -> None:
        order.is_triggered = True

    def on_cancel(self, order: Order, reason: str) -> None:
        self.log.append((order.client_order_id, "cancel", reason))

    def on_trigger_moved(self, order: Order, trigger_price: D) -> None:
        order.trigger_price = trigger_price


def test_engine_auction_fills_moo() -> None:
    sink = _Sink()
    engine = MatchingEngine(AAPL, sink)
    o = make_order(AAPL, "buy", "market_on_open", 3, client_order_id="MOO")
    for e in (
        OrderSubmitted(client_order_id="MOO", instrument_id=AAPL.id, ts_event=0, ts_init=0),
        OrderAccepted(
            client_order_id="MOO", instrument_id=AAPL.id, ts_event=0, ts_init=0, venue_order_id="V"
        ),
    ):
        o.apply(e)
    engine.add(o)
    engine.process_quote(quote(T0, 99.0, 101.0))
    assert sink.log == []
    engine.process_auction(100.25, is_open=True)
    assert sink.log == [("MOO", "3", "100.25")] and o.status is OrderStatus.FILLED
