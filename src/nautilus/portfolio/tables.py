"""Relational tables of the portfolio engine (Alembic branch ``portfolio``, ``portfolio_0001``).

Decimal money and quantities are stored as their exact decimal strings (``String(40)``) so
that SQLite and PostgreSQL round-trip them without float conversion; times are int ns UTC
(``BigInteger``). Holdings are not stored: they are the replay of a portfolio's transactions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nautilus.persistence.tables import Base

DEC = 40


class ClientRow(Base):
    __tablename__ = "portfolio_clients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    tax_rate_short: Mapped[str] = mapped_column(String(DEC))
    tax_rate_long: Mapped[str] = mapped_column(String(DEC))


class HouseholdRow(Base):
    __tablename__ = "portfolio_households"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(128))


class HouseholdMemberRow(Base):
    __tablename__ = "portfolio_household_members"

    household_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio_households.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio_clients.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    related_to: Mapped[str | None] = mapped_column(String(32))


class AccountRow(Base):
    __tablename__ = "portfolio_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio_clients.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(16))
    base_currency: Mapped[str] = mapped_column(String(8))


class PortfolioRow(Base):
    __tablename__ = "portfolio_portfolios"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("portfolio_accounts.id", ondelete="CASCADE"), index=True
    )
    lot_method: Mapped[str] = mapped_column(String(16))
    model_weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_rebalance_ns: Mapped[int | None] = mapped_column(BigInteger)


class TransactionRow(Base):
    __tablename__ = "portfolio_transactions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    portfolio_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio_portfolios.id", ondelete="CASCADE")
    )
    ts: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(16))
    instrument_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[str] = mapped_column(String(DEC))
    price: Mapped[str] = mapped_column(String(DEC))
    amount: Mapped[str] = mapped_column(String(DEC))
    fee: Mapped[str] = mapped_column(String(DEC))
    ratio: Mapped[str] = mapped_column(String(DEC))
    lot_ids: Mapped[list[str]] = mapped_column(JSON)
    strategy: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_portfolio_transactions_pf_ts", "portfolio_id", "ts"),)


class SecurityRow(Base):
    __tablename__ = "portfolio_securities"

    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    price: Mapped[str] = mapped_column(String(DEC))
    lot_size: Mapped[str] = mapped_column(String(DEC))
    asset_class: Mapped[str] = mapped_column(String(16))
    sector: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(8))
    ts: Mapped[int] = mapped_column(BigInteger)


class RebalanceRow(Base):
    __tablename__ = "portfolio_rebalances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    portfolio_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio_portfolios.id", ondelete="CASCADE"), index=True
    )
    ts: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)


class GoalRow(Base):
    __tablename__ = "portfolio_goals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    portfolio_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio_portfolios.id", ondelete="CASCADE"), index=True
    )
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)


class OptimisationInputRow(Base):
    """Stored optimiser inputs (mu, cov, constraints) that ``portfolio.optimise`` jobs read."""

    __tablename__ = "portfolio_optimisation_inputs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
