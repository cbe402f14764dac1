"""Property tests: breaching orders are denied with zero venue calls, others pass; REDUCING
never lets exposure grow; a daily-loss breach halts within the event that causes it."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nautilus.model.orders import make_order
from nautilus.risk.alerts import AlertBook
from nautilus.risk.gate import RiskGate
from nautilus.risk.limits import LimitBook, LimitScope, LimitSet
from nautilus.risk.monitor import RiskMonitor
from nautilus.risk.rules import EquityTracker
from nautilus.risk.state import TradingState, TradingStates

from .conftest import CountingVenue, fill, instruments, make_view, send

INST = instruments()
IDS = ["AAPL.XNAS", "MSFT.XNAS", "XOM.XNYS"]
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

opt_dec = st.one_of(st.none(), st.integers(1, 400).map(D))
opt_notional = st.one_of(st.none(), st.integers(1, 200).map(lambda k: D(k * 1000)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[LimitSet, str, str, int, int | None, int]:
    limits = LimitSet(
        max_order_qty=draw(opt_dec), max_order_notional=draw(opt_notional),
        max_position_qty=draw(opt_dec), max_position_notional=draw(opt_notional),
        max_gross_exposure=draw(opt_notional), max_net_exposure=draw(opt_notional),
        price_collar_bps=draw(st.one_of(st.none(), st.integers(1, 300).map(float))),
        restricted=tuple(draw(st.lists(st.sampled_from(IDS), max_size=1))),
    )
    iid = draw(st.sampled_from(IDS))
    side = draw(st.sampled_from(["buy", "sell"]))
    qty = draw(st.integers(1, 400))
    offset_bps = draw(st.one_of(st.none(), st.integers(-400, 400)))
    held = draw(st.integers(-300, 300))
    return limits, iid, side, qty, offset_bps, held


def breaches(limits: LimitSet, iid: str, side: str, qty: int, px: D, ref: D, held: int,
             limit_px: D | None) -> bool:
    """Independent oracle of the documented semantics (no open orders, one other position)."""
    sign = 1 if side == "buy" else -1
    proj = held + sign * qty
    positions = {"MSFT.XNAS": D(50), iid: D(proj)}  # 50 MSFT held unless iid is MSFT
    prices = {"AAPL.XNAS": D("200.00"), "MSFT.XNAS": D("400.00"), "XOM.XNYS": D("100.00")}
    values = {i: q * prices[i] for i, q in positions.items()}
    gross, net = sum(abs(v) for v in values.values()), sum(values.values())
    checks = [
        iid in limits.restricted,
        limits.max_order_qty is not None and qty > limits.max_order_qty,
        limits.max_order_notional is not None and qty * px > limits.max_order_notional,
        limits.price_collar_bps is not None and limit_px is not None
        and abs(limit_px - ref) * 10_000 > D(repr(limits.price_collar_bps)) * ref,
        limits.max_position_qty is not None and abs(proj) > limits.max_position_qty,
        limits.max_position_notional is not None
        and abs(proj * ref) > limits.max_position_notional,
        limits.max_gross_exposure is not None and gross > limits.max_gross_exposure,
        limits.max_net_exposure is not None and abs(net) > limits.max_net_exposure,
    ]
    return any(checks)


@FAST
@given(scenarios())
def test_breach_denied_without_venue_call_else_approved(
    case: tuple[LimitSet, str, str, int, int | None, int],
) -> None:
    limits, iid, side, qty, offset_bps, held = case
    view = make_view(cash="100000000")
    fill(view, "MSFT.XNAS", "buy", 50, "400.00")
    delta = held - (50 if iid == "MSFT.XNAS" else 0)
    if delta:
        fill(view, iid, "buy" if delta > 0 else "sell", abs(delta), view.prices[iid][0])
    book = LimitBook()
    scope = [LimitScope.ACCOUNT, LimitScope.STRATEGY, LimitScope.INSTRUMENT][qty % 3]
    key = {"account": "ACC-1", "strategy": "STRAT-1", "instrument": iid}[scope.value]
    book.set(scope, key, limits)
    gate = RiskGate(book, TradingStates())
    venue = CountingVenue()
    ref = view.prices[iid][0]
    limit_px = None
    if offset_bps is not None:
        limit_px = (ref * (10_000 + offset_bps) / 10_000).quantize(D("0.01"))
    o = make_order(INST[iid], side, "limit" if limit_px else "market", qty, price=limit_px)
    px = limit_px if limit_px is not None else ref
    expected_denied = breaches(limits, iid, side, qty, px, ref, held, limit_px)
    decision = send(gate, venue, o, view)
    assert decision.approved is not expected_denied, (decision, limits)
    assert len(venue.calls) == (0 if expected_denied else 1)
    if expected_denied:
        assert decision.code != "approved" and decision.message


@FAST
@given(st.integers(-500, 500).filter(bool),
       st.lists(st.tuples(st.sampled_from(["buy", "sell"]), st.integers(1, 600)),
                min_size=1, max_size=12))
def test_reducing_never_grows_exposure(held: int, orders: list[tuple[str, int]]) -> None:
    view = make_view(cash="100000000")
    fill(view, "AAPL.XNAS", "buy" if held > 0 else "sell", abs(held), "200.00")
    states = TradingStates()
    states.set(TradingState.REDUCING)
    gate = RiskGate(LimitBook(), states)
    venue = CountingVenue()
    size = abs(held)
    for side, qty in orders:
        o = make_order(INST["AAPL.XNAS"], side, "market", qty)
        if send(gate, venue, o, view).approved:
            fill(view, "AAPL.XNAS", side, qty, "200.00")
        new = abs(view.book.net_qty("AAPL.XNAS"))
        assert new <= size
        size = new
    assert all(abs(view.book.net_qty(i)) == 0 for i in ("MSFT.XNAS", "XOM.XNYS"))


@FAST
@given(st.integers(1000, 20_000), st.lists(st.integers(-300, 200), min_size=1, max_size=15))
def test_daily_loss_kill_switch_halts_within_one_event(limit: int, moves_cents: list[int]
                                                      ) -> None:
    view = make_view()
    fill(view, "AAPL.XNAS", "buy", 1000, "200.00")
    book = LimitBook()
    book.set(LimitScope.ACCOUNT, "ACC-1", LimitSet(max_daily_loss=D(limit)))
    states = TradingStates()
    monitor = RiskMonitor(book, states, AlertBook(), EquityTracker())
    monitor.evaluate(view)  # day start equity
    px = D("200.00")
    for cents in moves_cents:
        px = max(px + D(cents) / 100, D("1.00"))
        view.set_price("AAPL.XNAS", px)
        snap = monitor.evaluate(view)  # one price event
        loss = (D("200.00") - px) * 1000
        halted = states.effective("ACC-1") is TradingState.HALTED
        if loss >= limit:
            assert halted and snap.utilisation["daily_loss"] >= 1.0
            break
        assert not halted
