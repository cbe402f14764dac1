"""Time-series store backends: ArcticDB (embedded) and PostgreSQL (server side).

Both implement :class:`TimeSeriesStore`; frames are indexed by ``ts`` (int64 ns UTC).
"""

from __future__ import annotations

from nautilus.persistence.timeseries.arctic import ArcticStore
from nautilus.persistence.timeseries.base import TS, TimeSeriesStore, split_key, validate_frame
from nautilus.persistence.timeseries.postgres import PostgresStore

__all__ = ["TS", "ArcticStore", "PostgresStore", "TimeSeriesStore", "split_key", "validate_frame"]
