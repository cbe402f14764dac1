"""Ledger (Decimal, lots, long-only), consolidation and rebalancing checked by hand."""

from __future__ import annotations

from decimal import Decimal as D

import msgspec
import numpy as np
import pydantic
import pytest

from nautilus.core.errors import ValidationError
from nautilus.portfolio.consolidation import Holder, consolidate
from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import (
    InvestmentPolicy,
    LotMethod,
    Security,
    Transaction,
    TxnType,
)
from nautilus.portfolio.rebalance import (
    RebalanceConfig,
    band_breaches,
    check_weights,
    plan_rebalance,
    rebalance_due,
)

DAY = 86_400 * 10**9
YEAR = 365 * DAY


def tx(i: str, ts: int, kind: TxnType, inst: str | None = None, **kw: object) -> Transaction:
    conv = {
        k: D(str(v)) if k in ("quantity", "price", "amount", "fee", "ratio") else v
        for k, v in kw.items()
    }
    return Transaction(id=i, portfolio_id="p", ts=ts, type=kind, instrument_id=inst, **conv)


def three_lots(method: LotMethod = LotMethod.FIFO) -> Ledger:
    led = Ledger(method)
    led.apply(tx("dep", 0, TxnType.DEPOSIT, amount="100000"))
    led.apply(tx("l1", 0, TxnType.BUY, "A.X", quantity=100, price=10))  # long-term
    led.apply(tx("l2", 200 * DAY, TxnType.BUY, "A.X", quantity=100, price=30))  # long-term
    led.apply(tx("l3", 500 * DAY, TxnType.BUY, "A.X", quantity=100, price=20, fee="5"))
    return led


def test_ledger_decimal_cash_fees_income_and_split() -> None:
    led = three_lots()
    assert led.cash == D("100000") - D(1000) - D(3000) - D(2005)
    assert led.lots["A.X"][2].unit_cost == D("20.05")  # fee capitalised into the lot
    led.apply(tx("div", 510 * DAY, TxnType.DIVIDEND, "A.X", amount="12.34"))
    led.apply(tx("fee", 511 * DAY, TxnType.FEE, amount="0.34"))
    assert led.cash == D("93995") + D("12.00") and led.income == D("12.34")
    led.apply(tx("spl", 520 * DAY, TxnType.SPLIT, "A.X", ratio=2))
    assert led.quantity("A.X") == D(600) and led.cost_basis("A.X") == D("6005")
    assert led.lots["A.X"][0].unit_cost == D(5)


@pytest.mark.parametrize(
    ("method", "lot_ids", "gain"),
    [  # sell 150 @ 25 on day 600: FIFO l1+half l2, LIFO l3+half l2, HIFO l2+half l3
        (LotMethod.FIFO, [], 150 * 25 - (1000 + 1500)),
        (LotMethod.LIFO, [], 150 * 25 - (2005 + 1500)),
        (LotMethod.HIGHEST_COST, [], 150 * 25 - (3000 + D("1002.5"))),
        (LotMethod.FIFO, ["l3", "l1"], 150 * 25 - (2005 + 500)),
    ],
)
def test_sell_lot_methods(method: LotMethod, lot_ids: list[str], gain: object) -> None:
    led = three_lots(method)
    led.apply(tx("s", 600 * DAY, TxnType.SELL, "A.X", quantity=150, price=25, lot_ids=lot_ids))
    assert sum(g.gain for g in led.realised) == D(str(gain))
    assert led.quantity("A.X") == D(150)


def test_long_only_and_cash_rejections_leave_ledger_unchanged() -> None:
    led = three_lots()
    before = msgspec.to_builtins(led.open_lots()), led.cash
    with pytest.raises(ValidationError) as err:
        led.apply(tx("s", 600 * DAY, TxnType.SELL, "A.X", quantity=301, price=25))
    assert err.value.code == "negative_holding" and "A.X" in err.value.detail
    with pytest.raises(ValidationError) as err:
        led.apply(tx("t", 600 * DAY, TxnType.TRANSFER, "B.X", quantity=-1))
    assert err.value.code == "negative_holding"
    with pytest.raises(ValidationError) as err:
        led.apply(tx("w", 600 * DAY, TxnType.WITHDRAWAL, amount="1000000"))
    assert err.value.code == "insufficient_cash"
    assert (msgspec.to_builtins(led.open_lots()), led.cash) == before


