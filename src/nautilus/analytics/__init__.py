"""Analytics: return metrics, portfolio returns (TWR / MWR), P&L from lots, attribution,
execution quality and tearsheets (the tearsheet module imports matplotlib; import it directly).
"""

from __future__ import annotations

from nautilus.analytics.attribution import (
    brinson_fachler,
    factor_attribution,
    linked_attribution,
)
from nautilus.analytics.execution_quality import order_quality, quality_by
from nautilus.analytics.metrics import METRICS, metrics_table, summary
from nautilus.analytics.returns import (
    daily_returns,
    irr,
    money_weighted_return,
    relative_performance,
    time_weighted_return,
)

__all__ = [
    "METRICS",
    "brinson_fachler",
    "daily_returns",
    "factor_attribution",
    "irr",
    "linked_attribution",
    "metrics_table",
    "money_weighted_return",
    "order_quality",
    "quality_by",
    "relative_performance",
    "summary",
    "time_weighted_return",
]
