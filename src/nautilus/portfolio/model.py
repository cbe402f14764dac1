"""The wealth-management domain: clients, households, accounts, portfolios, lots, transactions.

Conventions:

- Money, prices and quantities are ``Decimal`` everywhere in this module and the ledger; a
  quantity is signed only in a ``transfer`` (``+`` into the portfolio, ``-`` out of it). Buys
  and sells carry a positive quantity; the transaction type gives the direction.
- Cash ``amount`` of dividend, interest, fee, deposit and withdrawal is positive; the type gives
  the sign of its effect on cash. A cash ``transfer`` carries a signed amount.
- Times are int ns UTC (``ts``); a lot's ``acquired_ns`` is the trade time of its purchase.
- A household links clients (people and entities: trust, company, foundation) with roles
  (grantor, trustee, beneficiary, parent, child, spouse, member) and a generation number.
- An ``actual`` portfolio is a ledger of transactions in an account; a ``model`` portfolio is a
  set of target weights that actual portfolios can follow.

>>> Lot(id="l1", instrument_id="AAPL.XNAS", quantity=Decimal("10"),
...     unit_cost=Decimal("150"), acquired_ns=0).cost
Decimal('1500')
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import msgspec
from pydantic import Field, model_validator

from nautilus.bus.base import message_type
from nautilus.core.config import FrozenConfig

NS_PER_YEAR_365 = 365 * 24 * 3600 * 1_000_000_000
"""A lot held longer than this (365 days) realises a long-term gain."""


class ClientKind(StrEnum):
    PERSON = "person"
    TRUST = "trust"
    COMPANY = "company"
    FOUNDATION = "foundation"


class HouseholdRole(StrEnum):
    GRANTOR = "grantor"
    TRUSTEE = "trustee"
    BENEFICIARY = "beneficiary"
    PARENT = "parent"
    CHILD = "child"
    SPOUSE = "spouse"
    MEMBER = "member"


class AccountType(StrEnum):
    TAXABLE = "taxable"
    RETIREMENT = "retirement"
    TRUST = "trust"


class PortfolioKind(StrEnum):
    ACTUAL = "actual"
    MODEL = "model"


class LotMethod(StrEnum):
    FIFO = "fifo"
    LIFO = "lifo"
    HIGHEST_COST = "highest_cost"
    SPECIFIC = "specific"


class TxnType(StrEnum):
    BUY = "buy"
    SELL = "sell"
    DIVIDEND = "dividend"
    INTEREST = "interest"
    FEE = "fee"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER = "transfer"
    SPLIT = "split"
    """Corporate action: quantity × ``ratio``, unit cost ÷ ``ratio`` (cost basis unchanged)."""


SECURITY_TYPES = frozenset({TxnType.BUY, TxnType.SELL, TxnType.SPLIT})
CASH_TYPES = frozenset(
    {TxnType.DIVIDEND, TxnType.INTEREST, TxnType.FEE, TxnType.DEPOSIT, TxnType.WITHDRAWAL}
)


class Client(msgspec.Struct, frozen=True, kw_only=True):
    """A person or an entity whose wealth is managed; ``owner_id`` is the advisor (user)."""

    id: str
    owner_id: str
    name: str
    kind: ClientKind = ClientKind.PERSON
    tax_rate_short: Decimal = Decimal("0.37")
    tax_rate_long: Decimal = Decimal("0.20")


class HouseholdMember(msgspec.Struct, frozen=True, kw_only=True):
    """A client's place in a household; ``related_to`` names the other side of the role."""

    client_id: str
    role: HouseholdRole = HouseholdRole.MEMBER
    generation: int = 0
    related_to: str | None = None


