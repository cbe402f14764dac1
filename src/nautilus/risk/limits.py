"""Hierarchical risk limits: account, strategy, portfolio and instrument scopes.

A :class:`LimitSet` holds optional limits (``None`` = no limit at that scope). Limits are set
per scope key (an account id, a strategy id, a portfolio id, an instrument id) and the limits
that apply to one order are the merge of every matching scope where **the strictest wins**:
the smallest number for each numeric limit, the union of restricted instruments, ``True``
for the free-balance check if any scope asks for it.

Conventions: quantities and money are ``Decimal`` (currency of the account, no FX
conversion); ``*_pct`` are percentages of equity (``25`` = 25 %); ``price_collar_bps`` in basis
points of the reference price; rates are commands per second; ``max_daily_loss`` is a positive
amount of loss; ``max_var`` a positive currency VaR at the engine's confidence and horizon.

Resolution is precomputed: :meth:`LimitBook.resolve` caches the merged :class:`Effective`
limits per ``(account, strategy, instrument)`` and drops the cache when a limit changes, so
the pre-trade hot path does one dict lookup.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import NotFoundError

DECIMAL_FIELDS = (
    "max_order_qty",
    "max_order_notional",
    "max_position_qty",
    "max_position_notional",
    "max_gross_exposure",
    "max_net_exposure",
    "max_daily_loss",
    "max_var",
)
FLOAT_FIELDS = (
    "max_leverage",
    "max_concentration_pct",
    "max_sector_concentration_pct",
    "max_drawdown_pct",
    "max_submit_rate",
    "max_modify_rate",
    "price_collar_bps",
)
DEFAULT_RATE = 100.0
"""Default submit and modify rate per second (as in NautilusTrader)."""


class LimitScope(StrEnum):
    ACCOUNT = "account"
    STRATEGY = "strategy"
    PORTFOLIO = "portfolio"
    INSTRUMENT = "instrument"


class LimitSet(FrozenConfig):
    """Limits of one scope; every field is optional (``None`` = not limited here)."""

    max_order_qty: Decimal | None = Field(None, gt=0, description="Largest order quantity.")
    max_order_notional: Decimal | None = Field(None, gt=0, description="Largest order notional.")
    max_position_qty: Decimal | None = Field(None, gt=0, description="Largest |position| per "
                                             "instrument after the order (with open orders).")
    max_position_notional: Decimal | None = Field(None, gt=0, description="Largest |position "
                                                  "notional| per instrument.")
    max_gross_exposure: Decimal | None = Field(None, gt=0, description="Sum of |notional|.")
    max_net_exposure: Decimal | None = Field(None, gt=0, description="|Sum of signed notional|.")
    max_leverage: float | None = Field(None, gt=0, description="Gross exposure / equity.")
    max_concentration_pct: float | None = Field(None, gt=0, le=100,
                                                description="|Instrument notional| / equity, %.")
    max_sector_concentration_pct: float | None = Field(None, gt=0, le=100,
                                                       description="Sector gross / equity, %.")
    max_daily_loss: Decimal | None = Field(None, gt=0, description="Loss since the UTC day start.")
    max_drawdown_pct: float | None = Field(None, gt=0, le=100,
                                           description="Drawdown from peak equity, %.")
    max_submit_rate: float | None = Field(None, gt=0, description="Submits per second.")
    max_modify_rate: float | None = Field(None, gt=0, description="Modifies per second.")
    price_collar_bps: float | None = Field(None, gt=0, description="Max limit price distance "
                                           "from the reference price, bps.")
    restricted: tuple[str, ...] = Field((), description="Instruments that may not be traded.")
    max_var: Decimal | None = Field(None, gt=0, description="Portfolio parametric VaR limit.")
    check_free_balance: bool | None = Field(None, description="Deny orders the free balance "
                                            "(net of open orders) cannot fund.")

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


class Effective:
    """Merged limits for one (account, strategy, instrument); attributes as in LimitSet."""

    __slots__ = (*DECIMAL_FIELDS, *FLOAT_FIELDS, "restricted", "check_free_balance")

    def __init__(self, sets: list[LimitSet]) -> None:
        for name in (*DECIMAL_FIELDS, *FLOAT_FIELDS):
            values = [getattr(s, name) for s in sets if getattr(s, name) is not None]
            setattr(self, name, min(values) if values else None)
        if self.max_submit_rate is None:
            self.max_submit_rate = DEFAULT_RATE
        if self.max_modify_rate is None:
            self.max_modify_rate = DEFAULT_RATE
        self.restricted: frozenset[str] = frozenset(i for s in sets for i in s.restricted)
        self.check_free_balance: bool = any(bool(s.check_free_balance) for s in sets)

    max_order_qty: Decimal | None
    max_order_notional: Decimal | None
    max_position_qty: Decimal | None
    max_position_notional: Decimal | None
    max_gross_exposure: Decimal | None
    max_net_exposure: Decimal | None
    max_daily_loss: Decimal | None
    max_var: Decimal | None
    max_leverage: float | None
    max_concentration_pct: float | None
    max_sector_concentration_pct: float | None
    max_drawdown_pct: float | None
    max_submit_rate: float | None
    max_modify_rate: float | None
    price_collar_bps: float | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {n: getattr(self, n) for n in (*DECIMAL_FIELDS, *FLOAT_FIELDS)}
        out["restricted"] = sorted(self.restricted)
        out["check_free_balance"] = self.check_free_balance
        return out


class LimitBook:
    """All limits by ``(scope, key)`` plus the account → portfolio assignment.

    >>> book = LimitBook()
    >>> book.set(LimitScope.ACCOUNT, "A-1", LimitSet(max_order_qty=Decimal(100)))
    >>> book.set(LimitScope.INSTRUMENT, "AAPL.XNAS", LimitSet(max_order_qty=Decimal(10)))
    >>> book.resolve("A-1", None, "AAPL.XNAS").max_order_qty
    Decimal('10')
    """

    def __init__(self) -> None:
        self._sets: dict[tuple[LimitScope, str], LimitSet] = {}
        self._portfolio_of: dict[str, str] = {}
        self._cache: dict[tuple[str, str | None, str], Effective] = {}
        self.version = 0

    def set(self, scope: LimitScope | str, key: str, limits: LimitSet) -> LimitSet | None:
        """Set (replace) the limits of one scope key; returns the previous set."""
        k = (LimitScope(scope), key)
        old = self._sets.get(k)
        self._sets[k] = limits
        self._changed()
        return old

    def delete(self, scope: LimitScope | str, key: str) -> LimitSet:
        k = (LimitScope(scope), key)
        try:
            old = self._sets.pop(k)
        except KeyError:
            raise NotFoundError(f"no limits for {k[0].value} {key!r}",
                                code="unknown_limit") from None
        self._changed()
        return old

    def get(self, scope: LimitScope | str, key: str) -> LimitSet | None:
        return self._sets.get((LimitScope(scope), key))

    def items(self) -> list[tuple[LimitScope, str, LimitSet]]:
        return [(s, k, v) for (s, k), v in sorted(self._sets.items())]

    def assign_portfolio(self, account_id: str, portfolio_id: str | None) -> None:
        """Make ``account_id`` part of ``portfolio_id`` (``None`` removes it)."""
        if portfolio_id is None:
            self._portfolio_of.pop(account_id, None)
        else:
            self._portfolio_of[account_id] = portfolio_id
        self._changed()

    def portfolio_of(self, account_id: str) -> str | None:
        return self._portfolio_of.get(account_id)

    def accounts_of(self, portfolio_id: str) -> list[str]:
        return sorted(a for a, p in self._portfolio_of.items() if p == portfolio_id)

    def _changed(self) -> None:
        self._cache.clear()
        self.version += 1

    def resolve(self, account_id: str, strategy_id: str | None, instrument_id: str) -> Effective:
        """Merged limits for an order of ``strategy_id`` on ``instrument_id`` in ``account_id``."""
        key = (account_id, strategy_id, instrument_id)
        eff = self._cache.get(key)
        if eff is None:
            eff = self._cache[key] = Effective(self._matching(account_id, strategy_id,
                                                              instrument_id))
        return eff

    def _matching(self, account_id: str, strategy_id: str | None,
                  instrument_id: str | None) -> list[LimitSet]:
        keys: list[tuple[LimitScope, str]] = [(LimitScope.ACCOUNT, account_id)]
        if strategy_id is not None:
            keys.append((LimitScope.STRATEGY, strategy_id))
        portfolio = self._portfolio_of.get(account_id)
        if portfolio is not None:
            keys.append((LimitScope.PORTFOLIO, portfolio))
        if instrument_id is not None:
            keys.append((LimitScope.INSTRUMENT, instrument_id))
        return [self._sets[k] for k in keys if k in self._sets]

    def account_limits(self, account_id: str, strategy_id: str | None = None) -> Effective:
        """Merged limits without instrument scopes (for account-wide monitoring)."""
        return Effective(self._matching(account_id, strategy_id, None))
