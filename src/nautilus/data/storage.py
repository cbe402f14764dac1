"""Bar storage on the time-series store: one dataset per (instrument, timeframe).

Key ``bars/<instrument_id>/<timeframe>`` (``bars/AAPL.XNAS/1m``). Frames follow the bar
contract: index ``ts`` = bar close time, int64 ns UTC, strictly increasing; float64 columns
``open high low close volume``. Writes are upserts (new timestamps inserted, existing ones
overwritten), so re-ingesting or resuming a backfill never duplicates a bar.

>>> store = BarStore(ArcticStore(tmp_path))  # doctest: +SKIP
>>> store.upsert("AAPL.XNAS", "1d", frame)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.data.base import empty_bars
from nautilus.model import BAR_COLUMNS, Timeframe, parse_instrument_id
from nautilus.persistence.timeseries.base import TimeSeriesStore

BARS_KIND = "bars"


def bar_key(instrument_id: str, timeframe: Timeframe | str) -> str:
    """``bar_key("AAPL.XNAS", "1m") == "bars/AAPL.XNAS/1m"``."""
    parse_instrument_id(instrument_id)
    return f"{BARS_KIND}/{instrument_id}/{Timeframe(timeframe).value}"


def as_bar_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in storage shape: float64 OHLCV columns in order, int64 ``ts`` index."""
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(f"bar frame lacks columns {missing}", code="bad_frame")
    out = frame.loc[:, list(BAR_COLUMNS)]
    if any(out[c].dtype != np.float64 for c in BAR_COLUMNS):
        out = out.astype(np.float64)
    if out.index.dtype != np.int64 or out.index.name != "ts":
        out = out.set_axis(pd.Index(np.asarray(out.index, dtype=np.int64), name="ts"), axis=0)
    return out


class BarStore:
    """Read and upsert bar series in a :class:`TimeSeriesStore` (see the module docstring)."""

    def __init__(self, store: TimeSeriesStore) -> None:
        self.store = store

    def upsert(self, instrument_id: str, timeframe: Timeframe | str, frame: pd.DataFrame,
               *, metadata: dict[str, Any] | None = None) -> int:
        """Insert or overwrite the frame's bars; returns the number of rows written.

        ``metadata`` is kept only when the series is created (first write).
        """
        key = bar_key(instrument_id, timeframe)
        bars = as_bar_frame(frame)
        if bars.empty:
            return 0
        if self.store.exists(key):
            self.store.upsert(key, bars)
        else:
            meta = {"instrument_id": instrument_id, "timeframe": Timeframe(timeframe).value}
            meta.update(metadata or {})
            self.store.write(key, bars, metadata=meta)
        return len(bars)

    def read(self, instrument_id: str, timeframe: Timeframe | str, start_ns: int | None = None,
             end_ns: int | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """Bars closing in ``[start_ns, end_ns)``; NotFoundError naming the missing series."""
        key = bar_key(instrument_id, timeframe)
        try:
            return self.store.read(key, start_ns=start_ns, end_ns=end_ns, columns=columns)
        except NotFoundError:
            raise NotFoundError(
                f"no stored {Timeframe(timeframe).value} bars for {instrument_id!r}",
                code="unknown_symbol", symbol=instrument_id, source="store",
            ) from None

    def read_or_empty(self, instrument_id: str, timeframe: Timeframe | str,
                      start_ns: int | None = None, end_ns: int | None = None) -> pd.DataFrame:
        """Like :meth:`read` but an unknown series is an empty bar frame."""
        if not self.exists(instrument_id, timeframe):
            return empty_bars()
        return self.read(instrument_id, timeframe, start_ns, end_ns)

    def exists(self, instrument_id: str, timeframe: Timeframe | str) -> bool:
        return self.store.exists(bar_key(instrument_id, timeframe))

    def info(self, instrument_id: str, timeframe: Timeframe | str) -> dict[str, Any]:
        """Rows, first/last ts (ns UTC) of a stored series."""
        meta = self.store.metadata(bar_key(instrument_id, timeframe))
        return {"instrument_id": instrument_id, "timeframe": Timeframe(timeframe).value,
                "rows": meta["rows"], "first_ts": meta["first_ts"], "last_ts": meta["last_ts"]}

    def series(self, instrument_id: str | None = None) -> list[tuple[str, str]]:
        """Stored ``(instrument_id, timeframe)`` pairs, optionally of one instrument."""
        prefix = f"{BARS_KIND}/" + (f"{instrument_id}/" if instrument_id else "")
        out = []
        for key in self.store.list_keys(prefix):
            _, rest = key.split("/", 1)
            inst, _, tf = rest.rpartition("/")
            out.append((inst, tf))
        return out

    def delete(self, instrument_id: str, timeframe: Timeframe | str) -> None:
        self.store.delete(bar_key(instrument_id, timeframe))