class Household(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    owner_id: str
    name: str
    members: list[HouseholdMember] = []


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """An account held by one client, valued in ``base_currency``."""

    id: str
    client_id: str
    name: str
    type: AccountType = AccountType.TAXABLE
    base_currency: str = "USD"


class Portfolio(msgspec.Struct, frozen=True, kw_only=True):
    """An actual portfolio (a ledger in ``account_id``) or a model portfolio (``weights``)."""

    id: str
    owner_id: str
    name: str
    kind: PortfolioKind = PortfolioKind.ACTUAL
    account_id: str | None = None
    lot_method: LotMethod = LotMethod.FIFO
    model_weights: dict[str, float] = {}


class Lot(msgspec.Struct, kw_only=True):
    """An open tax lot: ``quantity`` units bought at ``unit_cost`` (fees included) at a time."""

    id: str
    instrument_id: str
    quantity: Decimal
    unit_cost: Decimal
    acquired_ns: int
    strategy: str | None = None

    @property
    def cost(self) -> Decimal:
        return self.quantity * self.unit_cost


class Transaction(msgspec.Struct, frozen=True, kw_only=True):
    """One booked event of a portfolio (see the module conventions for signs).

    ``lot_ids`` chooses the lots a sell (or a transfer out) consumes under the ``specific``
    method; ``strategy`` tags the lots a buy opens (for P&L by strategy).
    """

    id: str
    portfolio_id: str
    ts: int
    type: TxnType
    instrument_id: str | None = None
    quantity: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    ratio: Decimal = Decimal(1)
    lot_ids: list[str] = []
    strategy: str | None = None
    note: str = ""


class RealisedGain(msgspec.Struct, frozen=True, kw_only=True):
    """A closed (part of a) lot: proceeds and cost in Decimal, long-term when held > 365 days."""

    instrument_id: str
    lot_id: str
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    acquired_ns: int
    disposed_ns: int
    strategy: str | None = None

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost

    @property
    def long_term(self) -> bool:
        return self.disposed_ns - self.acquired_ns > NS_PER_YEAR_365


class Security(msgspec.Struct, frozen=True, kw_only=True):
    """What the portfolio engine knows of an instrument: its mark, lot size and grouping."""

    instrument_id: str
    price: Decimal
    lot_size: Decimal = Decimal(1)
    asset_class: str = "equity"
    sector: str = "unclassified"
    currency: str = "USD"
    ts: int = 0


@message_type
class OrderIntent(msgspec.Struct, frozen=True, kw_only=True):
    """A trade the rebalancer wants; published on ``portfolio.orders`` when a plan is committed.

    ``quantity`` is positive Decimal on the instrument's lot grid; ``side`` is ``buy``/``sell``.
    The execution engine turns intents into orders.
    """

    plan_id: str
    portfolio_id: str
    instrument_id: str
    side: str
    quantity: Decimal
    reference_price: Decimal
    lot_ids: list[str] = []
    ts_init: int = 0


class InvestmentPolicy(FrozenConfig):
    """Strategic allocation, tolerance bands and restrictions of one portfolio.

    ``targets`` are fractions of investable value (summing to one); ``bands`` are absolute
    weight deviations that trigger a rebalance (``default_band`` when an asset has none).
    """

    targets: dict[str, float] = Field(description="Instrument id -> strategic weight.")
    bands: dict[str, float] = Field(default_factory=dict)
    default_band: float = Field(0.05, ge=0, le=1)
    restricted: tuple[str, ...] = Field((), description="Instruments that may not be bought.")
    cash_buffer: float = Field(0.01, ge=0, lt=1, description="Fraction of value kept in cash.")
    rebalance_days: int = Field(90, ge=1, le=3660, description="Calendar rebalance period.")

    @model_validator(mode="after")
    def _check(self) -> InvestmentPolicy:
        from nautilus.core.errors import ValidationError
        from nautilus.portfolio.rebalance import check_weights

        try:
            check_weights(self.targets)
        except ValidationError as exc:
            raise ValueError(exc.detail) from None
        bad = sorted(set(self.targets) & set(self.restricted))
        if bad:
            raise ValueError(f"restricted instruments have targets: {', '.join(bad)}")
        return self

    def band(self, instrument_id: str) -> float:
        return self.bands.get(instrument_id, self.default_band)
