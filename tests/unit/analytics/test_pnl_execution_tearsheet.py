"""P&L from lots, execution quality by hand, tearsheet JSON against empyrical / quantstats."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal as D
from html import unescape

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from nautilus.analytics.execution_quality import interval_vwap, order_quality, quality_by
from nautilus.analytics.pnl import pnl_table
from nautilus.analytics.tearsheet import (
    family_office_report,
    monthly_returns,
    performance_report,
    render_html,
)
from nautilus.core.errors import ValidationError
from nautilus.portfolio.consolidation import Holder, consolidate
from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import Security, Transaction, TxnType

DAY = 86_400 * 10**9


def _t(i: str, ts: int, kind: TxnType, inst: str | None = None, **kw: object) -> Transaction:
    conv = {
        k: D(str(v)) if k in ("quantity", "price", "amount", "fee") else v for k, v in kw.items()
    }
    return Transaction(id=i, portfolio_id="p", ts=ts, type=kind, instrument_id=inst, **conv)


@pytest.fixture
def holders() -> list[Holder]:
    a = Ledger()
    for t in (
        _t("d", 0, TxnType.DEPOSIT, amount=10_000),
        _t("b1", 0, TxnType.BUY, "A.X", quantity=10, price=100, strategy="value"),
        _t("b2", 400 * DAY, TxnType.BUY, "A.X", quantity=10, price=120, strategy="mom"),
        _t("s1", 500 * DAY, TxnType.SELL, "A.X", quantity=15, price=130, fee=15),
        _t("b3", 501 * DAY, TxnType.BUY, "B.X", quantity=5, price=50, fee=5),
    ):
        a.apply(t)
    b = Ledger()
    b.apply(_t("d2", 0, TxnType.DEPOSIT, amount=1000))
    b.apply(_t("b4", 1, TxnType.BUY, "B.X", quantity=10, price=40, strategy="value"))
    return [Holder("c1", "acc1", a), Holder("c2", "acc2", b)]


SECS = {
    "A.X": Security(instrument_id="A.X", price=D(140), sector="Tech"),
    "B.X": Security(instrument_id="B.X", price=D(45), sector="Energy"),
}


def test_pnl_realised_unrealised_by_level(holders: list[Holder]) -> None:
    by_inst = pnl_table(holders, SECS, by="instrument")
    # FIFO: 10 @ 100 (long term, held 500 days) and 5 of the 120 lot (short term), net of fee 15
    proceeds = 15 * 130 - 15
    long_gain = proceeds * 10 / 15 - 1000
    short_gain = proceeds * 5 / 15 - 600
    assert by_inst.loc["A.X", "realised_long"] == pytest.approx(long_gain)
    assert by_inst.loc["A.X", "realised_short"] == pytest.approx(short_gain)
    assert by_inst.loc["A.X", "unrealised"] == pytest.approx(5 * 140 - 600)
    assert by_inst.loc["B.X", "unrealised"] == pytest.approx(5 * 45 - 255 + 10 * 45 - 400)
    by_strat = pnl_table(holders, SECS, by="strategy")
    assert by_strat.loc["value", "realised"] == pytest.approx(long_gain)
    assert by_strat.loc["mom", "total"] == pytest.approx(short_gain + 5 * 140 - 600)
    assert by_strat.loc["unassigned", "unrealised"] == pytest.approx(5 * 45 - 255)
    by_hh = pnl_table(holders, SECS, by="household", household_of={"c1": "h", "c2": "h"})
    assert by_hh.loc["h", "total"] == pytest.approx(by_inst["total"].sum())
    by_acc = pnl_table(holders, SECS, by="account")
    assert by_acc.loc["acc2", "unrealised"] == pytest.approx(50.0)
    with pytest.raises(ValidationError, match=r"B\.X"):
        pnl_table(holders, {"A.X": SECS["A.X"]})


def test_consolidated_unrealised_agrees_with_pnl(holders: list[Holder]) -> None:
    view = consolidate(holders, SECS)
    assert view.unrealised == pytest.approx(pnl_table(holders, SECS)["unrealised"].sum())


ORDERS = [
    {
        "order_id": "o1",
        "strategy": "s1",
        "venue": "XNAS",
        "instrument": "A.X",
        "side": "buy",
        "ordered_qty": 100,
        "filled_qty": 100,
        "avg_fill_price": 10.05,
        "arrival_price": 10.0,
        "interval_vwap": 10.02,
        "close_price": 10.3,
        "fees": 1.0,
    },
    {
        "order_id": "o2",
        "strategy": "s1",
        "venue": "XNAS",
        "instrument": "B.X",
        "side": "sell",
        "ordered_qty": 200,
        "filled_qty": 150,
        "avg_fill_price": 19.9,
        "arrival_price": 20.0,
        "interval_vwap": 19.95,
        "close_price": 19.5,
        "fees": 2.0,
    },
    {
        "order_id": "o3",
        "strategy": "s2",
        "venue": "ARCX",
        "instrument": "A.X",
        "side": "buy",
        "ordered_qty": 50,
        "filled_qty": 0,
        "avg_fill_price": 0.0,
        "arrival_price": 10.0,
        "close_price": 10.4,
    },
]


def test_execution_quality_by_hand() -> None:
    q = order_quality(ORDERS).set_index("order_id")
    assert q.loc["o1", "slippage_arrival_bps"] == pytest.approx(50.0)
    assert q.loc["o1", "slippage_vwap_bps"] == pytest.approx(0.03 / 10.02 * 1e4)
    assert q.loc["o2", "slippage_arrival_bps"] == pytest.approx(50.0)  # sold 10 c below
    # o2: execution 150 * 0.1 = 15, opportunity 50 * (20 - 19.5) = 25 (price fell), fees 2
    assert q.loc["o2", "shortfall"] == pytest.approx(15 + 25 + 2)
    assert q.loc["o2", "shortfall_bps"] == pytest.approx(42 / 4000 * 1e4)
    assert q.loc["o3", "shortfall"] == pytest.approx(50 * 0.4)
    assert q.loc["o2", "fill_rate"] == 0.75 and np.isnan(q.loc["o3", "slippage_arrival_bps"])
    g = quality_by(ORDERS)
    s1 = g.loc[("s1", "XNAS")]
    assert s1["fill_rate"] == pytest.approx(250 / 300)
    assert s1["shortfall"] == pytest.approx(5 + 1 + 42)
    assert s1["shortfall_bps"] == pytest.approx(48 / (1000 + 4000) * 1e4)
    # notional-weighted: (50 bps * 1000 + 50 bps * 3000) / 4000
    assert s1["slippage_arrival_bps"] == pytest.approx(50.0)
    assert interval_vwap([10, 11], [1, 3]) == pytest.approx(10.75)
    with pytest.raises(ValidationError, match=r"arrival_price"):
        order_quality([{k: v for k, v in ORDERS[0].items() if k != "arrival_price"}])


@pytest.fixture(scope="module")
def daily() -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(12)
    idx = pd.bdate_range("2022-01-03", periods=400)
    b = pd.Series(rng.normal(0.0003, 0.011, 400), index=idx)
    r = pd.Series(0.9 * b.to_numpy() + rng.normal(0.0001, 0.004, 400), index=idx)
    return r, b


def test_report_numbers_match_references(daily: tuple[pd.Series, pd.Series]) -> None:
    r, b = daily
    rep = performance_report(r, b)
    m = rep["metrics"]
    assert m["sharpe"] == pytest.approx(ep.sharpe_ratio(r), rel=1e-10)
    assert m["max_drawdown"] == pytest.approx(ep.max_drawdown(r), rel=1e-10)
    assert m["beta"] == pytest.approx(ep.beta(r, b), rel=1e-10)
    mret = monthly_returns(r)
    ref = ep.aggregate_returns(r, "monthly")
    assert mret.stack().to_numpy() == pytest.approx(ref.to_numpy(), abs=1e-14)
    assert rep["monthly_returns"]["2022"]["1"] == pytest.approx(float(ref.iloc[0]))
    eq = np.cumprod(1 + r.to_numpy())
    assert rep["series"]["equity"][-1] == pytest.approx(eq[-1], abs=1e-9)
    assert min(rep["series"]["drawdown"]) == pytest.approx(ep.max_drawdown(r), abs=1e-9)
    roll = r.rolling(63)
    assert rep["series"]["rolling_sharpe"][100] == pytest.approx(
        roll.mean().iloc[100] / roll.std().iloc[100] * np.sqrt(252)
    )
    assert rep["series"]["rolling_sharpe"][0] is None


def test_html_embeds_pngs_and_the_json(
    daily: tuple[pd.Series, pd.Series], holders: list[Holder]
) -> None:
    r, b = daily
    ex = pd.DataFrame({"gross": 1.0, "net": 0.8}, index=r.index[::20])
    rep = performance_report(r, b, ex, title="Fund <A>")
    page = render_html(rep)
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(pngs) == 5
    assert all(base64.b64decode(p)[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert "Fund &lt;A&gt;" in page
    data = re.search(r"id='report-data'>(.*?)</script>", page, re.S)
    assert data is not None
    assert json.loads(unescape(data.group(1)))["metrics"]["sharpe"] == rep["metrics"]["sharpe"]
    fam = family_office_report("Smith", consolidate(holders, SECS), {"c1": "Ann", "c2": "Bob"})
    total = fam["consolidated"]["total_value"]
    assert fam["clients"]["Ann"]["weight"] + fam["clients"]["Bob"]["weight"] == pytest.approx(1)
    assert sum(fam["allocation"]["asset_class"].values()) == pytest.approx(total)
    assert "Ann" in render_html(fam, with_charts=False)
