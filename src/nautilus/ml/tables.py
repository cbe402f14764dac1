"""Relational tables of the ML engine (Alembic branch ``ml``, migration ``ml_0001``).

One row per registered model version; the fitted artefact itself lives on disk under
``<data_dir>/models/<name>/<version>/``. Times are int ns UTC (``BigInteger``) except the
row's own audit timestamps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nautilus.persistence.tables import Base


class ModelVersionRow(Base):
    """A versioned model: lineage (data hash, code version), metrics and lifecycle stage."""

    __tablename__ = "ml_model_versions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    model_kind: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16), index=True)
    train_start_ns: Mapped[int | None] = mapped_column(BigInteger)
    train_end_ns: Mapped[int | None] = mapped_column(BigInteger)
    n_rows: Mapped[int] = mapped_column(Integer)
    features: Mapped[list[str]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_hash: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(32))
    artefact_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    previous_production: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ux_ml_model_versions_name_version", "name", "version", unique=True),)
