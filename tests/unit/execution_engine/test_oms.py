"""The OMS: validation and gate before any venue call, idempotency, dedup, bus, stop."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from nautilus.bus.memory import InProcessBus
from nautilus.core.errors import ConflictError
from nautilus.execution.config import SimulatedVenueConfig
from nautilus.execution.oms import Oms, PositionUpdate
from nautilus.execution.pretrade import PreTradeDecision, TradingView
from nautilus.execution.venue import SimulatedVenue
from nautilus.model.account import CashAccount
from nautilus.model.data import Bar
from nautilus.model.events import OrderDenied, OrderFilled, OrderStatus, TimeInForce
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order, bracket, make_order

from .conftest import MINUTE, T0

NOW = T0 + MINUTE


class CountingVenue(SimulatedVenue):
    """The real simulated venue, counting the commands it receives."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.commands = 0

    def submit(self, order: Order, ts: int) -> Order:
        self.commands += 1
        return super().submit(order, ts)

    def cancel(self, client_order_id: str, ts: int) -> None:
        self.commands += 1
        super().cancel(client_order_id, ts)


class NotionalLimit:
    """A gate denying orders above a notional (a stand-in for a risk rule)."""

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit
        self.views: list[TradingView] = []

    def check_submit(self, order: Order, view: TradingView) -> PreTradeDecision:
        self.views.append(view)
        ref = view.reference_price(order.instrument_id)
        px = order.price or (ref[0] if ref else Decimal(0))
        if order.quantity * px > self.limit:
            return PreTradeDecision.deny("max_order_notional", "too big", rule="notional")
        return PreTradeDecision.approve()

    def check_modify(
        self, order: Order, quantity: Decimal | None, price: Decimal | None, view: TradingView
    ) -> PreTradeDecision:
        return PreTradeDecision.approve()


def make_oms(inst: Instrument, **kw: Any) -> tuple[Oms, CountingVenue]:
    account = CashAccount("ACC-1", "USD")
    account.deposit(100_000)
    oms = Oms(account, [inst], clock=lambda: NOW, **kw)
    venue = CountingVenue(SimulatedVenueConfig(seed=1), [inst], oms.on_venue_event)
    oms.venue = venue
    return oms, venue


def bar(inst: Instrument, k: int, px: float = 100.0) -> Bar:
    t = T0 + k * MINUTE
    return Bar(
        instrument_id=inst.id,
        timeframe="1m",
        open=px,
        high=px + 1,
        low=px - 1,
        close=px,
        volume=1e6,
        ts_event=t,
        ts_init=t,
    )


def raw(inst_id: str, qty: Any, price: Any = None, **kw: Any) -> Order:
    """An order built without make_order's checks (what a buggy client could send)."""
    return Order(
        client_order_id=kw.pop("coid", f"C-{id(kw)}"),
        instrument_id=inst_id,
        side=kw.pop("side", "buy"),
        order_type=kw.pop("order_type", "limit"),  # type: ignore[arg-type]
        quantity=qty,
        price=price,
        **kw,
    )


@pytest.mark.parametrize(
    "order,code",
    [
        (lambda i: raw(i.id, Decimal("NaN"), Decimal(100)), "non_finite"),
        (lambda i: raw(i.id, Decimal("Infinity"), Decimal(100)), "non_finite"),
        (lambda i: raw(i.id, Decimal(0), Decimal(100)), "invalid_quantity"),
        (lambda i: raw(i.id, Decimal(-5), Decimal(100)), "invalid_quantity"),
        (lambda i: raw(i.id, Decimal(5), Decimal(-1)), "invalid_price"),
        (lambda i: raw(i.id, Decimal(5), Decimal(0)), "invalid_price"),
        (lambda i: raw(i.id, Decimal(5), Decimal("100.001")), "invalid_increment"),
        (lambda i: raw(i.id, Decimal("1.5"), Decimal(100)), "invalid_increment"),
        (lambda i: raw("NOPE.SIM", Decimal(5), Decimal(100)), "unknown_instrument"),
        (
            lambda i: raw(
                i.id,
                Decimal(5),
                Decimal(100),
                time_in_force=TimeInForce.GTD,
                expire_time_ns=NOW - 1,
            ),
            "expired_gtd",
        ),
    ],
)
def test_bad_orders_are_denied_without_a_venue_call(
    inst: Instrument, order: Any, code: str
) -> None:
    oms, venue = make_oms(inst)
    o = oms.submit(order(inst))
    assert o.status is OrderStatus.DENIED
    assert isinstance(o.events[-1], OrderDenied) and o.events[-1].reason == code
    assert venue.commands == 0 and oms.venue_calls == 0


