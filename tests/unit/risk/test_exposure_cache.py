"""The gate's incremental exposure cache equals a from-scratch recomputation.

After random sequences of fills, price moves, open orders (new, partly filled, modified,
cancelled) and deposits on a cash or margin account, the cached :class:`ExposureState` and
:class:`OrdersState` equal :class:`Snapshot` and the rules' own loops, and a gate running on
the cache decides every probe order exactly like a gate that recomputes everything
(``exposures = None``). Mutations made behind the gate's back are picked up.
"""

from __future__ import annotations

from decimal import Decimal as D
from itertools import count

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nautilus.model.account import MarginAccount
from nautilus.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderSide,
    OrderSubmitted,
    OrderType,
    OrderUpdated,
)
from nautilus.model.orders import Order, make_order
from nautilus.risk.exposure_cache import ExposureCache
from nautilus.risk.gate import RiskGate
from nautilus.risk.limits import LimitBook, LimitScope, LimitSet
from nautilus.risk.rules import EquityTracker, Snapshot
from nautilus.risk.rules.exposure import CovarianceModel
from nautilus.risk.state import TradingStates
from nautilus.risk.view import InMemoryView

from .conftest import T0, fill, instruments, make_view

INST = instruments()
IDS = list(INST)
_ids = count()

iids = st.sampled_from(IDS)
sides = st.sampled_from(["buy", "sell"])
OPS = st.one_of(
    st.tuples(st.just("fill"), iids, sides, st.integers(1, 300), st.integers(-500, 500)),
    st.tuples(st.just("price"), iids, st.integers(-2000, 2000)),
    st.tuples(st.just("retick"), iids),
    st.tuples(st.just("noprice"), iids),
    st.tuples(st.just("nan"), iids),
    st.tuples(st.just("order"), iids, sides, st.integers(1, 200),
              st.sampled_from(["limit", "market", "stop"])),
    st.tuples(st.just("ofill"), st.integers(0, 7), st.integers(1, 50)),
    st.tuples(st.just("cancel"), st.integers(0, 7)),
    st.tuples(st.just("modify"), st.integers(0, 7), st.integers(1, 250), st.integers(-50, 50)),
    st.tuples(st.just("deposit"), st.integers(1, 100_000)),
)


def _tick(iid: str, px: D) -> D:
    tick = INST[iid].tick_size
    snapped: D = (px / tick).to_integral_value() * tick
    return snapped if snapped > tick else tick


def _px(view: InMemoryView, iid: str) -> D:
    ref = view.prices.get(iid)
    return ref[0] if ref is not None and ref[0].is_finite() else D("100.00")


def _working(view: InMemoryView, iid: str, side: str, qty: int, kind: str) -> None:
    px = _px(view, iid)
    k = next(_ids)
    if kind == "limit":
        o = make_order(INST[iid], side, "limit", qty, price=px, client_order_id=f"O{k}")
    elif kind == "stop":
        o = make_order(INST[iid], side, "stop", qty, trigger_price=px, client_order_id=f"O{k}")
    else:
        o = make_order(INST[iid], side, "market", qty, client_order_id=f"O{k}")
    o.apply(OrderSubmitted(client_order_id=o.client_order_id, instrument_id=iid,
                           ts_event=T0, ts_init=T0))
    o.apply(OrderAccepted(client_order_id=o.client_order_id, instrument_id=iid, ts_event=T0,
                          ts_init=T0, venue_order_id=f"V{k}"))
    view.orders[o.client_order_id] = o


def _open(view: InMemoryView, k: int) -> Order | None:
    orders = view.open_orders()
    return orders[k % len(orders)] if orders else None


