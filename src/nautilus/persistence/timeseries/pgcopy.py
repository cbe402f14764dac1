"""PostgreSQL binary COPY encoding and decoding of int-ns frames, vectorised with numpy.

A binary COPY stream is a 19-byte header, then one tuple per row (int16 field count, then per
field an int32 byte length, -1 for NULL, and the value in network byte order), then an int16
-1 trailer. When every field has a fixed width (bigint, double precision, boolean, and a
``series`` text value that is the same for every row) each tuple has the same size, so a whole
frame maps onto one numpy structured array: encoding is a few column assignments, decoding one
``np.frombuffer``. Frames with string columns go through psycopg's row writer instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from nautilus.persistence.timeseries.frames import Schema

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = b"\xff\xff"

#: dtype name -> (PostgreSQL type, big-endian numpy code of its binary form or None).
PG_TYPES: dict[str, tuple[str, str | None]] = {
    "float64": ("double precision", ">f8"),
    "int64": ("bigint", ">i8"),
    "bool": ("boolean", "u1"),
    "string": ("text", None),
}

#: PostgreSQL type name as information_schema spells it -> dtype name.
DTYPE_OF_PG: dict[str, str] = {pg: name for name, (pg, _) in PG_TYPES.items()}


def is_fixed_width(schema: Schema) -> bool:
    """True when every column has a fixed-width binary form (no strings)."""
    return all(PG_TYPES[d][1] is not None for _, d in schema)


def _record_dtype(schema: Schema, series_bytes: int | None) -> np.dtype[Any]:
    fields: list[tuple[str, str]] = [("n", ">i2")]
    if series_bytes is not None:
        fields += [("ls", ">i4"), ("s", f"S{series_bytes}")]
    fields += [("lt", ">i4"), ("t", ">i8")]
    for j, (_, d) in enumerate(schema):
        code = PG_TYPES[d][1]
        assert code is not None
        fields += [(f"l{j}", ">i4"), (f"v{j}", code)]
    return np.dtype(fields)


def encode_rows(
    series: str, frame: pd.DataFrame, schema: Schema, *, chunk_rows: int = 250_000
) -> Iterator[bytes]:
    """Binary COPY stream of ``(series, ts, <schema columns>)`` for a fixed-width ``schema``.

    Yields the header, one block per ``chunk_rows`` rows (bounded memory), then the trailer.
    """
    name = series.encode()
    dt = _record_dtype(schema, len(name))
    ts = frame.index.to_numpy()
    arrays = [frame[c].to_numpy() for c, _ in schema]
    fields = 2 + len(schema)
    yield HEADER
    for lo in range(0, len(ts), chunk_rows):
        hi = min(lo + chunk_rows, len(ts))
        rec = np.empty(hi - lo, dtype=dt)
        rec["n"] = fields
        rec["ls"] = len(name)
        rec["s"] = name
        rec["lt"] = 8
        rec["t"] = ts[lo:hi]
        for j, (_, d) in enumerate(schema):
            rec[f"l{j}"] = rec.dtype[f"v{j}"].itemsize
            values = arrays[j][lo:hi]
            rec[f"v{j}"] = values.view(np.uint8) if d == "bool" else values
        yield rec.tobytes()
    yield TRAILER


def decode_rows(buffer: bytes, schema: Schema) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Decode a binary COPY of ``(ts, <schema columns>)``; None if it is not fixed-width.

    None means some tuple did not have the expected layout (a NULL, an unexpected field
    count), and the caller falls back to a row-wise read. Returns (ts int64, columns) in
    native byte order.
    """
    if len(buffer) < len(HEADER) + len(TRAILER) or not buffer.startswith(HEADER[:11]):
        return None
    ext = int.from_bytes(buffer[15:19], "big")
    body = memoryview(buffer)[19 + ext : len(buffer) - len(TRAILER)]
    dt = _record_dtype(schema, None)
    if len(body) % dt.itemsize:
        return None
    rec = np.frombuffer(body, dtype=dt)
    if len(rec) and not (
        bool(np.all(rec["n"] == 1 + len(schema))) and bool(np.all(rec["lt"] == 8))
    ):
        return None
    columns: dict[str, np.ndarray] = {}
    for j, (c, d) in enumerate(schema):
        if len(rec) and not bool(np.all(rec[f"l{j}"] == dt[f"v{j}"].itemsize)):
            return None
        raw = rec[f"v{j}"]
        columns[c] = raw.astype(bool) if d == "bool" else raw.astype(raw.dtype.newbyteorder("="))
    return rec["t"].astype(np.int64), columns


def python_rows(series: str, frame: pd.DataFrame, schema: Schema) -> Iterator[tuple[Any, ...]]:
    """``(series, ts, *values)`` tuples for psycopg's row-wise COPY (frames with strings)."""
    ts = frame.index.to_numpy().tolist()
    cols = []
    for c, d in schema:
        values = frame[c]
        if d == "string":
            cols.append([None if v is None or v is pd.NA or v != v else v for v in values])
        else:
            cols.append(values.to_numpy().tolist())
    for row in zip(ts, *cols, strict=True):
        yield (series, *row)
