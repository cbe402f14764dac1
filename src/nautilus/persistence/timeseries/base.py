"""The time-series store contract, shared by the ArcticDB (embedded) and PostgreSQL backends.

A dataset is addressed by a key ``<kind>/<name...>`` such as ``bars/AAPL.XNAS/1m`` or
``features/momentum/v1``; ``kind`` is the first segment (the PostgreSQL backend keeps one table
per kind). A frame is a ``pandas.DataFrame`` whose index is named ``ts``, dtype int64, ns since
the epoch UTC, strictly increasing; columns are float64, int64, bool or string.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.errors import ValidationError

TS = "ts"


def validate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the frame contract; returns the frame (sorted copies are the caller's job)."""
    if frame.index.name != TS:
        raise ValidationError(f"frame index must be named {TS!r}", code="bad_frame")
    if frame.index.dtype != np.int64:
        raise ValidationError("frame index must be int64 ns UTC", code="bad_frame")
    idx = frame.index.to_numpy()
    if len(idx) > 1 and not bool(np.all(idx[1:] > idx[:-1])):
        raise ValidationError("frame index must be strictly increasing", code="bad_frame")
    return frame


def split_key(key: str) -> tuple[str, str]:
    """``'bars/AAPL/1m'`` -> ``('bars', 'AAPL/1m')``."""
    kind, _, rest = key.partition("/")
    if not kind or not rest or not kind.replace("_", "").isalnum():
        raise ValidationError(f"invalid dataset key {key!r} (want '<kind>/<name>')", code="bad_key")
    return kind, rest


class TimeSeriesStore(abc.ABC):
    """Write, append, upsert and range-read int-ns-indexed frames."""

    @abc.abstractmethod
    def write(
        self, key: str, frame: pd.DataFrame, *, metadata: dict[str, Any] | None = None
    ) -> None:
        """Replace the dataset with ``frame``; this fixes its schema. ``metadata`` is JSON."""

    @abc.abstractmethod
    def append(self, key: str, frame: pd.DataFrame) -> None:
        """Add rows strictly after the last stored ts (ConflictError on overlap).

        An unknown key is created; otherwise columns and dtypes must match the stored schema.
        """

    @abc.abstractmethod
    def upsert(self, key: str, frame: pd.DataFrame) -> None:
        """Insert new timestamps and overwrite existing ones; no duplicates ever."""

    @abc.abstractmethod
    def read(
        self,
        key: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """Rows with ``start_ns <= ts < end_ns`` (either bound open when None).

        NotFoundError for an unknown key; ValidationError for an unknown column.
        """

    @abc.abstractmethod
    def list_keys(self, prefix: str = "") -> list[str]: ...

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """NotFoundError for an unknown key."""

    @abc.abstractmethod
    def metadata(self, key: str) -> dict[str, Any]:
        """``{"key", "rows", "first_ts", "last_ts", "columns", "dtypes", "user": {...}}``.

        String columns read back as object dtype (missing values as None).
        """

    @abc.abstractmethod
    def health(self) -> dict[str, Any]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release handles."""
