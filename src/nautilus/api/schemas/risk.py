"""Request and response shapes of the risk router (money as Decimal strings in JSON)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from nautilus.risk.limits import LimitScope, LimitSet


class LimitsOut(BaseModel):
    scope: LimitScope
    key: str
    limits: LimitSet


class PortfolioAssign(BaseModel):
    portfolio_id: str | None = Field(None, max_length=64)


class OrderCheckIn(BaseModel):
    """A what-if order against an attached account (nothing is sent or recorded)."""

    account_id: str = Field(max_length=64)
    instrument_id: str = Field(max_length=64)
    side: Literal["buy", "sell"]
    order_type: Literal["market", "limit", "stop", "stop_limit"] = "market"
    quantity: Decimal = Field(gt=0)
    price: Decimal | None = Field(None, gt=0)
    trigger_price: Decimal | None = Field(None, gt=0)


class DecisionOut(BaseModel):
    approved: bool
    code: str
    message: str
    rule: str | None


class VarIn(BaseModel):
    method: Literal["parametric", "monte_carlo"] = "parametric"
    confidence: float = Field(0.99, gt=0.5, lt=1)
    horizon: int = Field(1, ge=1, le=250)
    scenarios: int = Field(20_000, ge=100, le=20_000_000)
    seed: int = 0


class StressIn(BaseModel):
    scenarios: list[str] | None = None
    betas: dict[str, float] | None = None


class StateIn(BaseModel):
    state: Literal["active", "reducing", "halted"]
    account_id: str | None = Field(None, max_length=64)
    reason: str = Field("", max_length=500)


class KillIn(BaseModel):
    account_id: str | None = Field(None, max_length=64)
    cancel_orders: bool = True
    reason: str = Field("kill switch", max_length=500)


class StatesOut(BaseModel):
    states: dict[str, str]


class AlertOut(BaseModel):
    id: str
    ts_event: int
    account_id: str
    metric: str
    severity: str
    value: float
    limit: float
    utilisation: float
    message: str
    acknowledged_by: str | None


JsonDoc = dict[str, Any]
