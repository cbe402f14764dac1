"""Risk test fixtures: instruments, an in-memory trading view, a counting venue stand-in and
an OMS-like submit path (gate first, venue only on approval)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from nautilus.execution.pretrade import PreTradeDecision
from nautilus.model.events import OrderFilled, OrderSide, OrderType
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order
from nautilus.risk.gate import RiskGate
from nautilus.risk.view import InMemoryView

NS = 1_000_000_000
T0 = 1_735_000_000 * NS  # a fixed UTC time


class CountingVenue:
    """The venue call surface (submit, modify, cancel) counting every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def submit(self, order: Order, ts: int) -> Order:
        self.calls.append(("submit", order.client_order_id))
        return order

    def modify(self, client_order_id: str, ts: int, **changes: Any) -> None:
        self.calls.append(("modify", client_order_id))

    def cancel(self, client_order_id: str, ts: int) -> None:
        self.calls.append(("cancel", client_order_id))


def send(gate: RiskGate, venue: CountingVenue, order: Order,
         view: InMemoryView) -> PreTradeDecision:
    """What the execution engine does: ask the gate, call the venue only when approved."""
    decision = gate.check_submit(order, view)
    if decision.approved:
        venue.submit(order, view.now_ns())
    return decision


def instruments() -> dict[str, Instrument]:
    return {
        "AAPL.XNAS": Instrument.create("AAPL.XNAS", "equity", "USD", sector="Technology"),
        "MSFT.XNAS": Instrument.create("MSFT.XNAS", "equity", "USD", sector="Technology"),
        "XOM.XNYS": Instrument.create("XOM.XNYS", "equity", "USD", sector="Energy"),
        "ES.XCME": Instrument.create("ES.XCME", "future", "USD", tick_size="0.25",
                                     multiplier="50", min_notional="1000"),
    }


PRICES = {"AAPL.XNAS": "200.00", "MSFT.XNAS": "400.00", "XOM.XNYS": "100.00",
          "ES.XCME": "5000.00"}


def make_view(cash: str = "1000000", account_id: str = "ACC-1",
              strategy_id: str | None = "STRAT-1") -> InMemoryView:
    view = InMemoryView(account_id, strategy_id=strategy_id, cash=cash)
    view.clock_ns = T0
    for inst in instruments().values():
        view.add_instrument(inst)
    for iid, px in PRICES.items():
        view.set_price(iid, px, ts_ns=T0)
    return view


_trade = [0]


def fill(view: InMemoryView, instrument_id: str, side: str, qty: object, px: object) -> None:
    """Apply a fill of ``qty`` at ``px`` to the view (positions and cash)."""
    _trade[0] += 1
    tid = f"T{_trade[0]}"
    view.apply_fill(OrderFilled(
        client_order_id=f"F-{tid}", instrument_id=instrument_id, ts_event=view.clock_ns,
        ts_init=view.clock_ns, venue_order_id="V", trade_id=tid, side=OrderSide(side),
        order_type=OrderType.MARKET, last_qty=Decimal(str(qty)), last_px=Decimal(str(px)),
        currency="USD"))


@pytest.fixture
def view() -> InMemoryView:
    return make_view()


@pytest.fixture
def venue() -> CountingVenue:
    return CountingVenue()
