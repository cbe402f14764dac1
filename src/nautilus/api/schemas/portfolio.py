"""Portfolio bodies: clients, households, accounts, transactions, securities, optimisation,
rebalancing and goals.

Money, prices and quantities are Decimal in requests and decimal *strings* in responses (JSON
numbers would lose precision); consolidated views and plans' weights and values are floats.
Times are ISO-8601 strings (UTC when no offset) or int ns UTC.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nautilus.portfolio.goals import Goal, RiskLevel
from nautilus.portfolio.model import (
    AccountType,
    ClientKind,
    HouseholdRole,
    LotMethod,
    TxnType,
)
from nautilus.portfolio.optimisers import Constraints
from nautilus.portfolio.rebalance import RebalanceConfig

Amount = Annotated[Decimal, Field(ge=-(10**15), le=10**15, decimal_places=12)]
"""A Decimal money amount, price or quantity: at most 15 integer digits and 12 decimals."""
MAX_TS = 4_102_444_800 * 10**9  # 2100-01-01 in ns


def _constraints() -> Constraints:
    return Constraints.model_validate({})


def _rebalance_config() -> RebalanceConfig:
    return RebalanceConfig.model_validate({})


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


Name = Field(min_length=1, max_length=128)


class ClientIn(_In):
    name: str = Name
    kind: ClientKind = ClientKind.PERSON
    tax_rate_short: Decimal = Field(Decimal("0.37"), ge=0, le=1)
    tax_rate_long: Decimal = Field(Decimal("0.20"), ge=0, le=1)


class ClientOut(BaseModel):
    id: str
    name: str
    kind: str
    tax_rate_short: str
    tax_rate_long: str


class MemberIn(_In):
    client_id: str = Field(min_length=1, max_length=32)
    role: HouseholdRole = HouseholdRole.MEMBER
    generation: int = Field(0, ge=-10, le=10)
    related_to: str | None = Field(None, max_length=32)


class HouseholdIn(_In):
    name: str = Name
    members: list[MemberIn] = Field(default_factory=list, max_length=500)


class HouseholdPatch(_In):
    name: str | None = Field(None, min_length=1, max_length=128)
    members: list[MemberIn] | None = Field(None, max_length=500)


class HouseholdOut(BaseModel):
    id: str
    name: str
    members: list[MemberIn]


class AccountIn(_In):
    client_id: str = Field(min_length=1, max_length=32)
    name: str = Name
    type: AccountType = AccountType.TAXABLE
    base_currency: str = Field("USD", pattern=r"^[A-Za-z]{3}$")
    lot_method: LotMethod = LotMethod.FIFO


class AccountOut(BaseModel):
    id: str
    client_id: str
    name: str
    type: str
    base_currency: str
    portfolio_ids: list[str]


class AssetWeight(_In):
    asset: str = Field(min_length=1, max_length=64)
    weight: float


class ModelPortfolioIn(_In):
    name: str = Name
    weights: list[AssetWeight] = Field(min_length=1, max_length=2000)


class PortfolioOut(BaseModel):
    id: str
    name: str
    kind: str
    account_id: str | None
    lot_method: str
    model_weights: dict[str, float]


class TransactionIn(_In):
    type: TxnType
    ts: Annotated[int, Field(ge=0, le=MAX_TS)] | Annotated[str, Field(max_length=40)] | None = (
        Field(None, description="ISO-8601 or int ns UTC (default: now).")
    )
    instrument_id: str | None = Field(None, min_length=1, max_length=64)
    quantity: Amount = Decimal(0)
    price: Amount = Decimal(0)
    amount: Amount = Decimal(0)
    fee: Amount = Decimal(0)
    ratio: Amount = Decimal(1)
    lot_ids: list[str] = Field(default_factory=list, max_length=1000)
    strategy: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=1000)


class TransactionOut(BaseModel):
    id: str
    ts: int
    type: str
    instrument_id: str | None
    quantity: str
    price: str
    amount: str
    fee: str
    ratio: str
    lot_ids: list[str]
    strategy: str | None
    note: str


class LotOut(BaseModel):
    id: str
    instrument_id: str
    quantity: str
    unit_cost: str
    acquired_ns: int
    strategy: str | None


class HoldingsOut(BaseModel):
    portfolio_id: str
    cash: str
    positions: dict[str, str]
    lots: list[LotOut]
    realised_gain: str
    income: str
    fees: str
    net_contributions: str


class SecurityIn(_In):
    instrument_id: str = Field(min_length=3, max_length=64)
    price: Decimal = Field(ge=0, le=10**12, decimal_places=12)
    lot_size: Decimal = Field(Decimal(1), gt=0, le=10**9, decimal_places=12)
    asset_class: str = Field("equity", max_length=16)
    sector: str = Field("unclassified", max_length=64)
    currency: str = Field("USD", pattern=r"^[A-Za-z]{3}$")


class HoldingLineOut(BaseModel):
    instrument_id: str
    quantity: float
    price: float
    value: float
    cost: float
    unrealised: float
    weight: float
    sector: str
    asset_class: str


class ConsolidatedOut(BaseModel):
    total_value: float
    cash: float
    invested: float
    cost: float
    unrealised: float
    by_client: dict[str, float]
    by_account: dict[str, float]
    by_sector: dict[str, float]
    by_asset_class: dict[str, float]
    holdings: list[HoldingLineOut]


class OptimisationInputsIn(_In):
    """Annualised ``mu`` and ``cov`` over ``assets`` (see the optimiser conventions)."""

    assets: list[str] = Field(min_length=1, max_length=2000)
    mu: list[float]
    cov: list[list[float]]
    returns: list[list[float]] | None = None
    current: list[float] | None = None
    benchmark: list[float] | None = None
    groups: dict[str, dict[str, str]] = Field(default_factory=dict)
    risk_free: float = 0.0

    @model_validator(mode="after")
    def _shapes(self) -> OptimisationInputsIn:
        n = len(self.assets)
        if len(self.mu) != n or len(self.cov) != n or any(len(r) != n for r in self.cov):
            raise ValueError(f"mu must have {n} entries and cov must be {n} x {n}")
        for name, vec in (("current", self.current), ("benchmark", self.benchmark)):
            if vec is not None and len(vec) != n:
                raise ValueError(f"{name} must have {n} entries")
        if self.returns is not None and any(len(r) != n for r in self.returns):
            raise ValueError(f"every returns row must have {n} entries")
        return self


class OptimiseIn(OptimisationInputsIn):
    optimiser: str = Field("min_variance", max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    constraints: Constraints = Field(default_factory=_constraints)


class OptimiseJobIn(_In):
    inputs_id: str = Field(min_length=1, max_length=32)
    optimiser: str = Field("min_variance", max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    constraints: Constraints = Field(default_factory=_constraints)


class InputsStored(BaseModel):
    inputs_id: str


class OptimisationOut(BaseModel):
    optimiser: str
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float | None
    solver: str
    warnings: list[str]


class RebalanceIn(_In):
    """Targets from ``targets``, a ``model_id``, an ``optimiser`` run over ``inputs_id``, or
    (none of these) the portfolio's investment policy."""

    targets: list[AssetWeight] | None = Field(None, max_length=2000)
    model_id: str | None = Field(None, max_length=32)
    optimiser: str | None = Field(None, max_length=64)
    inputs_id: str | None = Field(None, max_length=32)
    params: dict[str, Any] = Field(default_factory=dict)
    constraints: Constraints = Field(default_factory=_constraints)
    config: RebalanceConfig = Field(default_factory=_rebalance_config)