def test_transfer_keeps_cost_and_acquisition_date() -> None:
    led = Ledger()
    led.apply(tx("in", 5, TxnType.TRANSFER, "A.X", quantity=10, price="12.5"))
    assert led.cost_basis("A.X") == D(125) and led.lots["A.X"][0].acquired_ns == 5
    led.apply(tx("out", 6, TxnType.TRANSFER, "A.X", quantity=-4))
    assert led.quantity("A.X") == D(6) and led.realised == []


def test_consolidation_bulk_matches_decimal_sum() -> None:
    secs = {
        "A.X": Security(instrument_id="A.X", price=D("21.5"), sector="Tech"),
        "B.X": Security(instrument_id="B.X", price=D("7"), sector="Energy"),
    }
    l1 = three_lots()
    l2 = Ledger()
    l2.apply(tx("d", 0, TxnType.DEPOSIT, amount="500"))
    l2.apply(tx("b", 1, TxnType.BUY, "B.X", quantity=30, price=5))
    view = consolidate(
        [Holder("c1", "a1", l1), Holder("c2", "a2", l2), Holder("c2", "a3", l2)], secs
    )
    exact_a1 = l1.cash + 300 * D("21.5")
    exact_a2 = l2.cash + 30 * 7
    assert view.by_account == {"a1": float(exact_a1), "a2": float(exact_a2), "a3": float(exact_a2)}
    assert view.by_client == {"c1": float(exact_a1), "c2": 2 * float(exact_a2)}
    assert view.by_sector == {"Energy": 420.0, "Tech": 6450.0}
    assert view.unrealised == pytest.approx(6450 - 6005 + 420 - 300)
    assert sum(h.weight for h in view.holdings) + view.cash / view.total_value == pytest.approx(1)
    with pytest.raises(ValidationError) as err:
        consolidate([Holder("c1", "a1", l1)], {})
    assert err.value.code == "missing_prices" and "A.X" in err.value.detail


def test_check_weights_names_problems() -> None:
    with pytest.raises(ValidationError, match=r"sum to 0\.9"):
        check_weights({"A.X": 0.5, "B.X": 0.4})
    with pytest.raises(ValidationError, match=r"duplicate assets: A\.X"):
        check_weights([("A.X", 0.5), ("A.X", 0.5)])
    with pytest.raises(ValidationError, match=r"B\.X"):
        check_weights({"A.X": 1.5, "B.X": -0.5})


def test_rebalance_lots_buffer_min_trade_and_gains() -> None:
    led = three_lots()
    secs = {
        "A.X": Security(instrument_id="A.X", price=D(40), lot_size=D(10)),
        "B.X": Security(instrument_id="B.X", price=D("9.7"), lot_size=D(25)),
        "C.X": Security(instrument_id="C.X", price=D(1000), lot_size=D(1)),
    }
    now = 600 * DAY
    cfg = RebalanceConfig(cash_buffer=0.02, min_trade_value=1500, avoid_short_term_gains=True)
    plan = plan_rebalance("p", led, secs, {"A.X": 0.1, "B.X": 0.899, "C.X": 0.001}, cfg, now_ns=now)
    total = 93995 + 300 * 40
    assert plan.total_value == total
    inv = D(repr(total * 0.98))
    trades = {t.instrument_id: t for t in plan.trades}
    assert "C.X" not in trades  # below the minimum trade value
    # A.X: hold 300, target inv*0.1/40 -> sell whole lots of 10 toward it (rounded toward zero)
    sell = (D(300) - inv * D("0.1") / 40) // 10 * 10
    assert trades["A.X"].side == "sell" and trades["A.X"].quantity == sell == D(40)
    # held > 365 days first: l1 (day 0) then l2 (day 200); l3 (day 500) is short-term
    assert trades["A.X"].lot_ids == ["l1"]
    assert plan.realised_long_term == float(40 * 40 - 40 * 10) and plan.realised_short_term == 0
    buy = trades["B.X"]
    assert buy.quantity % 25 == 0 and buy.side == "buy"
    assert plan.cash_after >= total * 0.02 - 1e-9
    assert plan.cash_after == pytest.approx(93995 + 1600 - float(buy.value))
    assert plan.weights_after["A.X"] == pytest.approx(260 * 40 / total)
    # without the tax preference FIFO gives the same lot; LIFO sells the short-term lot l3
    lifo = plan_rebalance(
        "p",
        led,
        secs,
        {"A.X": 0.1, "B.X": 0.9},
        RebalanceConfig(lot_method=LotMethod.LIFO),
        now_ns=now,
    )
    sold = next(t for t in lifo.trades if t.side == "sell")
    assert sold.lot_ids == ["l3"]
    assert lifo.realised_short_term == pytest.approx(float(sold.quantity) * (40 - 20.05))
    specific = plan_rebalance(
        "p",
        led,
        secs,
        {"A.X": 0.1, "B.X": 0.9},
        RebalanceConfig(lot_method=LotMethod.SPECIFIC, specific_lots={"A.X": ["l2", "l1"]}),
        now_ns=now,
    )
    sold = next(t for t in specific.trades if t.side == "sell")
    assert sold.lot_ids == ["l2"]
    assert specific.realised_long_term == pytest.approx(float(sold.quantity) * (40 - 30))
    intents = lifo.intents()
    assert {i.side for i in intents} == {"buy", "sell"}
    assert all(isinstance(i.quantity, D) for i in intents)


