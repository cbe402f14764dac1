"""The embedded time-series store: ArcticDB on LMDB under the platform's data dir.

Layout: one ArcticDB library per dataset kind (``bars``, ``features``...), one symbol per
dataset; the symbol is the rest of the key with every character outside ``[A-Za-z0-9._-]``
percent-encoded (``AAPL.XNAS/1m`` -> ``AAPL.XNAS%2F1m``), so any key maps to a name that is
safe on every ArcticDB storage.

The ``ts`` index (int64 ns UTC) is stored as a *naive* ``datetime64[ns]`` index, a zero-copy
view of the same integers; ArcticDB reads such indexes much faster than tz-aware ones. Reads
turn it back into the int64 ``ts`` index, again without copying.

Writes to one store go through one process (the embedded platform is one process); within it
a lock serialises writes, and reads run concurrently. Every write prunes older versions, so the
LMDB files hold only the current data.

>>> store = ArcticStore(tmp_path / "timeseries")  # doctest: +SKIP
>>> store.write("bars/AAPL/1m", frame, metadata={"source": "yahoo"})  # doctest: +SKIP
>>> store.read("bars/AAPL/1m", start_ns=t0, end_ns=t1, columns=["close"])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd

from nautilus.core.errors import ConflictError, NotFoundError, UnavailableError
from nautilus.persistence.timeseries.base import TimeSeriesStore, split_key
from nautilus.persistence.timeseries.frames import (
    Schema,
    as_object_strings,
    check_columns,
    check_range,
    conform,
    empty_frame,
    frame_schema,
    ts_index,
    user_metadata,
)

log = logging.getLogger(__name__)

# Kept inside ArcticDB's version metadata next to the user's own metadata.
_USER = "user"
_SCHEMA = "schema"


def symbol_for(name: str) -> str:
    """Dataset name (key without its kind) -> ArcticDB symbol name."""
    return quote(name, safe="-._")


def name_for(symbol: str) -> str:
    """ArcticDB symbol name -> dataset name (inverse of :func:`symbol_for`)."""
    return unquote(symbol)


def _to_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """Same columns, index replaced by a naive datetime64[ns] view of the int64 ns."""
    view = frame.index.to_numpy().view("datetime64[ns]")
    out = frame.copy(deep=False)
    out.index = pd.DatetimeIndex(view, copy=False)
    return out


def _from_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """Inverse of :func:`_to_stored`: int64 ``ts`` index over the same memory."""
    index = frame.index
    ns = index.asi8 if isinstance(index, pd.DatetimeIndex) else index.to_numpy()
    frame.index = ts_index(ns)
    return frame


def _ns(value: Any) -> int | None:
    """A description timestamp (Timestamp / datetime64 / NaT) -> int ns, None for NaT."""
    if value is None or pd.isna(value):
        return None
    return int(pd.Timestamp(value).value)


class ArcticStore(TimeSeriesStore):
    """ArcticDB (LMDB) backend of :class:`TimeSeriesStore`; see the module docstring."""

    def __init__(self, path: Path) -> None:
        import arcticdb

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self._arctic: Any = arcticdb.Arctic(f"lmdb://{self.path.resolve()}")
        except Exception as exc:  # arcticdb raises its own internal exception types
            raise UnavailableError(
                f"cannot open the time-series store at {self.path}: {exc}", code="store_unavailable"
            ) from exc
        self._libraries: dict[str, Any] = {}
        self._lock = threading.RLock()

    # -- layout -------------------------------------------------------------------------------

    def _arctic_or_fail(self) -> Any:
        if self._arctic is None:
            raise UnavailableError("the time-series store is closed", code="store_closed")
        return self._arctic

    def _library(self, kind: str, *, create: bool) -> Any | None:
        with self._lock:
            lib = self._libraries.get(kind)
            if lib is not None:
                return lib
            arctic = self._arctic_or_fail()
            if arctic.has_library(kind):
                lib = arctic.get_library(kind)
            elif create:
                lib = arctic.get_library(kind, create_if_missing=True)
            else:
                return None
            self._libraries[kind] = lib
            return lib

    def _locate(self, key: str) -> tuple[Any, str]:
        """(library, symbol) of an existing dataset, else NotFoundError."""
        kind, name = split_key(key)
        lib = self._library(kind, create=False)
        symbol = symbol_for(name)
        if lib is None or not lib.has_symbol(symbol):
            raise NotFoundError(f"no time-series dataset {key!r}", code="unknown_dataset")
        return lib, symbol

    @staticmethod
    def _stored_meta(lib: Any, symbol: str) -> dict[str, Any]:
        meta = lib.read_metadata(symbol).metadata
        return meta if isinstance(meta, dict) else {_USER: {}, _SCHEMA: []}

    @staticmethod
    def _schema(meta: dict[str, Any]) -> Schema:
        return [(str(n), str(d)) for n, d in meta.get(_SCHEMA, [])]

    # -- writes -------------------------------------------------------------------------------

    def write(
        self, key: str, frame: pd.DataFrame, *, metadata: dict[str, Any] | None = None
    ) -> None:
        """Replace the dataset with ``frame`` (creating it if new); ``metadata`` is kept as-is."""
        kind, name = split_key(key)
        schema = frame_schema(frame)
        frame = as_object_strings(frame, schema)
        lib: Any = self._library(kind, create=True)
        meta = {_USER: user_metadata(metadata), _SCHEMA: [list(p) for p in schema]}
        with self._lock:
            lib.write(
                symbol_for(name), _to_stored(frame), metadata=meta, prune_previous_versions=True
            )

    def append(self, key: str, frame: pd.DataFrame) -> None:
        """Add rows strictly after the last stored ts; ConflictError (``overlap``) otherwise.

        Appending to an unknown key creates the dataset.
        """
        with self._lock:
            if not self.exists(key):
                self.write(key, frame)
                return
            lib, symbol = self._locate(key)
            meta = self._stored_meta(lib, symbol)
            frame = conform(frame, self._schema(meta), key)
            frame = as_object_strings(frame, self._schema(meta))
            if frame.empty:
                return
            last = _ns(lib.get_description(symbol).date_range[1])
            first_new = int(frame.index[0])
            if last is not None and first_new <= last:
                raise ConflictError(
                    f"append to {key!r} starts at ts={first_new}, not after the last stored "
                    f"ts={last}; use upsert to overwrite",
                    code="overlap",
                )
            lib.append(symbol, _to_stored(frame), metadata=meta, prune_previous_versions=True)

    def upsert(self, key: str, frame: pd.DataFrame) -> None:
        """Insert new timestamps and overwrite existing ones; stored rows between them stay.

        ArcticDB's ``update`` replaces the *whole* date range ``[first, last]`` of the new
        frame, which would drop stored rows whose ts falls between new rows but is not among
        them. So the stored rows of that range are read first and merged under the new ones.
        """
        with self._lock:
            if not self.exists(key):
                self.write(key, frame)
                return
            lib, symbol = self._locate(key)
            meta = self._stored_meta(lib, symbol)
            schema = self._schema(meta)
            frame = as_object_strings(conform(frame, schema, key), schema)
            if frame.empty:
                return
            first, last = int(frame.index[0]), int(frame.index[-1])
            stored = lib.read(symbol, date_range=(pd.Timestamp(first), pd.Timestamp(last))).data
            stored = _from_stored(stored)
            keep = ~np.isin(stored.index.to_numpy(), frame.index.to_numpy(), assume_unique=True)
            if keep.any():
                merged = pd.concat([stored[keep], frame])
                merged = merged.iloc[np.argsort(merged.index.to_numpy(), kind="stable")]
            else:
                merged = frame
            lib.update(symbol, _to_stored(merged), metadata=meta, prune_previous_versions=True)

    # -- reads --------------------------------------------------------------------------------

    def read(
        self,
        key: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """Rows with ``start_ns <= ts < end_ns`` (ns UTC; a None bound is open).

        The half-open range is pushed down to ArcticDB's inclusive ``date_range`` as
        ``[start_ns, end_ns - 1]``. String columns come back as object dtype.
        """
        start_ns, end_ns = check_range(start_ns, end_ns)
        lib, symbol = self._locate(key)
        schema = check_columns(key, self._schema(self._stored_meta(lib, symbol)), columns)
        if start_ns is not None and end_ns is not None and end_ns <= start_ns:
            return empty_frame(schema)
        date_range = None
        if start_ns is not None or end_ns is not None:
            date_range = (
                None if start_ns is None else pd.Timestamp(int(start_ns), unit="ns"),
                None if end_ns is None else pd.Timestamp(int(end_ns) - 1, unit="ns"),
            )
        names = [n for n, _ in schema]
        data = lib.read(symbol, date_range=date_range, columns=names).data
        if len(data) == 0:
            return empty_frame(schema)
        out = _from_stored(data)
        return out if list(out.columns) == names else out[names]

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every dataset key starting with ``prefix``, sorted."""
        arctic = self._arctic_or_fail()
        keys: list[str] = []
        for kind in arctic.list_libraries():
            if not (f"{kind}/".startswith(prefix) or prefix.startswith(f"{kind}/")):
                continue
            lib = self._library(kind, create=False)
            if lib is None:
                continue
            keys.extend(f"{kind}/{name_for(s)}" for s in lib.list_symbols())
        return sorted(k for k in keys if k.startswith(prefix))

    def exists(self, key: str) -> bool:
        kind, name = split_key(key)
        lib = self._library(kind, create=False)
        return lib is not None and bool(lib.has_symbol(symbol_for(name)))

    def delete(self, key: str) -> None:
        """Remove the dataset and all its versions; NotFoundError if unknown."""
        lib, symbol = self._locate(key)
        with self._lock:
            lib.delete(symbol)

    def metadata(self, key: str) -> dict[str, Any]:
        """``rows``, ``first_ts``/``last_ts`` (int ns UTC, None when empty), ``columns``,
        ``dtypes`` (column -> dtype name) and ``user`` (the metadata given to ``write``)."""
        lib, symbol = self._locate(key)
        meta = self._stored_meta(lib, symbol)
        desc = lib.get_description(symbol)
        schema = self._schema(meta)
        rows = int(desc.row_count)
        return {
            "key": key,
            "rows": rows,
            "first_ts": _ns(desc.date_range[0]) if rows else None,
            "last_ts": _ns(desc.date_range[1]) if rows else None,
            "columns": [n for n, _ in schema],
            "dtypes": dict(schema),
            "user": dict(meta.get(_USER) or {}),
        }

    def health(self) -> dict[str, Any]:
        try:
            libraries = self._arctic_or_fail().list_libraries()
        except Exception as exc:  # any storage failure means "not healthy", never a crash
            return {"healthy": False, "backend": "arctic", "error": str(exc).splitlines()[0]}
        return {
            "healthy": True,
            "backend": "arctic",
            "path": str(self.path),
            "kinds": sorted(libraries),
        }

    def close(self) -> None:
        """Drop the library handles; later calls raise UnavailableError."""
        with self._lock:
            self._libraries.clear()
            self._arctic = None

    def __repr__(self) -> str:
        return f"ArcticStore({str(self.path)!r})"
