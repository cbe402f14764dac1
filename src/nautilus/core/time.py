"""Time in the core is ``int`` nanoseconds since the Unix epoch, UTC.

Conversions happen only at the edges (API, CLI, provider adapters). As-of helpers implement
point-in-time joins: a value is visible at ``t`` only if it was known at or before ``t``.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR


def now_ns() -> int:
    """Wall-clock time in ns UTC."""
    return _time.time_ns()


def to_ns(value: Any) -> int:
    """Convert a datetime, date, ISO string, pandas Timestamp or int ns to int ns UTC.

    Naive datetimes and strings are taken as UTC.

    >>> to_ns("1970-01-01T00:00:01Z")
    1000000000
    """
    if isinstance(value, bool):
        raise TypeError("a bool is not a timestamp")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(pd.Timestamp(value).value)
    if isinstance(value, date):
        return int(pd.Timestamp(value.isoformat(), tz="UTC").value)
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"not a timestamp: {value!r}")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value)


def from_ns(ns: int) -> datetime:
    """Convert int ns UTC to an aware ``datetime`` (microsecond resolution)."""
    return datetime.fromtimestamp(ns / NS_PER_SECOND, tz=UTC).replace(
        microsecond=(ns // NS_PER_US) % 1_000_000
    )


def ns_to_iso(ns: int) -> str:
    """ISO-8601 string (UTC, ``Z`` suffix, nanosecond precision kept)."""
    return pd.Timestamp(ns, unit="ns", tz="UTC").isoformat().replace("+00:00", "Z")


def asof_index(
    known_ns: npt.NDArray[np.int64], at_ns: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """For each time in ``at_ns`` the index of the last ``known_ns`` at or before it, else -1.

    ``known_ns`` must be sorted ascending. This is the point-in-time join primitive.
    """
    return np.searchsorted(known_ns, at_ns, side="right").astype(np.int64) - 1


def asof_values(
    known_ns: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    at_ns: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Values as known at each ``at_ns`` (NaN before the first known value)."""
    idx = asof_index(known_ns, at_ns)
    out = np.full(len(at_ns), np.nan)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out
