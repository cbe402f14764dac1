"""Relational tables of the market data engine (Alembic branch ``data``).

Times are int ns UTC in ``BigInteger`` columns; ``updated_at`` columns are aware datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nautilus.persistence.tables import Base


class InstrumentRow(Base):
    """One instrument of the catalogue; ``payload`` is the full msgspec-encoded Instrument."""

    __tablename__ = "data_instruments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(48), index=True)
    venue: Mapped[str] = mapped_column(String(16), index=True)
    asset_class: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(256), default="")
    sector: Mapped[str | None] = mapped_column(String(64))
    calendar: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CorporateActionRow(Base):
    """A split (``value`` = new shares per old) or cash dividend (``value`` per share).

    ``ex_ts`` is the ex-date as ns UTC (midnight UTC of the ex-date): bars closing before it
    are the ones an adjusted read rescales.
    """

    __tablename__ = "data_corporate_actions"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    instrument_id: Mapped[str] = mapped_column(String(64))
    ex_ts: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        Index("ux_data_corp_actions_key", "instrument_id", "ex_ts", "kind", unique=True),
    )


class BackfillCheckpointRow(Base):
    """Where a backfill of one (source, instrument, timeframe, range) got to: ``next_ns``."""

    __tablename__ = "data_backfill_checkpoints"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    instrument_id: Mapped[str] = mapped_column(String(64), index=True)
    timeframe: Mapped[str] = mapped_column(String(8))
    start_ns: Mapped[int] = mapped_column(BigInteger)
    end_ns: Mapped[int] = mapped_column(BigInteger)
    next_ns: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(24))
    message: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DataMarkerRow(Base):
    """Named one-off facts of the data engine (e.g. ``sample_data`` loaded, with details)."""

    __tablename__ = "data_markers"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
