"""The pre-trade hook between strategies and venues.

Every order command passes a :class:`PreTradeGate` before the execution engine persists it
and sends it on (``strategy → risk → execution → venue``). The risk engine implements the gate;
the execution side (backtest, paper, live OMS) implements :class:`TradingView`, the read-only
state the gate decides on. A denial makes no venue call and becomes an ``OrderDenied`` event
with the decision's reason code.

Prices in the view are the reference prices the gate must use (last trade or mid, ns UTC
timestamp alongside so staleness can be judged); quantities and money are Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

import msgspec

from nautilus.model.account import Account
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order
from nautilus.model.position import Position


class PreTradeDecision(msgspec.Struct, frozen=True, kw_only=True):
    """``approved`` or a denial with a stable ``code`` (e.g. ``max_order_notional``)."""

    approved: bool
    code: str = "approved"
    message: str = ""
    rule: str | None = None

    @classmethod
    def approve(cls) -> PreTradeDecision:
        return _APPROVED

    @classmethod
    def deny(cls, code: str, message: str, rule: str | None = None) -> PreTradeDecision:
        return cls(approved=False, code=code, message=message, rule=rule)


_APPROVED = PreTradeDecision(approved=True)


@runtime_checkable
class TradingView(Protocol):
    """Read-only trading state of one account, as the execution side knows it now."""

    account_id: str
    strategy_id: str | None

    def now_ns(self) -> int:
        """Current time of the clock in use (replayed in backtests, wall in paper/live)."""
        ...

    def instrument(self, instrument_id: str) -> Instrument | None: ...

    def reference_price(self, instrument_id: str) -> tuple[Decimal, int] | None:
        """(price, ts_ns) of the latest reference price, or None if none is known."""
        ...

    def account(self) -> Account: ...

    def positions(self) -> list[Position]:
        """Open positions of the account (None-safe: an empty list means flat)."""
        ...

    def open_orders(self) -> list[Order]: ...


@runtime_checkable
class PreTradeGate(Protocol):
    """Decides on order commands; implementations must not call a venue."""

    def check_submit(self, order: Order, view: TradingView) -> PreTradeDecision: ...

    def check_modify(
        self, order: Order, quantity: Decimal | None, price: Decimal | None, view: TradingView
    ) -> PreTradeDecision: ...


class ApproveAll:
    """The gate used when no risk engine runs (research backtests); approves everything."""

    def check_submit(self, order: Order, view: TradingView) -> PreTradeDecision:
        return PreTradeDecision.approve()

    def check_modify(
        self, order: Order, quantity: Decimal | None, price: Decimal | None, view: TradingView
    ) -> PreTradeDecision:
        return PreTradeDecision.approve()
