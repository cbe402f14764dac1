"""Relational store (SQLAlchemy + Alembic) and time-series store backends."""

from __future__ import annotations

from nautilus.persistence.db import Database

__all__ = ["Database"]