def test_gate_denial_idempotency_and_fill_dedup(inst: Instrument) -> None:
    gate = NotionalLimit(Decimal(50_000))
    bus = InProcessBus()
    seen: list[tuple[str, Any]] = []
    bus.subscribe("orders.ACC-1", lambda t, m: seen.append((t, m)))
    bus.subscribe("fills.ACC-1", lambda t, m: seen.append((t, m)))
    bus.subscribe("positions.ACC-1", lambda t, m: seen.append((t, m)))
    oms, venue = make_oms(inst, gate=gate, bus=bus)
    big = oms.submit(make_order(inst, "buy", "limit", 1_000, price="100", client_order_id="B"))
    assert big.status is OrderStatus.DENIED and big.events[-1].reason == "max_order_notional"
    assert venue.commands == 0 and gate.views[0] is oms
    o = oms.submit(make_order(inst, "buy", "market", 10, client_order_id="M"))
    again = oms.submit(make_order(inst, "buy", "market", 99, client_order_id="M"))
    assert again is o and venue.commands == 1
    venue.process_bar(bar(inst, 2))
    assert o.status is OrderStatus.FILLED and oms.net_qty(inst.id) == 10
    fill = next(e for e in o.events if isinstance(e, OrderFilled))
    oms.on_venue_event(fill)  # the venue resends the same execution
    assert oms.net_qty(inst.id) == 10
    assert oms.cash() == Decimal(100_000) - 10 * fill.last_px
    topics = [t for t, _ in seen]
    assert topics.count("fills.ACC-1") == 1 and topics.count("positions.ACC-1") == 1
    assert "orders.ACC-1" in topics
    pos = next(m for t, m in seen if t == "positions.ACC-1")
    assert isinstance(pos, PositionUpdate) and pos.signed_qty == 10


def test_stop_means_stop(inst: Instrument) -> None:
    oms, venue = make_oms(inst)
    working = oms.submit(make_order(inst, "buy", "limit", 1, price="50"))
    venue.process_bar(bar(inst, 2))
    assert working.status is OrderStatus.ACCEPTED
    oms.stop()
    assert venue.commands == 2  # the working order was canceled on the way out
    venue.process_bar(bar(inst, 3))
    assert working.status is OrderStatus.CANCELED
    late = oms.submit(make_order(inst, "buy", "market", 1))
    lst = oms.submit_list(bracket(inst, "buy", 1, take_profit="120", stop_loss="80"))
    assert late.status is OrderStatus.DENIED and late.events[-1].reason == "stopped"
    assert all(o.status is OrderStatus.DENIED for o in lst)
    assert venue.commands == 2
    with pytest.raises(ConflictError):
        oms.modify(late.client_order_id, price="1")


def test_bracket_is_gated_atomically(inst: Instrument) -> None:
    oms, venue = make_oms(inst, gate=NotionalLimit(Decimal(500)))
    lst = oms.submit_list(
        bracket(inst, "buy", 10, take_profit="120", stop_loss="80", entry_price="100")
    )
    assert [o.status for o in lst] == [OrderStatus.DENIED] * 3 and venue.commands == 0