def apply(view: InMemoryView, op: tuple[object, ...]) -> None:
    kind = op[0]
    if kind == "fill":
        _, iid, side, qty, cents = op
        assert isinstance(iid, str) and isinstance(cents, int)
        fill(view, iid, str(side), qty, _tick(iid, _px(view, iid) + D(cents) / 100))
    elif kind == "price":
        _, iid, cents = op
        assert isinstance(iid, str) and isinstance(cents, int)
        view.set_price(iid, _tick(iid, _px(view, iid) + D(cents) / 100))
    elif kind == "retick":  # the same price object in a new tuple, as a feed re-stamps it
        iid = str(op[1])
        if iid in view.prices:
            view.prices[iid] = (view.prices[iid][0], view.clock_ns)
    elif kind == "noprice":
        view.prices.pop(str(op[1]), None)
    elif kind == "nan":
        view.prices[str(op[1])] = (D("NaN"), view.clock_ns)
    elif kind == "order":
        _, iid, side, qty, otype = op
        assert isinstance(qty, int)
        _working(view, str(iid), str(side), qty, str(otype))
    elif kind == "ofill":
        o = _open(view, int(op[1]))  # type: ignore[call-overload]
        if o is not None:
            q = min(D(int(op[2])), o.leaves_qty)  # type: ignore[call-overload]
            tid = f"OF{next(_ids)}"
            o.apply(OrderFilled(client_order_id=o.client_order_id,
                                instrument_id=o.instrument_id, ts_event=T0, ts_init=T0,
                                venue_order_id="V", trade_id=tid, side=o.side,
                                order_type=o.order_type, last_qty=q,
                                last_px=o.price or _px(view, o.instrument_id), currency="USD"))
    elif kind == "cancel":
        o = _open(view, int(op[1]))  # type: ignore[call-overload]
        if o is not None:
            o.apply(OrderCanceled(client_order_id=o.client_order_id,
                                  instrument_id=o.instrument_id, ts_event=T0, ts_init=T0))
    elif kind == "modify":
        o = _open(view, int(op[1]))  # type: ignore[call-overload]
        if o is not None:
            qty = max(D(int(op[2])), o.filled_qty + 1)  # type: ignore[call-overload]
            price = None
            if o.price is not None:
                price = _tick(o.instrument_id, o.price + D(int(op[3])) / 100)  # type: ignore[call-overload]
            o.apply(OrderUpdated(client_order_id=o.client_order_id,
                                 instrument_id=o.instrument_id, ts_event=T0, ts_init=T0,
                                 quantity=qty, price=price))
    elif kind == "deposit":
        view.account().deposit(D(int(op[1])))  # type: ignore[call-overload]


def assert_matches_scratch(cache: ExposureCache, view: InMemoryView) -> None:
    state = cache.exposure(view)
    ref = Snapshot(view, {})
    assert state.qty == ref.qty
    assert list(state.exposure.items()) == list(ref.exposure.items())
    assert (state.gross, state.net, state.equity) == (ref.gross, ref.net, ref.equity)
    assert state.missing_mark == ref.missing_mark
    for iid in IDS:
        sector = ref.sector_of(view, iid)
        if sector is not None:
            assert (state.sector_gross_excluding(view, iid, sector)
                    == ref.sector_gross_excluding(view, iid, sector))
    orders = cache.orders(view)
    margin = isinstance(view.account(), MarginAccount)
    for iid in IDS:
        for side in ("buy", "sell"):
            probe = make_order(INST[iid], side, "market", 1, client_order_id="PROBE")
            expected = sum((o.leaves_qty for o in view.open_orders()
                            if o.instrument_id == iid and o.side is probe.side), D(0))
            assert orders.leaves(probe) == expected
    reserved, priced = orders.reserved("USD", margin)
    scratch = D(0)
    all_priced = True
    for o in view.open_orders():
        if not margin and not o.is_buy:
            continue
        px = o.price or o.trigger_price
        if px is None:
            all_priced = False
            continue
        scratch += o.leaves_qty * px * INST[o.instrument_id].multiplier
    assert (reserved, priced) == (scratch, all_priced)


def _gate(limits: LimitSet, cached: bool) -> RiskGate:
    book = LimitBook()
    book.set(LimitScope.ACCOUNT, "ACC-1", limits)
    gate = RiskGate(book, TradingStates(), equity=EquityTracker())
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 4)) * 0.01
    gate.set_covariance(CovarianceModel(IDS, a @ a.T + np.eye(4) * 1e-4))
    if not cached:
        gate.exposures = None
    return gate


