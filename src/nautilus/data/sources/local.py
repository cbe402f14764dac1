"""Local CSV / Parquet bar import with a column mapping and timestamp conventions.

Files live under ``root`` as ``{symbol}_{timeframe}.csv`` / ``.parquet`` (``pattern``), e.g.
``AAPL.XNAS_1d.csv``. :class:`ColumnMapping` names the file's columns and says how its
timestamp column reads:

* ``ts_unit`` ``None``: date/time strings, parsed in ``timezone`` when they carry no offset
  (``"America/New_York"`` for exchange-local stamps, ``"UTC"`` default); ``"s"``, ``"ms"``,
  ``"us"``, ``"ns"``: epoch numbers in that unit (always UTC).
* ``ts_label`` ``"close"`` (default) or ``"open"``: an open-labelled stamp is shifted by the
  bar period to the close time. ``daily_close_time`` (``"16:00"``) sets the close of daily bars
  whose stamps are bare dates, in ``timezone``.

:func:`read_bars_file` is usable on its own (the CLI's ``import`` command); bad rows are
rejected and reported as for any source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.data.base import (
    DATA_SOURCES,
    BarBatch,
    Capability,
    DataSource,
    DataSourceConfig,
    RejectedRow,
    clean_bars,
)
from nautilus.model import Timeframe


class ColumnMapping(FrozenConfig):
    """Which file columns hold the timestamp and OHLCV, and how to read the timestamp."""

    ts: str = "timestamp"
    open: str = "open"
    high: str = "high"
    low: str = "low"
    close: str = "close"
    volume: str | None = Field("volume", description="None when the file has no volume.")
    ts_unit: Literal["s", "ms", "us", "ns"] | None = None
    timezone: str = Field("UTC", description="Zone of offset-less date/time strings.")
    ts_label: Literal["open", "close"] = "close"
    daily_close_time: str = Field("16:00", pattern=r"^\d\d:\d\d$")
    date_format: str | None = Field(None, description="strftime format; None = inferred.")


def _ns(parsed: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Aware datetimes -> (int64 ns UTC, valid mask); NaT rows are invalid."""
    valid = ~parsed.isna().to_numpy()
    ints = parsed.dt.tz_convert("UTC").astype("int64").to_numpy()
    return np.where(valid, ints, 0).astype(np.int64), valid


def timestamps_ns(values: pd.Series, mapping: ColumnMapping,
                  timeframe: Timeframe) -> tuple[np.ndarray, np.ndarray]:
    """``(close time int64 ns UTC, valid mask)`` of each stamp in ``values`` under ``mapping``.

    Kept in int64 throughout: float64 cannot hold every nanosecond time exactly."""
    n = len(values)
    ts = np.zeros(n, dtype=np.int64)
    valid = np.zeros(n, dtype=bool)
    shift = np.full(n, timeframe.ns if mapping.ts_label == "open" else 0, dtype=np.int64)
    if mapping.ts_unit is not None:
        nums = pd.to_numeric(values, errors="coerce")
        valid = nums.notna().to_numpy() & (nums.fillna(0) % 1 == 0).to_numpy()
        scale = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[mapping.ts_unit]
        ts = np.where(valid, nums.fillna(0).to_numpy().astype(np.int64) * scale, 0)
        return (ts + shift).astype(np.int64), valid
    text = values.astype(str).str.strip()
    fmt = mapping.date_format or "ISO8601"
    aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).to_numpy()
    if aware.any():
        ts[aware], valid[aware] = _ns(pd.to_datetime(text[aware], format=fmt, errors="coerce",
                                                      utc=True))
    naive = ~aware
    if naive.any():
        parsed = pd.to_datetime(text[naive], format=fmt, errors="coerce")
        bare = text[naive].str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy()
        if timeframe is Timeframe.D1 and bare.any():
            hh, mm = (int(x) for x in mapping.daily_close_time.split(":"))
            # a bare date names the session: its close is the daily close time, no label shift
            parsed = parsed + pd.to_timedelta(np.where(bare, hh * 60 + mm, 0), unit="min")
            sub = shift[naive]
            sub[bare] = 0
            shift[naive] = sub
        local = parsed.dt.tz_localize(mapping.timezone, ambiguous="NaT", nonexistent="NaT")
        ts[naive], valid[naive] = _ns(local)
    return np.where(valid, ts + shift, 0).astype(np.int64), valid


