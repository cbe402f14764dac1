"""Wealth management: clients, households, accounts, ledgers with tax lots, consolidation,
rebalancing, goals and optimisers.

The engine lives in :mod:`nautilus.portfolio.engine` (registered as ``"portfolio"``); the
optimisers in :mod:`nautilus.portfolio.optimisers`. Money and quantities are Decimal in the
ledger and float64 in consolidated views.
"""

from __future__ import annotations

from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import (
    Account,
    AccountType,
    Client,
    ClientKind,
    Household,
    HouseholdMember,
    HouseholdRole,
    InvestmentPolicy,
    Lot,
    LotMethod,
    OrderIntent,
    Portfolio,
    PortfolioKind,
    RealisedGain,
    Security,
    Transaction,
    TxnType,
)

__all__ = [
    "Account",
    "AccountType",
    "Client",
    "ClientKind",
    "Household",
    "HouseholdMember",
    "HouseholdRole",
    "InvestmentPolicy",
    "Ledger",
    "Lot",
    "LotMethod",
    "OrderIntent",
    "Portfolio",
    "PortfolioKind",
    "RealisedGain",
    "Security",
    "Transaction",
    "TxnType",
]