LIMITS = LimitSet(
    max_position_qty=D(400), max_position_notional=D(150_000), max_gross_exposure=D(900_000),
    max_net_exposure=D(400_000), max_leverage=2.0, max_concentration_pct=30,
    max_sector_concentration_pct=45, max_var=D(9_000), check_free_balance=True,
    max_daily_loss=D(50_000_000), max_drawdown_pct=99, max_submit_rate=1e9,
    max_modify_rate=1e9)


@settings(max_examples=120, deadline=None)
@given(st.lists(OPS, min_size=1, max_size=40), st.booleans(), st.integers(1, 300))
def test_incremental_exposures_equal_recomputation(ops: list[tuple[object, ...]], margin: bool,
                                                   probe_qty: int) -> None:
    view = make_view(cash="500000")
    if margin:
        view._account = MarginAccount("ACC-1", "USD", leverage=4)
        view._account.deposit("500000")
    cached, scratch = _gate(LIMITS, True), _gate(LIMITS, False)
    assert cached.exposures is not None
    for op in ops:
        apply(view, op)
        assert_matches_scratch(cached.exposures, view)
        for iid in IDS:
            for side in ("buy", "sell"):
                o = make_order(INST[iid], side, "market", probe_qty, client_order_id="P")
                a, b = cached.check_submit(o, view), scratch.check_submit(o, view)
                assert (a.approved, a.code, a.message) == (b.approved, b.code, b.message), op
        working = view.open_orders()
        if working:  # a modify: the order's own leaves are excluded exactly
            w = working[0]
            new_qty = w.filled_qty + probe_qty
            a = cached.check_modify(w, new_qty, None, view)
            b = scratch.check_modify(w, new_qty, None, view)
            assert (a.approved, a.code, a.message) == (b.approved, b.code, b.message)


def test_cache_is_reused_until_an_input_changes_even_behind_its_back() -> None:
    view = make_view(cash="1000000")
    fill(view, "AAPL.XNAS", "buy", 100, "200.00")
    book = LimitBook()
    book.set(LimitScope.ACCOUNT, "ACC-1", LimitSet(max_gross_exposure=D(30_000)))
    gate = RiskGate(book, TradingStates())
    cache = gate.exposures
    assert cache is not None
    o = make_order(INST["MSFT.XNAS"], "buy", "limit", 25, price="400.00")
    assert gate.check_submit(o, view).approved  # 20_000 + 10_000 = limit
    built = cache.rebuilds
    for _ in range(5):
        assert gate.check_submit(o, view).approved
    assert cache.rebuilds == built
    view.prices["AAPL.XNAS"] = (D("200.01"), T0)  # a direct write, no view method
    assert gate.check_submit(o, view).code == "max_gross_exposure"
    view.prices["AAPL.XNAS"] = (D("200.00"), T0)
    assert gate.check_submit(o, view).approved
    view.book.apply_fill(OrderFilled(  # a fill straight into the position book
        client_order_id="X", instrument_id="AAPL.XNAS", ts_event=T0, ts_init=T0,
        venue_order_id="V", trade_id="X1", side=OrderSide.BUY, order_type=OrderType.MARKET,
        last_qty=D(1), last_px=D("200.00"), currency="USD"), INST["AAPL.XNAS"])
    assert gate.check_submit(o, view).code == "max_gross_exposure"


def test_var_fast_path_agrees_at_the_boundary() -> None:
    view = make_view(cash="100000000")
    fill(view, "AAPL.XNAS", "buy", 100, "200.00")
    cov = np.diag([1e-4, 2e-4, 3e-4, 4e-4])
    model = CovarianceModel(IDS, cov)
    w = np.array([20_400.0, 0.0, 0.0, 0.0])  # after buying 2 more AAPL at 200
    var = model.var(w)
    for lim, ok in ((D(repr(var)) * D("1.000000001"), True), (D(repr(var)) * D("0.99999"), False)):
        book = LimitBook()
        book.set(LimitScope.ACCOUNT, "ACC-1", LimitSet(max_var=lim))
        gate = RiskGate(book, TradingStates())
        gate.set_covariance(model)
        d = gate.check_submit(make_order(INST["AAPL.XNAS"], "buy", "market", 2), view)
        assert d.approved is ok, (lim, var, d)