def read_bars_file(path: str | Path, timeframe: Timeframe | str,
                   mapping: ColumnMapping | None = None, *, source: str = "local",
                   instrument_id: str = "") -> BarBatch:
    """Read a CSV or Parquet bar file into a clean frame plus rejected rows."""
    p = Path(path)
    m = mapping or ColumnMapping()
    tf = Timeframe(timeframe)
    if not p.exists():
        raise NotFoundError(f"{source}: no file {p}", code="unknown_symbol", source=source,
                            symbol=instrument_id or p.name)
    raw = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
    cols = {"open": m.open, "high": m.high, "low": m.low, "close": m.close}
    if m.volume is not None:
        cols["volume"] = m.volume
    missing = [c for c in [m.ts, *cols.values()] if c not in raw.columns]
    if missing:
        raise ValidationError(f"{source}: {p.name} lacks columns {missing} "
                              f"(has {list(raw.columns)})", code="bad_column_mapping")
    ts, ok = timestamps_ns(raw[m.ts], m, tf)
    frame = pd.DataFrame({k: pd.to_numeric(raw[v], errors="coerce").to_numpy(dtype=np.float64)
                          for k, v in cols.items()})
    bad_ts = ~ok
    frame.index = pd.Index(ts, name="ts")
    clean, rejected = clean_bars(frame.loc[~bad_ts])
    rejected = [RejectedRow(ts=None, reason="bad_timestamp",
                            values={"row": float(i)}) for i in np.flatnonzero(bad_ts)] + rejected
    return BarBatch(clean, tuple(rejected), source, instrument_id, tf.value)


class LocalFileConfig(DataSourceConfig):
    """Where bar files live and how their columns read."""

    root: Path = Field(Path("."), description="Folder holding the bar files.")
    pattern: str = Field("{symbol}_{timeframe}", description="File stem per instrument/period.")
    mapping: ColumnMapping = ColumnMapping()
    rate_limit_per_s: float = 1e6
    rate_limit_burst: int = 1_000_000


@DATA_SOURCES.register("local", config=LocalFileConfig, tags=("bars", "intraday"))
class LocalFileSource(DataSource):
    """Bars from CSV or Parquet files on disk."""

    name = "local"
    config_class = LocalFileConfig
    capabilities = frozenset({Capability.BARS, Capability.INTRADAY})
    config: LocalFileConfig

    def path(self, instrument_id: str, timeframe: Timeframe) -> Path:
        stem = self.config.pattern.format(symbol=instrument_id, timeframe=timeframe.value)
        for suffix in (".parquet", ".csv"):
            candidate = self.config.root / f"{stem}{suffix}"
            if candidate.exists():
                return candidate
        raise NotFoundError(f"local: no file for {instrument_id} {timeframe.value} "
                            f"under {self.config.root}", code="unknown_symbol",
                            source=self.name, symbol=instrument_id)

    def fetch_bars(self, instrument_id: str, timeframe: Timeframe | str, start_ns: int,
                   end_ns: int) -> BarBatch:
        tf = Timeframe(timeframe)
        self.require(Capability.BARS)
        batch = self._call(lambda: read_bars_file(self.path(instrument_id, tf), tf,
                                                  self.config.mapping, source=self.name,
                                                  instrument_id=instrument_id))
        idx = batch.frame.index.to_numpy()
        return BarBatch(batch.frame.loc[(idx >= start_ns) & (idx < end_ns)], batch.rejected,
                        self.name, instrument_id, tf.value)
