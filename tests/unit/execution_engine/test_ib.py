"""IbVenue against a scripted stand-in of the ib-async ``IB`` client.

The stand-in has the ``IB`` methods and events the venue uses (same names and signatures) and
returns real ib-async value objects (Trade, OrderStatus, Fill, Execution, Position); the test
script decides what IB answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from eventkit import Event
from ib_async import CommissionReport, Contract, Execution, Fill, OrderStatus, Position, Trade

from nautilus.execution.ib import IbVenue
from nautilus.execution.oms import Oms, ReconciliationError
from nautilus.model.account import CashAccount
from nautilus.model.events import OrderStatus as Status
from nautilus.model.instrument import Instrument
from nautilus.model.orders import make_order


class ScriptedIB:
    """Scripted ``IB``: records calls; the test drives status and execution events."""

    def __init__(self) -> None:
        self.orderStatusEvent = Event("orderStatusEvent")
        self.execDetailsEvent = Event("execDetailsEvent")
        self.trades: list[Trade] = []
        self.executions: list[Fill] = []
        self.held: list[Position] | None = []
        self.calls: list[str] = []
        self._next_id = 100

    def placeOrder(self, contract: Contract, order: Any) -> Trade:
        self.calls.append(f"placeOrder {order.orderRef} {order.action} {order.totalQuantity}")
        if not order.orderId:
            self._next_id += 1
            order.orderId = self._next_id
            order.permId = 9000 + self._next_id
            trade = Trade(
                contract=contract,
                order=order,
                orderStatus=OrderStatus(orderId=order.orderId, status="PendingSubmit"),
            )
            self.trades.append(trade)
            return trade
        return next(t for t in self.trades if t.order.orderId == order.orderId)

    def cancelOrder(self, order: Any) -> Trade:
        self.calls.append(f"cancelOrder {order.orderRef}")
        return next(t for t in self.trades if t.order.orderId == order.orderId)

    def openTrades(self) -> list[Trade]:
        return [t for t in self.trades if t.orderStatus.status not in OrderStatus.DoneStates]

    def fills(self) -> list[Fill]:
        return list(self.executions)

    def reqPositions(self) -> list[Position]:
        if self.held is None:
            raise TimeoutError("positions request timed out")
        return list(self.held)

    # -- script --------------------------------------------------------------------------

    def status(self, trade: Trade, status: str) -> None:
        trade.orderStatus.status = status
        trade.orderStatus.permId = trade.order.permId
        self.orderStatusEvent.emit(trade)

    def execute(self, trade: Trade, qty: float, px: float, exec_id: str) -> Fill:
        ex = Execution(
            execId=exec_id,
            time=datetime(2024, 1, 2, 15, 0, tzinfo=UTC),
            shares=qty,
            price=px,
            orderId=trade.order.orderId,
            permId=trade.order.permId,
            orderRef=trade.order.orderRef,
            side="BOT" if trade.order.action == "BUY" else "SLD",
        )
        fill = Fill(
            contract=trade.contract,
            execution=ex,
            commissionReport=CommissionReport(execId=exec_id, commission=1.0),
            time=ex.time,
        )
        trade.fills.append(fill)
        trade.orderStatus.filled += qty
        self.executions.append(fill)
        self.execDetailsEvent.emit(trade, fill)
        return fill


@pytest.fixture
def aapl() -> Instrument:
    return Instrument.create("AAPL.XNAS", "equity", "USD")


def connect(ib: ScriptedIB, inst: Instrument) -> tuple[Oms, IbVenue]:
    account = CashAccount("IB-1", "USD")
    account.deposit(100_000)
    oms = Oms(account, [inst], clock=lambda: 1_704_207_600_000_000_000)
    venue = IbVenue(ib, [inst], oms.on_venue_event, account="DU123", clock=oms.clock)
    oms.venue = venue
    return oms, venue


def test_order_lifecycle_and_duplicate_executions(aapl: Instrument) -> None:
    ib = ScriptedIB()
    oms, _venue = connect(ib, aapl)
    order = oms.submit(make_order(aapl, "buy", "limit", 10, price="187.25", client_order_id="C-1"))
    assert ib.calls == ["placeOrder C-1 BUY 10.0"] and order.status is Status.SUBMITTED
    trade = ib.trades[0]
    ib.status(trade, "Submitted")
    assert order.status is Status.ACCEPTED and order.venue_order_id == "9101"
    fill = ib.execute(trade, 4, 187.25, "0001.01")
    ib.execDetailsEvent.emit(trade, fill)  # IB resends an execution
    assert order.filled_qty == 4 and oms.net_qty(aapl.id) == 4
    assert oms.cash() == Decimal(100_000) - Decimal("749.00") - Decimal(1)
    oms.modify("C-1", price="187.10")
    assert order.price == Decimal("187.10") and ib.trades[0].order.lmtPrice == 187.1
    oms.cancel("C-1")
    ib.status(trade, "Cancelled")
    assert order.status is Status.CANCELED
    bad = oms.submit(
        make_order(
            aapl,
            "buy",
            "limit",
            10,
            price="1.00",
            client_order_id="C-2",
            time_in_force="gtd",
            expire_time_ns=1,
            ts_init=0,
        )
    )
    assert bad.status is Status.DENIED and len(ib.trades) == 1


def test_restart_reconciles_missed_fills_and_fails_closed(aapl: Instrument) -> None:
    ib = ScriptedIB()
    oms, _venue = connect(ib, aapl)
    oms.submit(make_order(aapl, "buy", "market", 10, client_order_id="C-9"))
    trade = ib.trades[0]
    ib.status(trade, "Submitted")
    stored_orders = [(o.clone_initial(), "s") for o in oms.orders]
    stored_events = [e for o in oms.orders for e in o.events]
    # the process dies; IB fills the order while we are down
    ib.orderStatusEvent.clear()
    ib.execDetailsEvent.clear()
    ib.execute(trade, 10, 190.0, "0002.01")
    ib.status(trade, "Filled")
    ib.held = [Position(account="DU123", contract=trade.contract, position=10.0, avgCost=190.0)]

    oms2, venue2 = connect(ib, aapl)
    oms2.restore(stored_orders, stored_events)
    venue2.adopt(o for o, _ in stored_orders)
    summary = oms2.reconcile(venue2.report())
    assert summary["fills_applied"] == 1
    assert oms2.net_qty(aapl.id) == 10
    assert oms2.orders.get("C-9").status is Status.FILLED  # type: ignore[union-attr]

    ib.held = None  # the positions request fails: not flat, refuse to start
    oms3, venue3 = connect(ib, aapl)
    oms3.restore(stored_orders, stored_events)
    with pytest.raises(ReconciliationError) as err:
        oms3.reconcile(venue3.report())
    assert err.value.code == "position_report_missing"

    ib.held = [Position(account="DU123", contract=trade.contract, position=25.0, avgCost=1.0)]
    with pytest.raises(ReconciliationError) as err:
        oms2.reconcile(venue2.report())
    assert err.value.code == "position_mismatch" and "stored 10 vs venue 25" in err.value.detail
