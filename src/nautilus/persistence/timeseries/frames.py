"""Frame checks and conversions shared by the time-series store backends.

Both backends keep the same column model: each column is one of four *dtype names* —
``float64``, ``int64``, ``bool`` or ``string`` (pandas object dtype holding ``str`` or
``None``). A dataset's schema is the ordered list of ``(column, dtype name)`` pairs fixed by its
last ``write``; ``append`` and ``upsert`` must bring the same columns with the same dtypes.

The index is always named ``ts``, int64 ns since the epoch UTC, strictly increasing.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.persistence.timeseries.base import TS, validate_frame

#: dtype name -> numpy dtype a read returns for it.
NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    "float64": np.dtype(np.float64),
    "int64": np.dtype(np.int64),
    "bool": np.dtype(np.bool_),
    "string": np.dtype(object),
}

#: Column names the PostgreSQL layout uses for itself; refused in every backend so a frame that
#: works on one works on the other.
RESERVED_COLUMNS = frozenset({TS, "series"})

#: PostgreSQL identifiers are cut at 63 bytes; longer names would silently collide.
MAX_COLUMN_BYTES = 63

Schema = list[tuple[str, str]]

_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)


def dtype_name(column: str, values: pd.Series) -> str:
    """The dtype name of one column, or ValidationError (code ``bad_dtype``)."""
    dt = values.dtype
    if dt == np.float64:
        return "float64"
    if dt == np.int64:
        return "int64"
    if dt == np.bool_:
        return "bool"
    if isinstance(dt, pd.StringDtype):
        return "string"
    if dt == np.dtype(object) and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    ):
        return "string"
    raise ValidationError(
        f"column {column!r} has dtype {dt}; supported: float64, int64, bool, string",
        code="bad_dtype",
    )


def frame_schema(frame: pd.DataFrame) -> Schema:
    """Validate ``frame`` (index contract, column names and dtypes) and return its schema."""
    validate_frame(frame)
    if len(frame) and int(frame.index[0]) == np.iinfo(np.int64).min:
        # int64 min is NaT once viewed as datetime64[ns]: it cannot be a timestamp.
        raise ValidationError("ts -2**63 is reserved (NaT)", code="bad_frame")
    names = list(frame.columns)
    if len(set(names)) != len(names):
        raise ValidationError("frame has duplicate column names", code="bad_frame")
    schema: Schema = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValidationError(f"column name {name!r} must be a non-empty str", code="bad_frame")
        if name in RESERVED_COLUMNS:
            raise ValidationError(f"column name {name!r} is reserved", code="bad_frame")
        if len(name.encode()) > MAX_COLUMN_BYTES or "\x00" in name:
            raise ValidationError(
                f"column name {name!r} is longer than {MAX_COLUMN_BYTES} bytes", code="bad_frame"
            )
        schema.append((name, dtype_name(name, frame[name])))
    return schema


def user_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of the user metadata given to ``write``; ValidationError unless it is a JSON
    object (both backends keep it as JSON, so what goes in is what comes out)."""
    user = dict(metadata or {})
    try:
        text = json.dumps(user, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"metadata must be a JSON object: {exc}", code="bad_metadata"
        ) from exc
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def conform(frame: pd.DataFrame, stored: Schema, key: str) -> pd.DataFrame:
    """Check that ``frame`` carries exactly the ``stored`` schema; return it in stored order.

    Used by ``append`` and ``upsert``: ValidationError (code ``schema_mismatch``) otherwise.
    """
    given = dict(frame_schema(frame))
    want = dict(stored)
    if given != want:
        raise ValidationError(
            f"dataset {key!r} has columns {want}; the frame has {given}", code="schema_mismatch"
        )
    order = [name for name, _ in stored]
    return frame if list(frame.columns) == order else frame[order]


def as_object_strings(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Turn pandas ``string`` extension columns into object columns (``None`` for missing)."""
    ext = [n for n, d in schema if d == "string" and isinstance(frame[n].dtype, pd.StringDtype)]
    if not ext:
        return frame
    out = frame.copy(deep=False)
    for name in ext:
        col = frame[name]
        out[name] = np.where(col.isna().to_numpy(), None, col.to_numpy(dtype=object))
    return out


def check_columns(key: str, stored: Schema, columns: list[str] | None) -> Schema:
    """The sub-schema a read asks for; ValidationError (code ``unknown_column``) on a bad name."""
    if columns is None:
        return list(stored)
    known = dict(stored)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValidationError(
            f"dataset {key!r} has no column(s) {unknown}; it has {list(known)}",
            code="unknown_column",
        )
    return [(c, known[c]) for c in columns]


def ts_index(ns: np.ndarray) -> pd.Index:
    """An int64 ``ts`` index over ``ns`` (no copy when it already is int64)."""
    return pd.Index(np.asarray(ns, dtype=np.int64), name=TS, copy=False)


def empty_frame(schema: Schema) -> pd.DataFrame:
    """A zero-row frame that still has the schema's columns and dtypes."""
    data = {name: np.empty(0, dtype=NUMPY_DTYPES[d]) for name, d in schema}
    return pd.DataFrame(data, index=ts_index(np.empty(0, dtype=np.int64)))


def check_range(start_ns: int | None, end_ns: int | None) -> tuple[int | None, int | None]:
    """Validate read bounds (int ns UTC) and drop bounds that every int64 ts satisfies.

    ``start_ns`` at or below the smallest valid ts, or ``end_ns`` above int64 max, become
    None (open), so callers never have to represent them.
    """
    bounds: list[int | None] = []
    for name, value in (("start_ns", start_ns), ("end_ns", end_ns)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, np.integer))
        ):
            raise ValidationError(f"{name} must be int ns UTC, got {value!r}", code="bad_range")
        bounds.append(None if value is None else int(value))
    lo, hi = bounds
    if lo is not None and lo <= _INT64_MIN + 1:
        lo = None
    if hi is not None and hi > _INT64_MAX:
        hi = None
    return lo, hi
