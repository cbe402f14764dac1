"""Relational tables of the risk engine (Alembic branch ``risk``).

Event times are int ns UTC in ``BigInteger`` columns; ``*_at`` columns are aware datetimes.
Quantities and prices of denials are stored as the exact Decimal strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nautilus.persistence.tables import Base

_BIGINT_ID = BigInteger().with_variant(Integer, "sqlite")


class RiskLimitRow(Base):
    """The limits of one scope key (``scope`` in account/strategy/portfolio/instrument)."""

    __tablename__ = "risk_limits"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RiskPortfolioRow(Base):
    """Account → portfolio assignment used by portfolio-scope limits and reports."""

    __tablename__ = "risk_portfolios"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    portfolio_id: Mapped[str] = mapped_column(String(64), index=True)


class RiskDenialRow(Base):
    """One denied order command."""

    __tablename__ = "risk_denials"

    id: Mapped[int] = mapped_column(_BIGINT_ID, primary_key=True, autoincrement=True)
    ts_event: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[str] = mapped_column(String(64))
    strategy_id: Mapped[str | None] = mapped_column(String(64))
    client_order_id: Mapped[str] = mapped_column(String(64))
    instrument_id: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[str] = mapped_column(String(64))
    price: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(48), index=True)
    message: Mapped[str] = mapped_column(Text)
    rule: Mapped[str | None] = mapped_column(String(48))

    __table_args__ = (Index("ix_risk_denials_account_ts", "account_id", "ts_event"),)


class RiskAlertRow(Base):
    """A limit utilisation warning or breach, with its acknowledgement."""

    __tablename__ = "risk_alerts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts_event: Mapped[int] = mapped_column(BigInteger, index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    metric: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(16), index=True)
    value: Mapped[float] = mapped_column(Float)
    limit: Mapped[float] = mapped_column(Float)
    utilisation: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RiskStateRow(Base):
    """The trading state of the platform (key ``*``) or of one account, kept across restarts."""

    __tablename__ = "risk_states"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
