"""Bar matching through the simulated venue: fills, paths, gaps, stops, slippage, expiry."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from nautilus.core.errors import ConflictError
from nautilus.core.time import to_ns
from nautilus.model.data import Bar
from nautilus.model.events import (
    LiquiditySide,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    OrderStatus,
    OrderTriggered,
    OrderUpdated,
)
from nautilus.model.orders import OrderStore, bracket, make_order, oco
from tests.unit.execution.builders import AAPL, T0, M, VenueFactory, bar


def flat(i: int, px: float = 100.0, v: float = 1e6) -> Bar:
    return bar(i, px, px, px, px, v)


def go_long(venue, qty: int = 10) -> None:  # type: ignore[no-untyped-def]
    venue.submit(make_order(AAPL, "buy", "market", qty, client_order_id="LONG"), T0)
    venue.process_bar(flat(0))


def test_market_order_fills_at_next_bar_open(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.process_bar(bar(0, 100, 101, 99, 100.5))
    venue.submit(make_order(AAPL, "buy", "market", 5, client_order_id="A"), T0 + M)
    venue.process_bar(bar(1, 101.25, 102, 100, 101))
    (f,) = rec.of(OrderFilled)
    assert (f.last_qty, f.last_px, f.ts_event) == (D(5), D("101.25"), T0 + M)
    assert f.liquidity_side is LiquiditySide.TAKER and f.trade_id == "SIM-T1"


def test_mid_bar_command_waits_for_next_bar(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.submit(make_order(AAPL, "buy", "market", 5, client_order_id="A"), T0 + M // 2)
    venue.process_bar(bar(0, 100, 101, 99, 100.5))
    assert not rec.of(OrderFilled) and rec.of(OrderAccepted)
    venue.process_bar(bar(1, 100.75, 102, 100, 101))
    assert rec.fills() == [("5", "100.75")]


@pytest.mark.parametrize(
    ("h", "lo", "winner", "px"),
    [
        (108, 94, "SL", "95.00"),  # low (6 away) nearer than high (8): O->L->H->C, stop first
        (106, 93, "TP", "105.00"),  # high (6 away) nearer than low (7): O->H->L->C, target first
        (106, 94, "TP", "105.00"),  # tie goes high first
    ],
)
def test_bracket_path_order(
    make_venue: VenueFactory, h: float, lo: float, winner: str, px: str
) -> None:
    venue, rec = make_venue()
    b = bracket(AAPL, "buy", 10, take_profit="105.00", stop_loss="95.00", list_id="B")
    venue.submit_list(b, T0)
    venue.process_bar(flat(0))
    assert rec.fills("B-E") == [("10", "100.00")]
    assert venue.orders["B-TP"].status is OrderStatus.ACCEPTED
    venue.process_bar(bar(1, 100, h, lo, 100))
    loser = "B-TP" if winner == "SL" else "B-SL"
    assert rec.fills(f"B-{winner}") == [("10", px)]
    (c,) = rec.of(OrderCanceled, loser)
    assert c.reason == "ouo"
    assert venue.net_qty[AAPL.id] == 0


def test_bracket_children_canceled_when_entry_never_fills(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    b = bracket(
        AAPL, "buy", 10, entry_price="90.00", take_profit="105.00", stop_loss="85.00", list_id="B"
    )
    venue.submit_list(b, T0)
    venue.process_bar(flat(0))
    venue.cancel("B-E", T0 + M)
    venue.advance(T0 + M)
    assert {c.client_order_id: c.reason for c in rec.of(OrderCanceled)} == {
        "B-E": "user",
        "B-TP": "parent_closed",
        "B-SL": "parent_closed",
    }


def test_stop_gapped_through_fills_at_open(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    go_long(venue)
    venue.submit(
        make_order(AAPL, "sell", "stop", 10, trigger_price="95.00", client_order_id="S"), T0 + M
    )
    venue.process_bar(bar(1, 90, 91, 89, 90.5))
    assert rec.fills("S") == [("10", "90.00")]


def test_stop_triggered_inside_bar_fills_at_trigger(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    go_long(venue)
    venue.submit(
        make_order(AAPL, "sell", "stop", 10, trigger_price="95.00", client_order_id="S"), T0 + M
    )
    venue.process_bar(bar(1, 100, 100.5, 93, 94))
    assert rec.fills("S") == [("10", "95.00")]


def test_limit_touched_not_crossed_depends_on_fill_model(make_venue: VenueFactory) -> None:
    for prob, expected in ((0.0, []), (1.0, [("3", "95.00")])):
        venue, rec = make_venue(fill_model=("probabilistic", {"prob_fill_on_touch": prob}))
        venue.submit(make_order(AAPL, "buy", "limit", 3, price="95.00", client_order_id="L"), T0)
        venue.process_bar(bar(0, 100, 100, 95, 98))
        assert rec.fills("L") == expected
    venue, rec = make_venue()
    venue.submit(make_order(AAPL, "buy", "limit", 3, price="95.00", client_order_id="L"), T0)
    venue.process_bar(flat(0))
    venue.process_bar(bar(1, 100, 100, 94.99, 98))
    (f,) = rec.of(OrderFilled)
    assert f.last_px == D("95.00") and f.liquidity_side is LiquiditySide.MAKER


def test_limit_gapped_through_fills_at_open(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.submit(make_order(AAPL, "buy", "limit", 3, price="95.00", client_order_id="L"), T0)
    venue.process_bar(flat(0))
    venue.process_bar(bar(1, 93, 94, 92, 93))
    assert rec.fills("L") == [("3", "93.00")]


def test_stop_limit_triggers_then_rests_then_fills(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.submit(
        make_order(
            AAPL,
            "buy",
            "stop_limit",
            2,
            trigger_price="101.00",
            price="100.50",
            client_order_id="SL",
        ),
        T0,
    )
    venue.process_bar(flat(0))
    venue.process_bar(bar(1, 100, 103, 99, 100))  # O->L(99)->H(103)->C(100)
    assert len(rec.of(OrderTriggered, "SL")) == 1
    assert rec.fills("SL") == [("2", "100.50")]
    venue, rec = make_venue()
    venue.submit(
        make_order(
            AAPL,
            "buy",
            "stop_limit",
            2,
            trigger_price="101.00",
            price="101.50",
            client_order_id="SL",
        ),
        T0,
    )
    venue.process_bar(flat(0))
    venue.process_bar(bar(1, 100, 103, 99.5, 102))
    assert rec.fills("SL") == [("2", "101.00")]


def test_trailing_stop_follows_the_high(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    go_long(venue)
    venue.submit(
        make_order(AAPL, "sell", "trailing_stop", 10, trailing_offset="2.00", client_order_id="TS"),
        T0 + M,
    )
    venue.process_bar(bar(1, 100, 104, 100, 104))
    assert venue.orders["TS"].trigger_price == D("102.00")
    assert rec.of(OrderUpdated, "TS")[-1].trigger_price == D("102.00")
    venue.process_bar(bar(2, 104, 104, 101, 101))
    assert rec.fills("TS") == [("10", "102.00")]
    venue, rec = make_venue()
    go_long(venue)
    venue.submit(
        make_order(
            AAPL,
            "sell",
            "trailing_stop",
            10,
            trailing_offset="5",
            trailing_offset_type="percent",
            client_order_id="TS",
        ),
        T0 + M,
    )
    venue.process_bar(bar(1, 100, 110, 100, 110))
    assert venue.orders["TS"].trigger_price == D("104.50")


def test_slippage_models_on_market_fills(make_venue: VenueFactory) -> None:
    cases = [
        ([("fixed_bps", {"bps": "10"})], "100.10"),
        ([("sqrt_impact", {"k": 1.0, "sigma": 0.02, "adv": 1_000_000})], "100.20"),
    ]
    for slippage, px in cases:
        venue, rec = make_venue(slippage=slippage)
        venue.submit(make_order(AAPL, "buy", "market", 10_000, client_order_id="A"), T0)
        venue.process_bar(flat(0))
        assert rec.fills() == [("10000", px)]


def test_volume_participation_carries_the_remainder(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(slippage=[("volume_participation", {"max_participation": 0.1})])
    venue.submit(make_order(AAPL, "buy", "market", 250, client_order_id="A"), T0)
    for i, px in enumerate((100.0, 101.0, 102.0)):
        venue.process_bar(flat(i, px, v=1000))
    assert rec.fills() == [("100", "100.00"), ("100", "101.00"), ("50", "102.00")]
    assert venue.orders["A"].status is OrderStatus.FILLED
    assert venue.orders["A"].avg_px == D("100.8")  # (10000 + 10100 + 5100) / 250


@pytest.mark.parametrize(
    ("fees", "liq_order", "expected"),
    [
        (("bps", {"bps": "10"}), "market", D("1.00")),
        (("per_share", {"per_share": "0.005", "minimum": "1.00"}), "market", D("1.00")),
        (("maker_taker", {"maker_bps": "-2", "taker_bps": "3"}), "market", D("0.30")),
        (("maker_taker", {"maker_bps": "-2", "taker_bps": "3"}), "limit", D("-0.20")),
    ],
)
def test_fees_on_fills(
    make_venue: VenueFactory, fees: tuple[str, dict[str, str]], liq_order: str, expected: D
) -> None:
    venue, rec = make_venue(fees=fees)
    if liq_order == "market":
        venue.submit(make_order(AAPL, "buy", "market", 10, client_order_id="A"), T0)
        venue.process_bar(flat(0))
    else:
        venue.submit(make_order(AAPL, "buy", "limit", 10, price="100.00", client_order_id="A"), T0)
        venue.process_bar(flat(0, 101))
        venue.process_bar(bar(1, 101, 101, 99, 100))
    (f,) = rec.of(OrderFilled)
    assert f.last_px == D("100.00") and f.commission == expected


def test_ioc_and_fok_on_bars(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(slippage=[("volume_participation", {"max_participation": 0.1})])
    venue.submit(
        make_order(
            AAPL, "buy", "limit", 5, price="99.00", time_in_force="ioc", client_order_id="I"
        ),
        T0,
    )
    venue.submit(
        make_order(AAPL, "buy", "market", 200, time_in_force="fok", client_order_id="F"), T0
    )
    venue.submit(
        make_order(AAPL, "buy", "market", 150, time_in_force="ioc", client_order_id="P"), T0
    )
    venue.process_bar(bar(0, 100, 100, 98, 99, v=1000))  # later dip to 98 must not fill IOC
    assert {c.client_order_id: c.reason for c in rec.of(OrderCanceled)} == {
        "I": "ioc",
        "F": "fok",
        "P": "ioc",
    }
    assert rec.fills() == [("100", "100.00")]


def test_moo_and_moc_on_daily_bars(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    day = to_ns("2026-03-03T21:00:00Z")
    venue.submit(
        make_order(AAPL, "buy", "market_on_open", 1, client_order_id="O"), day - 86_400 * 10**9
    )
    venue.submit(
        make_order(AAPL, "sell", "market_on_close", 1, client_order_id="C"), day - 86_400 * 10**9
    )
    venue.process_bar(
        Bar(
            instrument_id=AAPL.id,
            timeframe="1d",
            open=100,
            high=105,
            low=99,
            close=104,
            volume=1e6,
            ts_event=day,
            ts_init=day,
        )
    )
    assert rec.fills("O") == [("1", "100.00")] and rec.fills("C") == [("1", "104.00")]


def test_day_and_gtd_expiry(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.submit(
        make_order(
            AAPL, "buy", "limit", 1, price="90.00", time_in_force="day", client_order_id="D"
        ),
        T0,
    )
    venue.submit(
        make_order(
            AAPL,
            "buy",
            "limit",
            1,
            price="90.00",
            time_in_force="gtd",
            expire_time_ns=T0 + 5 * M,
            ts_init=T0,
            client_order_id="G",
        ),
        T0,
    )
    venue.advance(T0 + 5 * M)
    assert [e.client_order_id for e in rec.of(OrderExpired)] == ["G"]
    close = to_ns("2026-03-02T21:00:00Z")  # 16:00 New York (EST)
    venue.advance(close - 1)
    assert len(rec.of(OrderExpired)) == 1
    venue.advance(close)
    (e,) = rec.of(OrderExpired, "D")
    assert e.ts_event == close
    late = make_order(
        AAPL,
        "buy",
        "limit",
        1,
        price="90.00",
        time_in_force="gtd",
        expire_time_ns=T0 + 10,
        ts_init=T0,
        client_order_id="L",
    )
    venue2, rec2 = make_venue(latency=("fixed", {"delay_ns": 50}))
    venue2.submit(late, T0)
    venue2.advance(T0 + 100)
    assert rec2.of(OrderRejected)[0].reason == "expired_gtd"


def test_reduce_only_and_post_only_rejections(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.submit(make_order(AAPL, "sell", "market", 1, reduce_only=True, client_order_id="R"), T0)
    venue.process_bar(flat(0))
    venue.submit(
        make_order(AAPL, "buy", "limit", 1, price="100.00", post_only=True, client_order_id="P"),
        T0 + M,
    )
    venue.submit(
        make_order(AAPL, "buy", "limit", 1, price="99.99", post_only=True, client_order_id="Q"),
        T0 + M,
    )
    venue.advance(T0 + M)
    assert {r.client_order_id: r.reason for r in rec.of(OrderRejected)} == {
        "R": "reduce_only_would_increase",
        "P": "post_only_would_take",
    }
    assert venue.orders["Q"].status is OrderStatus.ACCEPTED


def test_cancel_modify_and_oco(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(latency=("fixed", {"delay_ns": 1000}))
    store = OrderStore()
    venue.on_event = lambda e: (rec(e), store.apply(e))
    a = make_order(AAPL, "buy", "limit", 4, price="95.00", client_order_id="A")
    b = make_order(AAPL, "buy", "limit", 4, price="94.00", client_order_id="B")
    for o in oco([a, b]):
        store.add(o)
        venue.submit(o, T0 - 5000)
    venue.modify("A", T0 - 3000, price="99.00")
    venue.modify("B", T0 - 3000, quantity="0")
    venue.advance(T0)
    assert rec.of(OrderModifyRejected, "B")[0].reason == "invalid_quantity"
    assert store.get("A").price == D("99.00")  # type: ignore[union-attr]
    venue.process_bar(bar(0, 100, 100, 98, 99))
    assert rec.fills("A") == [("4", "99.00")]
    assert rec.of(OrderCanceled, "B")[0].reason == "oco"
    assert store.get("B").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    with pytest.raises(ConflictError) as info:
        venue.cancel("A", T0 + M)
    assert info.value.code == "order_closed"
    assert [o.client_order_id for o in store.closed_orders()] == ["A", "B"]


def test_latency_and_seeded_determinism(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(latency=("fixed", {"delay_ns": 250}))
    venue.submit(make_order(AAPL, "buy", "limit", 1, price="90.00", client_order_id="A"), T0)
    venue.advance(T0 + 249)
    assert not rec.of(OrderAccepted)
    venue.advance(T0 + 250)
    assert rec.of(OrderAccepted)[0].ts_event == T0 + 250

    def run() -> list[object]:
        v, r = make_venue(
            seed=7,
            latency=("random", {"base_ns": 0, "jitter_ns": M}),
            fill_model=("probabilistic", {"prob_fill_on_touch": 0.5}),
        )
        for i in range(20):
            v.submit(
                make_order(AAPL, "buy", "limit", 1, price="99.00", client_order_id=f"O{i}"),
                T0 + i * M,
            )
            v.process_bar(bar(i, 100, 100, 99, 99.5))
        return r.events

    first, second = run(), run()
    assert first == second
    assert 0 < len([e for e in first if isinstance(e, OrderFilled)]) < 20


def test_ouo_partial_fill_shrinks_the_other_exit(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(slippage=[("volume_participation", {"max_participation": 0.1})])
    b = bracket(AAPL, "buy", 100, take_profit="105.00", stop_loss="95.00", list_id="B")
    venue.submit_list(b, T0)
    venue.process_bar(flat(0, v=10_000))
    venue.process_bar(bar(1, 100, 106, 100, 104, v=400))  # TP may take 40 of 100
    assert rec.fills("B-TP") == [("40", "105.00")]
    assert venue.orders["B-SL"].quantity == 60
    venue.process_bar(bar(2, 100, 100, 94, 94, v=10_000))
    assert rec.fills("B-SL") == [("60", "95.00")]
    assert rec.of(OrderCanceled, "B-TP")[0].reason == "ouo"
    assert venue.net_qty[AAPL.id] == 0


def test_fill_times_follow_the_path_and_expiry_cuts_in(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    go_long(venue)
    venue.submit(
        make_order(AAPL, "sell", "stop", 10, trigger_price="95.00", client_order_id="S"), T0 + M
    )
    venue.submit(
        make_order(
            AAPL,
            "buy",
            "limit",
            1,
            price="96.00",
            time_in_force="gtd",
            expire_time_ns=T0 + M + M // 2,
            ts_init=T0,
            client_order_id="G",
        ),
        T0 + M,
    )
    venue.process_bar(bar(1, 100, 108, 94, 100))  # O -> L (at +M/3) -> H -> C
    (f,) = rec.of(OrderFilled, "S")
    assert f.ts_event == T0 + M + M // 3
    assert rec.fills("G") == [("1", "96.00")]  # crossed in the first third, before expiry
    venue, rec = make_venue()
    venue.submit(
        make_order(
            AAPL,
            "buy",
            "limit",
            1,
            price="96.00",
            time_in_force="gtd",
            expire_time_ns=T0 + M // 2,
            ts_init=T0,
            client_order_id="G",
        ),
        T0,
    )
    venue.process_bar(bar(0, 100, 100, 94, 95))  # O -> H (+M/3) -> L (+2M/3): too late
    assert rec.fills("G") == []
    assert rec.of(OrderExpired, "G")[0].ts_event == T0 + M // 2


def test_bracket_exits_track_partial_entry_fills(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(slippage=[("volume_participation", {"max_participation": 0.1})])
    b = bracket(AAPL, "buy", 100, take_profit="105.00", stop_loss="95.00", list_id="B")
    venue.submit_list(b, T0)
    venue.process_bar(flat(0, v=500))  # entry fills 50 of 100, exits released for 50
    assert venue.orders["B-TP"].quantity == 50 and venue.orders["B-SL"].quantity == 50
    venue.process_bar(bar(1, 100, 105.5, 100, 100, v=200))  # TP takes 20; entry +20 at open
    # entry filled 70, TP filled 20: 50 still open, so the stop is 50 and the target 20 + 50
    assert rec.fills("B-E") == [("50", "100.00"), ("20", "100.00")]
    assert rec.fills("B-TP") == [("20", "105.00")]
    assert venue.orders["B-SL"].quantity == 50
    assert venue.orders["B-TP"].quantity == 70
    assert venue.net_qty[AAPL.id] == 50