def test_rebalance_rejects_missing_prices_and_restricted() -> None:
    led = three_lots()
    secs = {"A.X": Security(instrument_id="A.X", price=D(40))}
    with pytest.raises(ValidationError) as err:
        plan_rebalance("p", led, secs, {"A.X": 0.5, "Z.X": 0.5}, RebalanceConfig(), now_ns=0)
    assert err.value.code == "missing_prices" and "Z.X" in err.value.detail
    with pytest.raises(ValidationError, match=r"restricted"):
        plan_rebalance("p", led, secs, {"A.X": 1.0}, RebalanceConfig(restricted=("A.X",)), now_ns=0)


def test_band_and_calendar_triggers() -> None:
    led = three_lots()
    secs = {
        "A.X": Security(instrument_id="A.X", price=D(40)),
        "B.X": Security(instrument_id="B.X", price=D(10)),
    }
    total = 93995 + 12000
    policy = InvestmentPolicy(targets={"A.X": 0.2, "B.X": 0.8}, default_band=0.05, cash_buffer=0.0)
    breaches = band_breaches(led, secs, policy)
    assert breaches["A.X"] == pytest.approx(12000 / total - 0.2)
    assert breaches["B.X"] == pytest.approx(-0.8)
    wide = InvestmentPolicy(
        targets={"A.X": 0.2, "B.X": 0.8}, bands={"B.X": 1.0}, default_band=0.1, cash_buffer=0.0
    )
    assert not rebalance_due(led, secs, wide, trigger="band", now_ns=0, last_rebalance_ns=None)
    assert rebalance_due(led, secs, wide, trigger="calendar", now_ns=91 * DAY, last_rebalance_ns=0)
    assert not rebalance_due(
        led, secs, wide, trigger="calendar", now_ns=89 * DAY, last_rebalance_ns=0
    )
    with pytest.raises(pydantic.ValidationError, match=r"sum to 0\.9"):
        InvestmentPolicy(targets={"A.X": 0.2, "B.X": 0.7})
    with pytest.raises(pydantic.ValidationError, match=r"restricted instruments have targets"):
        InvestmentPolicy(targets={"A.X": 1.0}, restricted=("A.X",))


def test_ledger_replay_is_order_independent_of_input_order() -> None:
    txns = [
        tx("d", 0, TxnType.DEPOSIT, amount=1000),
        tx("b", 2, TxnType.BUY, "A.X", quantity=3, price="1.1"),
        tx("s", 3, TxnType.SELL, "A.X", quantity=1, price=2),
    ]
    a = Ledger.replay(txns)
    b = Ledger.replay(list(reversed(txns)))
    assert a.cash == b.cash == D("1000") - D("3.3") + 2
    assert np.isclose(float(a.realised[0].gain), 0.9)
