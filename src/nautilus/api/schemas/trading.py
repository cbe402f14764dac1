"""Bodies of the trading (paper sessions, orders) and backtest routes.

Quantities, prices and money travel as decimal strings; times as int ns UTC.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nautilus.backtest.event.engine import EventBacktestConfig
from nautilus.execution.engine import OrderRequest, PaperSessionRequest
from nautilus.execution.tables import AccountRow, OrderRow
from nautilus.model.data import Timeframe
from nautilus.model.events import OrderFilled
from nautilus.model.orders import Order
from nautilus.model.position import Position

__all__ = [
    "AccountOut",
    "BacktestAccepted",
    "BacktestOut",
    "BacktestRequest",
    "FillOut",
    "ModifyRequest",
    "OrderOut",
    "OrderRequest",
    "PaperSessionRequest",
    "PositionOut",
]


class AccountOut(BaseModel):
    account_id: str
    owner_id: str | None
    kind: str
    state: str
    currency: str
    starting_cash: str
    strategy: str | None

    @classmethod
    def of(cls, row: AccountRow) -> AccountOut:
        return cls(
            account_id=row.id,
            owner_id=row.owner_id,
            kind=row.kind,
            state=row.state,
            currency=row.currency,
            starting_cash=row.starting_cash,
            strategy=(row.config or {}).get("strategy"),
        )


class OrderOut(BaseModel):
    client_order_id: str
    account_id: str
    instrument_id: str
    side: str
    order_type: str
    quantity: str
    price: str | None
    trigger_price: str | None
    status: str
    filled_qty: str
    reason: str | None = None
    ts_init: int
    ts_last: int

    @classmethod
    def of_row(cls, row: OrderRow) -> OrderOut:
        p = row.params
        return cls(
            client_order_id=row.client_order_id,
            account_id=row.account_id,
            instrument_id=row.instrument_id,
            side=p["side"],
            order_type=p["order_type"],
            quantity=p["quantity"],
            price=p.get("price"),
            trigger_price=p.get("trigger_price"),
            status=row.status,
            filled_qty=row.filled_qty,
            ts_init=row.ts_init,
            ts_last=row.ts_last,
        )

    @classmethod
    def of(cls, order: Order, account_id: str) -> OrderOut:
        reason = next(
            (getattr(e, "reason", None) for e in reversed(order.events) if hasattr(e, "reason")),
            None,
        )
        return cls(
            client_order_id=order.client_order_id,
            account_id=account_id,
            instrument_id=order.instrument_id,
            side=order.side.value,
            order_type=order.order_type.value,
            quantity=str(order.quantity),
            price=None if order.price is None else str(order.price),
            trigger_price=None if order.trigger_price is None else str(order.trigger_price),
            status=order.status.value,
            filled_qty=str(order.filled_qty),
            reason=reason,
            ts_init=order.ts_init,
            ts_last=order.ts_last,
        )


class ModifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: str | None = Field(None, max_length=40)
    price: str | None = Field(None, max_length=40)
    trigger_price: str | None = Field(None, max_length=40)


class FillOut(BaseModel):
    account_id: str
    trade_id: str
    client_order_id: str
    instrument_id: str
    side: str
    last_qty: str
    last_px: str
    commission: str
    ts_event: int

    @classmethod
    def of(cls, account_id: str, f: OrderFilled) -> FillOut:
        return cls(
            account_id=account_id,
            trade_id=f.trade_id,
            client_order_id=f.client_order_id,
            instrument_id=f.instrument_id,
            side=f.side.value,
            last_qty=str(f.last_qty),
            last_px=str(f.last_px),
            commission=str(f.commission),
            ts_event=f.ts_event,
        )


class PositionOut(BaseModel):
    account_id: str
    position_id: str
    instrument_id: str
    signed_qty: str
    avg_px_open: str | None
    realized_pnl: str

    @classmethod
    def of(cls, account_id: str, p: Position) -> PositionOut:
        return cls(
            account_id=account_id,
            position_id=p.position_id,
            instrument_id=p.instrument_id,
            signed_qty=str(p.signed_qty),
            avg_px_open=None if p.avg_px_open is None else str(p.avg_px_open),
            realized_pnl=str(p.realized_pnl),
        )


class BacktestRequest(BaseModel):
    """An event-driven backtest of a registered strategy (ISO dates, UTC, end exclusive)."""

    model_config = ConfigDict(extra="forbid")

    strategy: str = Field("ema_cross", max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    symbols: tuple[str, ...] = Field(("TEC01.XSYN",), min_length=1, max_length=50)
    start: str = Field("2024-01-02", max_length=40)
    end: str = Field("2024-02-01", max_length=40)
    timeframe: Timeframe = Timeframe.M1
    source: str = Field("synthetic", pattern="^(synthetic|store)$")
    data_seed: int = Field(
        7, ge=0, le=2**32 - 1, description="Seed of the replayed synthetic data."
    )
    backtest: EventBacktestConfig = EventBacktestConfig()


class BacktestAccepted(BaseModel):
    job_id: str


class BacktestOut(BaseModel):
    job_id: str
    state: str
    progress: float
    message: str | None
    error: str | None
    result: dict[str, Any] | None
