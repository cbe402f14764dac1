"""Analytics: return metrics (and later P&L, attribution, execution quality, tearsheets)."""

from __future__ import annotations

from nautilus.analytics.metrics import METRICS, metrics_table, summary

__all__ = ["METRICS", "metrics_table", "summary"]
