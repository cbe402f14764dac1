"""Each pre-trade rule denies with its stable code, with zero venue calls, and passes inside."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest

from nautilus.bus.memory import InProcessBus
from nautilus.model.account import MarginAccount
from nautilus.model.events import OrderAccepted, OrderSubmitted
from nautilus.model.orders import Order, make_order
from nautilus.risk.gate import DENIALS_TOPIC, RiskGate
from nautilus.risk.limits import LimitBook, LimitScope, LimitSet
from nautilus.risk.rules.exposure import CovarianceModel
from nautilus.risk.state import KILL_TOPIC, TradingState, TradingStates
from nautilus.risk.var import parametric_var
from nautilus.risk.view import InMemoryView

from .conftest import NS, T0, CountingVenue, fill, instruments, make_view, send

INST = instruments()


def order(iid: str, side: str, qty: object, price: object | None = None,
          **kw: object) -> Order:
    kind = "limit" if price is not None else "market"
    return make_order(INST[iid], side, kind, qty, price=price, **kw)  # type: ignore[arg-type]


def working(view: InMemoryView, o: Order) -> Order:
    o.apply(OrderSubmitted(client_order_id=o.client_order_id, instrument_id=o.instrument_id,
                           ts_event=T0, ts_init=T0))
    o.apply(OrderAccepted(client_order_id=o.client_order_id, instrument_id=o.instrument_id,
                          ts_event=T0, ts_init=T0, venue_order_id="V-" + o.client_order_id))
    view.orders[o.client_order_id] = o
    return o


def gate_with(limits: LimitSet, scope: LimitScope = LimitScope.ACCOUNT,
              key: str = "ACC-1") -> RiskGate:
    book = LimitBook()
    book.set(scope, key, limits)
    return RiskGate(book, TradingStates())


CASES = [
    (LimitSet(max_order_qty=D(10)), order("AAPL.XNAS", "buy", 11), "max_order_qty",
     order("AAPL.XNAS", "buy", 10)),
    (LimitSet(max_order_notional=D(2000)), order("AAPL.XNAS", "buy", 11), "max_order_notional",
     order("AAPL.XNAS", "buy", 10)),
    (LimitSet(price_collar_bps=50), order("AAPL.XNAS", "buy", 1, "201.01"), "price_collar",
     order("AAPL.XNAS", "buy", 1, "201.00")),
    (LimitSet(restricted=("XOM.XNYS",)), order("XOM.XNYS", "buy", 1), "restricted_instrument",
     order("AAPL.XNAS", "buy", 1)),
    (LimitSet(max_position_qty=D(5)), order("AAPL.XNAS", "sell", 6), "max_position_qty",
     order("AAPL.XNAS", "sell", 5)),
    (LimitSet(max_position_notional=D(1000)), order("AAPL.XNAS", "buy", 6),
     "max_position_notional", order("AAPL.XNAS", "buy", 5)),
    (LimitSet(max_gross_exposure=D(100_000)), order("MSFT.XNAS", "sell", 251),
     "max_gross_exposure", order("MSFT.XNAS", "sell", 250)),
    (LimitSet(max_net_exposure=D(50_000)), order("XOM.XNYS", "sell", 501), "max_net_exposure",
     order("XOM.XNYS", "sell", 500)),
    (LimitSet(max_leverage=0.5), order("AAPL.XNAS", "buy", 2501), "max_leverage",
     order("AAPL.XNAS", "buy", 2500)),
    (LimitSet(max_concentration_pct=10), order("AAPL.XNAS", "buy", 501), "max_concentration",
     order("AAPL.XNAS", "buy", 500)),
    (LimitSet(check_free_balance=True), order("MSFT.XNAS", "buy", 2501),
     "insufficient_free_balance", order("MSFT.XNAS", "buy", 2500)),
]


@pytest.mark.parametrize(("limits", "bad", "code", "good"), CASES,
                         ids=[c[2] for c in CASES])
def test_each_limit_denies_with_its_code_and_no_venue_call(
    limits: LimitSet, bad: Order, code: str, good: Order, view: InMemoryView,
    venue: CountingVenue,
) -> None:
    gate = gate_with(limits)
    decision = send(gate, venue, bad, view)
    assert not decision.approved and decision.code == code
    assert decision.message and decision.rule
    assert venue.calls == []
    assert gate.pending[-1].code == code and gate.pending[-1].client_order_id == bad.client_order_id
    ok = send(gate, venue, good, view)
    assert ok.approved, ok
    assert venue.calls == [("submit", good.client_order_id)]


def test_sector_concentration_counts_the_sector(view: InMemoryView) -> None:
    fill(view, "MSFT.XNAS", "buy", 250, "400.00")  # 100k Technology, equity 1M
    gate = gate_with(LimitSet(max_sector_concentration_pct=15))
    assert gate.check_submit(order("AAPL.XNAS", "buy", 250), view).approved  # 150k = 15 %
    d = gate.check_submit(order("AAPL.XNAS", "buy", 251), view)
    assert d.code == "max_sector_concentration"
    assert gate.check_submit(order("XOM.XNYS", "buy", 1000), view).approved  # Energy 10 %


def test_strictest_scope_wins_and_cache_follows_changes(view: InMemoryView) -> None:
    book = LimitBook()
    book.set(LimitScope.ACCOUNT, "ACC-1", LimitSet(max_order_qty=D(100), restricted=("A.X",)))
    book.set(LimitScope.STRATEGY, "STRAT-1", LimitSet(max_order_qty=D(50)))
    book.set(LimitScope.INSTRUMENT, "AAPL.XNAS", LimitSet(max_order_qty=D(20),
                                                          restricted=("B.X",)))
    book.assign_portfolio("ACC-1", "PF")
    book.set(LimitScope.PORTFOLIO, "PF", LimitSet(max_order_qty=D(30)))
    gate = RiskGate(book, TradingStates())
    eff = book.resolve("ACC-1", "STRAT-1", "AAPL.XNAS")
    assert eff.max_order_qty == D(20) and eff.restricted == {"A.X", "B.X"}
    assert book.resolve("ACC-1", "STRAT-1", "MSFT.XNAS").max_order_qty == D(30)
    assert gate.check_submit(order("AAPL.XNAS", "buy", 21), view).code == "max_order_qty"
    assert gate.check_submit(order("MSFT.XNAS", "buy", 30), view).approved
    book.set(LimitScope.PORTFOLIO, "PF", LimitSet(max_order_qty=D(25)))
    assert gate.check_submit(order("MSFT.XNAS", "buy", 30), view).code == "max_order_qty"
    assert eff.max_submit_rate == 100.0  # the NautilusTrader default


def test_fail_closed_on_missing_stale_or_non_finite_price(view: InMemoryView,
                                                         venue: CountingVenue) -> None:
    gate = gate_with(LimitSet())
    view.prices.pop("XOM.XNYS")
    assert send(gate, venue, order("XOM.XNYS", "buy", 1), view).code == "no_reference_price"
    view.set_price("XOM.XNYS", "100.00", ts_ns=T0 - 61 * NS)
    assert send(gate, venue, order("XOM.XNYS", "buy", 1), view).code == "stale_reference_price"
    for bad in ("NaN", "Infinity", "0"):
        view.prices["XOM.XNYS"] = (D(bad), T0)
        d = send(gate, venue, order("XOM.XNYS", "buy", 1), view)
        assert d.code == "invalid_reference_price"
    view.set_price("XOM.XNYS", "100.00", ts_ns=T0 - 59 * NS)
    assert send(gate, venue, order("XOM.XNYS", "buy", 1), view).approved
    assert len(venue.calls) == 1


def test_unknown_instrument_and_instrument_specs(view: InMemoryView) -> None:
    gate = gate_with(LimitSet())
    o = order("ES.XCME", "buy", 1, "5000.00")
    view.instruments.pop("ES.XCME")
    assert gate.check_submit(o, view).code == "unknown_instrument"
    view.add_instrument(INST["ES.XCME"])
    o.price = D("5000.10")  # off the 0.25 tick grid
    assert gate.check_submit(o, view).code == "invalid_price"
    o.price = D("5000.25")
    o.quantity = D("0.5")
    assert gate.check_submit(o, view).code == "invalid_quantity"
    view.set_price("XOM.XNYS", "0.50", ts_ns=T0)
    small = Order(client_order_id="S", instrument_id="XOM.XNYS", side=order(
        "XOM.XNYS", "buy", 1).side, order_type=o.order_type, quantity=D(1), price=D("0.50"))
    assert gate.check_submit(small, view).approved
    view.instruments["XOM.XNYS"] = INST["ES.XCME"].__class__.create(
        "XOM.XNYS", "equity", "USD", min_notional="1")
    assert gate.check_submit(small, view).code == "below_min_notional"


def test_open_orders_count_toward_position_and_balance(view: InMemoryView) -> None:
    gate = gate_with(LimitSet(max_position_qty=D(100), check_free_balance=True))
    working(view, order("AAPL.XNAS", "buy", 80, "200.00"))
    assert gate.check_submit(order("AAPL.XNAS", "buy", 21), view).code == "max_position_qty"
    assert gate.check_submit(order("AAPL.XNAS", "buy", 20), view).approved
    working(view, order("MSFT.XNAS", "buy", 2400, "400.00"))  # 16k + 960k reserved of 1M
    gate = gate_with(LimitSet(check_free_balance=True))
    d = gate.check_submit(order("XOM.XNYS", "buy", 250, "100.00"), view)
    assert d.code == "insufficient_free_balance"
    assert gate.check_submit(order("XOM.XNYS", "buy", 240, "100.00"), view).approved


def test_margin_account_balance_uses_initial_margin() -> None:
    acct = MarginAccount("ACC-1", "USD", leverage=4)
    acct.deposit("10000")
    view = make_view()
    view._account = acct
    gate = gate_with(LimitSet(check_free_balance=True))
    assert gate.check_submit(order("AAPL.XNAS", "buy", 200), view).approved  # 40k / 4
    assert gate.check_submit(order("AAPL.XNAS", "sell", 201), view).code == (
        "insufficient_free_balance")


def test_rate_limit_token_bucket_on_view_clock(view: InMemoryView) -> None:
    gate = gate_with(LimitSet(max_submit_rate=5, max_modify_rate=2))
    o = order("AAPL.XNAS", "buy", 1)
    results = [gate.check_submit(o, view).code for _ in range(7)]
    assert results == ["approved"] * 5 + ["submit_rate"] * 2
    view.clock_ns += NS // 5  # one token back
    assert gate.check_submit(o, view).approved
    assert gate.check_submit(o, view).code == "submit_rate"
    w = working(view, order("AAPL.XNAS", "buy", 1, "200.00"))
    codes = [gate.check_modify(w, D(2), None, view).code for _ in range(3)]
    assert codes == ["approved", "approved", "modify_rate"]


def test_modify_is_checked_on_the_new_quantity_and_price(view: InMemoryView) -> None:
    gate = gate_with(LimitSet(max_order_qty=D(10), price_collar_bps=100))
    w = working(view, order("AAPL.XNAS", "buy", 5, "200.00"))
    assert gate.check_modify(w, D(10), None, view).approved
    assert gate.check_modify(w, D(11), None, view).code == "max_order_qty"
    assert gate.check_modify(w, None, D("203.00"), view).code == "price_collar"
    assert gate.pending[-1].kind == "modify"


def test_var_limit_matches_parametric_var_and_fails_closed(view: InMemoryView) -> None:
    cov = np.array([[4e-4, 1e-4], [1e-4, 9e-4]])
    gate = gate_with(LimitSet(max_var=D(10000)))
    assert gate.check_submit(order("AAPL.XNAS", "buy", 1), view).code == "var_unavailable"
    model = CovarianceModel(["AAPL.XNAS", "MSFT.XNAS"], cov, confidence=0.99)
    gate.set_covariance(model)
    fill(view, "MSFT.XNAS", "buy", 200, "400.00")
    # find the largest AAPL buy under the limit with the reference VaR implementation
    def ref(q: int) -> float:
        return parametric_var([q * 200.0, 80_000.0], cov, confidence=0.99).var
    q = max(k for k in range(0, 2000, 10) if ref(k) <= 10000)
    assert gate.check_submit(order("AAPL.XNAS", "buy", q), view).approved
    assert ref(q + 10) > 10000
    assert gate.check_submit(order("AAPL.XNAS", "buy", q + 10), view).code == "max_var"
    assert gate.check_submit(order("XOM.XNYS", "buy", 1), view).code == "var_unknown_instrument"


def test_states_halted_and_reducing(view: InMemoryView, venue: CountingVenue) -> None:
    states = TradingStates()
    gate = RiskGate(LimitBook(), states)
    fill(view, "AAPL.XNAS", "buy", 10, "200.00")
    states.set(TradingState.HALTED)
    assert send(gate, venue, order("AAPL.XNAS", "sell", 1), view).code == "trading_halted"
    states.set(TradingState.ACTIVE)
    states.set(TradingState.REDUCING, account_id="ACC-1")
    assert send(gate, venue, order("AAPL.XNAS", "buy", 1), view).code == "trading_reducing"
    assert send(gate, venue, order("AAPL.XNAS", "sell", 11), view).code == "trading_reducing"
    assert send(gate, venue, order("MSFT.XNAS", "sell", 1), view).code == "trading_reducing"
    assert send(gate, venue, order("AAPL.XNAS", "sell", 10), view).approved
    working(view, order("AAPL.XNAS", "sell", 6, "200.00"))
    assert send(gate, venue, order("AAPL.XNAS", "sell", 5), view).code == "trading_reducing"
    assert len(venue.calls) == 1


def test_daily_loss_and_drawdown_kill_and_publish(view: InMemoryView) -> None:
    bus = InProcessBus()
    seen: list[tuple[str, object]] = []
    bus.subscribe("risk.>", lambda t, m: seen.append((t, m)))
    states = TradingStates(bus)
    book = LimitBook()
    book.set(LimitScope.ACCOUNT, "ACC-1", LimitSet(max_daily_loss=D(5000)))
    gate = RiskGate(book, states, bus=bus)
    fill(view, "AAPL.XNAS", "buy", 1000, "200.00")
    assert gate.check_submit(order("AAPL.XNAS", "buy", 1), view).approved  # day start
    view.set_price("AAPL.XNAS", "195.00")  # -5,000
    d = gate.check_submit(order("AAPL.XNAS", "sell", 1), view)
    assert d.code == "max_daily_loss"
    assert states.effective("ACC-1") is TradingState.HALTED
    kills = [m for t, m in seen if t == KILL_TOPIC]
    assert len(kills) == 1 and kills[0].cancel_orders and kills[0].account_id == "ACC-1"
    assert [t for t, _ in seen].count(DENIALS_TOPIC) == 1
    book.set(LimitScope.ACCOUNT, "ACC-1", LimitSet(max_drawdown_pct=1))
    states.set(TradingState.ACTIVE, account_id="ACC-1")
    view.set_price("AAPL.XNAS", "215.00")  # new peak
    assert gate.check_submit(order("AAPL.XNAS", "sell", 1), view).approved
    view.set_price("AAPL.XNAS", "204.00")  # 11k of 1.015M = 1.08 %
    assert gate.check_submit(order("AAPL.XNAS", "sell", 1), view).code == "max_drawdown"