class TradeOut(BaseModel):
    instrument_id: str
    side: Literal["buy", "sell"]
    quantity: str
    price: str
    value: str
    lot_ids: list[str]


class PlanOut(BaseModel):
    id: str
    portfolio_id: str
    ts: int
    trades: list[TradeOut]
    total_value: float
    cash_before: float
    cash_after: float
    weights_before: dict[str, float]
    weights_after: dict[str, float]
    targets: dict[str, float]
    realised_short_term: float
    realised_long_term: float
    turnover: float
    warnings: list[str]


class RebalanceDueOut(BaseModel):
    trigger: str
    due: bool


class GoalIn(Goal):
    pass


class GoalOut(BaseModel):
    id: str
    goal: Goal


class GoalRun(_In):
    """Risk of the plan: given directly, or from the holdings under stored ``inputs_id``."""

    expected_return: float | None = Field(None, ge=-1, le=1)
    volatility: float | None = Field(None, ge=0, le=2)
    inputs_id: str | None = Field(None, max_length=32)
    paths: int = Field(5_000, ge=100, le=20_000)
    seed: int = Field(7, ge=0)
    probability: float | None = Field(None, gt=0, lt=1, description="Requested probability.")
    glide: list[RiskLevel] | None = Field(None, max_length=10)


class GoalRunOut(BaseModel):
    probability: float
    median_wealth: float
    p10_wealth: float
    p90_wealth: float
    paths: int
    seed: int
    expected_return: float
    volatility: float
    required_contribution: float | None = None
    chosen_level: str | None = None
    levels: dict[str, float] | None = None
