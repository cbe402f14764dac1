"""Market data: the data-source plug-in contract, shared HTTP client, sample data.

Provider plug-ins live in :mod:`nautilus.data.sources` (import it to fill ``DATA_SOURCES``).
"""

from __future__ import annotations

from nautilus.data.base import (
    DATA_SOURCES,
    BarBatch,
    CalendarEvent,
    Capability,
    Dataset,
    DatasetResource,
    DataSource,
    DataSourceConfig,
    Filing,
    LiveSubscription,
    RejectedRow,
    clean_bars,
)
from nautilus.data.ratelimit import TokenBucket

__all__ = [
    "DATA_SOURCES",
    "BarBatch",
    "CalendarEvent",
    "Capability",
    "DataSource",
    "DataSourceConfig",
    "Dataset",
    "DatasetResource",
    "Filing",
    "LiveSubscription",
    "RejectedRow",
    "TokenBucket",
    "clean_bars",
]
