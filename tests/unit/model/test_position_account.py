"""Positions (netting, hedging, flips, exact P&L by hand) and cash/margin accounts."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from nautilus.core.errors import ConflictError
from nautilus.model.account import CashAccount, MarginAccount
from nautilus.model.events import OrderFilled, OrderSide, OrderType
from nautilus.model.instrument import Instrument
from nautilus.model.position import OmsType, PositionBook, PositionSide

AAPL = Instrument.create("AAPL.XNAS", "equity", "USD")
ES = Instrument.create("ESZ6.XCME", "future", "USD", tick_size="0.25", multiplier="50")


def fill(
    tid: str,
    side: str,
    qty: str,
    px: str,
    inst: Instrument = AAPL,
    *,
    commission: str = "0",
    position_id: str | None = None,
    cid: str = "C",
) -> OrderFilled:
    return OrderFilled(
        client_order_id=cid,
        instrument_id=inst.id,
        ts_event=int(tid[1:]),
        ts_init=0,
        venue_order_id="V",
        trade_id=tid,
        side=OrderSide(side),
        order_type=OrderType.MARKET,
        last_qty=D(qty),
        last_px=D(px),
        currency="USD",
        commission=D(commission),
        commission_currency="USD",
        position_id=position_id,
    )


def test_netting_reduce_and_flip_by_hand() -> None:
    book = PositionBook(OmsType.NETTING)
    assert book.apply_fill(fill("T1", "buy", "10", "100.00", commission="1.00"), AAPL) == 0
    book.apply_fill(fill("T2", "buy", "10", "110.00", commission="1.00"), AAPL)
    pos = book.net_position(AAPL.id)
    assert pos is not None and pos.avg_px_open == D("105") and pos.quantity == 20
    # sell 15 @ 120: 15 * (120 - 105) = 225
    assert book.apply_fill(fill("T3", "sell", "15", "120.00", commission="1.00"), AAPL) == D(225)
    assert pos.quantity == 5 and pos.avg_px_open == D("105")
    assert pos.unrealized_pnl(D("101.00")) == D("-20")  # 5 * (101 - 105)
    # sell 10 @ 100: closes 5 (5 * (100 - 105) = -25) and opens a 5 short at 100
    assert book.apply_fill(fill("T4", "sell", "10", "100.00", commission="1.00"), AAPL) == D(-25)
    assert pos.side is PositionSide.FLAT and pos.realized_pnl == D(200)
    assert pos.commission == D("4.00") and pos.net_realized_pnl == D("196.00")
    short = book.net_position(AAPL.id)
    assert short is not None and short is not pos
    assert short.side is PositionSide.SHORT and short.signed_qty == -5
    assert short.avg_px_open == D("100.00") and short.unrealized_pnl(D("90.00")) == D(50)
    assert book.net_qty(AAPL.id) == -5
    # round trip: total realized = sells - buys over the closed quantity
    assert book.realized_pnl(AAPL.id) == D(200)


def test_partial_closes_round_exactly_over_the_round_trip() -> None:
    book = PositionBook()
    for tid, px in (("T1", "10.01"), ("T2", "10.02"), ("T3", "10.04")):
        book.apply_fill(fill(tid, "buy", "1", px), AAPL)
    # avg 10.0233...; cost removed for 1 of 3 rounds to 10.02
    assert book.apply_fill(fill("T4", "sell", "1", "11.00"), AAPL) == D("0.98")
    assert book.apply_fill(fill("T5", "sell", "2", "11.00"), AAPL) == D("1.95")
    assert book.realized_pnl() == D("33.00") - D("30.07")


def test_duplicate_fill_is_ignored() -> None:
    book = PositionBook()
    f = fill("T1", "buy", "3", "50.00")
    book.apply_fill(f, AAPL)
    assert book.apply_fill(f, AAPL) == 0
    assert book.net_qty(AAPL.id) == 3


def test_multiplier_in_pnl() -> None:
    book = PositionBook()
    book.apply_fill(fill("T1", "sell", "2", "5000.25", ES), ES)
    # short 2 ES from 5000.25, buy back 1 at 4990.00: 1 * 10.25 * 50 = 512.50
    assert book.apply_fill(fill("T2", "buy", "1", "4990.00", ES), ES) == D("512.50")
    pos = book.net_position(ES.id)
    assert pos is not None and pos.unrealized_pnl(D("5010.25")) == D(-500)


def test_hedging_keeps_long_and_short_apart() -> None:
    book = PositionBook(OmsType.HEDGING)
    book.apply_fill(fill("T1", "buy", "10", "100.00", position_id="P-L"), AAPL)
    book.apply_fill(fill("T2", "sell", "4", "101.00", position_id="P-S"), AAPL)
    assert {p.position_id: p.signed_qty for p in book.open_positions()} == {"P-L": 10, "P-S": -4}
    assert book.net_qty(AAPL.id) == 6
    assert book.apply_fill(fill("T3", "sell", "10", "103.00", position_id="P-L"), AAPL) == 30
    assert book.apply_fill(fill("T4", "buy", "4", "99.50", position_id="P-S"), AAPL) == 6
    assert book.realized_pnl() == 36 and not book.open_positions()
    book.apply_fill(fill("T5", "buy", "1", "100.00", cid="C-9"), AAPL)
    assert [p.position_id for p in book.open_positions()] == [f"{AAPL.id}-C-9"]
    assert book.unrealized_pnl({AAPL.id: D("101.00")}) == 1


def test_cash_account_balances_from_fills() -> None:
    acct = CashAccount("A-1", "USD")
    acct.deposit("10000")
    assert acct.apply_fill(fill("T1", "buy", "10", "100.00", commission="1.00"), AAPL)
    assert acct.balance().total == D("8999.00")
    assert not acct.apply_fill(fill("T1", "buy", "10", "100.00", commission="1.00"), AAPL)
    acct.apply_fill(fill("T2", "sell", "10", "110.00", commission="1.00"), AAPL)
    assert acct.balance("USD").total == D("10098.00")
    acct.lock(D("98"))
    assert acct.balance().free == D("10000.00")
    with pytest.raises(ConflictError):
        acct.withdraw("10000.01")
    acct.deposit("5", "EUR")
    assert set(acct.balances) == {"USD", "EUR"} and acct.can_afford(D(10000))


def test_margin_account() -> None:
    acct = MarginAccount("M-1", "USD", leverage=10)
    acct.deposit("100000")
    book = PositionBook()
    f1 = fill("T1", "buy", "2", "5000.00", ES, commission="4.50")
    acct.apply_fill(f1, ES, book.apply_fill(f1, ES))
    assert acct.balance().total == D("99995.50")  # only commission moves cash
    assert acct.set_position_margin(ES, D(2), D("5000.00")) == D(50000)  # 500000 / 10
    assert acct.balance().locked == D(50000) and acct.margin_used() == D(50000)
    f2 = fill("T2", "sell", "1", "5010.00", ES, commission="2.25")
    acct.apply_fill(f2, ES, book.apply_fill(f2, ES))
    assert acct.balance().total == D("99995.50") + D(500) - D("2.25")
    acct.set_position_margin(ES, D(1), D("5010.00"))
    assert acct.balance().locked == D(25050)
    maint = acct.maintenance_margin(ES, D(1), D("5010.00"))
    assert maint == D("12525")  # 250500 * 0.05
    assert not acct.is_margin_call(D(0), maint)
    assert acct.is_margin_call(D(-90000), maint)
