"""The ``Panel``: aligned 2-D fields over (dates, instruments) plus date-only series.

Conventions: ``dates`` are int64 ns UTC, strictly increasing (row order); ``instruments`` are
ids (column order); every field is a C-contiguous float64 array of shape
``(len(dates), len(instruments))``; missing values are NaN. ``series`` are 1-D float64 arrays of
shape ``(len(dates),)`` holding date-only data (a market return, a macro series aligned as of
each date); the expression language broadcasts them across instruments. ``group_fields`` names
the fields holding integer-valued categorical codes (sector, industry) that ``neutralize``
treats as groups.

>>> import numpy as np
>>> p = Panel(np.array([0, 86_400_000_000_000]), ["A", "B"], {"close": np.ones((2, 2))})
>>> p.shape
(2, 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.core.time import NS_PER_DAY

Array = npt.NDArray[np.float64]


@dataclass
class Panel:
    """Fields of shape (dates, instruments); see the module docstring for the conventions."""

    dates: npt.NDArray[np.int64]
    instruments: list[str]
    fields: dict[str, Array] = field(default_factory=dict)
    series: dict[str, Array] = field(default_factory=dict)
    group_fields: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.dates = np.asarray(self.dates, dtype=np.int64)
        self.instruments = [str(i) for i in self.instruments]
        if self.dates.ndim != 1 or (self.dates.size > 1 and np.any(np.diff(self.dates) <= 0)):
            raise ValidationError("panel dates must be 1-D and strictly increasing",
                                  code="bad_panel")
        if len(set(self.instruments)) != len(self.instruments):
            raise ValidationError("panel instruments must be unique", code="bad_panel")
        self.fields = {k: self._check_field(k, v) for k, v in self.fields.items()}
        self.series = {k: self._check_series(k, v) for k, v in self.series.items()}
        self.group_fields = frozenset(self.group_fields)
        missing = self.group_fields - set(self.fields)
        if missing:
            raise ValidationError(f"group fields not in the panel: {sorted(missing)}",
                                  code="bad_panel")

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.dates), len(self.instruments))

    def _check_field(self, name: str, values: npt.ArrayLike) -> Array:
        arr = np.ascontiguousarray(values, dtype=np.float64)
        if arr.shape != self.shape:
            raise ValidationError(f"field {name!r} has shape {arr.shape}, expected {self.shape}",
                                  code="bad_panel")
        return arr

    def _check_series(self, name: str, values: npt.ArrayLike) -> Array:
        arr = np.ascontiguousarray(values, dtype=np.float64)
        if arr.shape != (len(self.dates),):
            raise ValidationError(
                f"series {name!r} has shape {arr.shape}, expected ({len(self.dates)},)",
                code="bad_panel",
            )
        return arr

    def names(self) -> list[str]:
        """Field names then series names, as the expression language sees them."""
        return sorted(self.fields) + sorted(set(self.series) - set(self.fields))

    def __contains__(self, name: object) -> bool:
        return name in self.fields or name in self.series

    def __getitem__(self, name: str) -> Array:
        """A field, or a series broadcast to (dates, instruments)."""
        if name in self.fields:
            return self.fields[name]
        if name in self.series:
            return np.ascontiguousarray(
                np.broadcast_to(self.series[name][:, None], self.shape), dtype=np.float64
            )
        raise ValidationError(f"unknown field {name!r}", code="unknown_field", field=name)

    def with_fields(self, groups: Iterable[str] = (), **fields: npt.ArrayLike) -> Panel:
        """A new panel with ``fields`` added or replaced (arrays are shared, not copied)."""
        merged = dict(self.fields)
        merged.update({k: self._check_field(k, v) for k, v in fields.items()})
        return Panel(self.dates, self.instruments, merged, dict(self.series),
                     self.group_fields | frozenset(groups))

    def with_series(self, **series: npt.ArrayLike) -> Panel:
        """A new panel with date-only ``series`` added or replaced."""
        merged = dict(self.series)
        merged.update({k: self._check_series(k, v) for k, v in series.items()})
        return Panel(self.dates, self.instruments, dict(self.fields), merged, self.group_fields)

    def date_index(self) -> pd.DatetimeIndex:
        """The dates as a tz-aware UTC ``DatetimeIndex`` (for tables and plots)."""
        return pd.DatetimeIndex(pd.to_datetime(self.dates, unit="ns", utc=True), name="date")

    def to_wide(self, name: str) -> pd.DataFrame:
        """One field as a DataFrame: int64 ns index ``date``, one column per instrument."""
        return pd.DataFrame(self[name], index=pd.Index(self.dates, name="date"),
                            columns=pd.Index(self.instruments, name="instrument"))

    def to_long(self, names: Iterable[str] | None = None) -> pd.DataFrame:
        """Long frame with columns ``date`` (int64 ns), ``instrument`` and one per field."""
        cols = list(names) if names is not None else sorted(self.fields)
        t_len, n = self.shape
        data: dict[str, npt.ArrayLike] = {
            "date": np.repeat(self.dates, n),
            "instrument": np.tile(np.asarray(self.instruments, dtype=object), t_len),
        }
        for c in cols:
            data[c] = self[c].reshape(-1)
        return pd.DataFrame(data)

    @classmethod
    def from_wide(cls, frames: Mapping[str, pd.DataFrame],
                  groups: Iterable[str] = ()) -> Panel:
        """Build from wide frames (index = dates as int ns or datetimes, columns = instruments).

        Frames are outer-joined on dates and instruments; missing cells become NaN.
        """
        if not frames:
            raise ValidationError("from_wide needs at least one frame", code="bad_panel")
        idx = sorted(set().union(*(f.index for f in frames.values())))
        cols = sorted(set().union(*(map(str, f.columns) for f in frames.values())))
        dates = np.array([_ns(d) for d in idx], dtype=np.int64)
        fields = {}
        for k, f in frames.items():
            g = f.copy()
            g.columns = [str(c) for c in g.columns]
            fields[k] = g.reindex(index=idx, columns=cols).to_numpy(dtype=np.float64)
        order = np.argsort(dates)
        return cls(dates[order], cols, {k: v[order] for k, v in fields.items()},
                   group_fields=frozenset(groups))

    @classmethod
    def from_long(cls, frame: pd.DataFrame, *, date: str = "date",
                  instrument: str = "instrument", fields: Iterable[str] | None = None,
                  groups: Iterable[str] = ()) -> Panel:
        """Build from a long frame with one row per (date, instrument).

        ``date`` may hold int ns or datetimes (naive = UTC). Duplicate (date, instrument) rows
        are a ValidationError.
        """
        if frame.duplicated([date, instrument]).any():
            raise ValidationError("duplicate (date, instrument) rows", code="bad_panel")
        names = list(fields) if fields is not None else [
            c for c in frame.columns if c not in (date, instrument)
        ]
        df = frame.copy()
        df[date] = [_ns(d) for d in df[date]]
        df[instrument] = df[instrument].astype(str)
        wide = df.pivot(index=date, columns=instrument, values=names).sort_index()
        insts = sorted(df[instrument].unique())
        out = {n: wide[n].reindex(columns=insts).to_numpy(dtype=np.float64) for n in names}
        return cls(wide.index.to_numpy(dtype=np.int64), insts, out,
                   group_fields=frozenset(groups))


def _ns(value: object) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value)


def business_days(start_ns: int, n: int) -> npt.NDArray[np.int64]:
    """``n`` weekday dates (Mon-Fri, midnight UTC) from the first weekday at or after start."""
    day0 = start_ns // NS_PER_DAY
    days = []
    d = day0
    while len(days) < n:
        # 1970-01-01 was a Thursday: weekday index 0 = Monday is (d + 3) % 7.
        if (d + 3) % 7 < 5:
            days.append(d)
        d += 1
    return np.asarray(days, dtype=np.int64) * NS_PER_DAY


def synthetic_panel(n_dates: int = 504, n_instruments: int = 50, *, seed: int = 0,
                    start_ns: int = 1_262_304_000_000_000_000, n_sectors: int = 5,
                    annual_drift: float = 0.06, annual_vol: float = 0.3) -> Panel:
    """Seeded geometric-Brownian-motion OHLCV panel for research, demos and tests.

    Daily log returns have a common market factor plus a sector factor plus noise; per-asset
    vol is drawn around ``annual_vol`` (annualised, 252 days). Fields: ``open``, ``high``,
    ``low``, ``close``, ``volume`` (shares), ``vwap`` (between low and high), ``shares``
    (shares outstanding, constant), ``sector`` (group codes 0..n_sectors-1); series:
    ``market_return`` (the common factor's simple daily return). Same seed, same panel.
    """
    if n_dates < 1 or n_instruments < 1:
        raise ValidationError("synthetic panel needs at least one date and instrument",
                              code="bad_argument")
    rng = np.random.default_rng(seed)
    dt = 1.0 / 252.0
    vol = annual_vol * rng.uniform(0.6, 1.4, n_instruments)
    beta = rng.uniform(0.5, 1.5, n_instruments)
    sector = rng.integers(0, n_sectors, n_instruments)
    mkt = rng.normal(annual_drift * dt, 0.16 * np.sqrt(dt), n_dates)
    sect = rng.normal(0.0, 0.08 * np.sqrt(dt), (n_dates, n_sectors))
    idio_vol = np.sqrt(np.maximum(vol**2 - (beta * 0.16) ** 2 - 0.08**2, 0.01)) * np.sqrt(dt)
    eps = rng.normal(0.0, 1.0, (n_dates, n_instruments)) * idio_vol
    logret = beta * mkt[:, None] + sect[:, sector] + eps - 0.5 * (vol**2) * dt
    p0 = rng.uniform(10.0, 200.0, n_instruments)
    close = p0 * np.exp(np.cumsum(logret, axis=0))
    prev = np.vstack([p0[None, :], close[:-1]])
    gap = rng.normal(0.0, 0.2, (n_dates, n_instruments)) * idio_vol
    open_ = prev * np.exp(gap)
    span = np.abs(rng.normal(0.0, 1.0, (n_dates, n_instruments))) * idio_vol * 0.8
    high = np.maximum(open_, close) * np.exp(span * rng.uniform(0.2, 1.0, close.shape))
    low = np.minimum(open_, close) * np.exp(-span * rng.uniform(0.2, 1.0, close.shape))
    frac = rng.uniform(0.3, 0.7, close.shape)
    vwap = low + frac * (high - low)
    shares = rng.uniform(5e7, 2e9, n_instruments)
    turnover = rng.uniform(0.002, 0.01, n_instruments)
    volume = np.round(shares * turnover * np.exp(rng.normal(0.0, 0.4, close.shape)
                                                 + 8.0 * np.abs(logret)))
    width = len(str(n_instruments - 1))
    return Panel(
        business_days(start_ns, n_dates),
        [f"S{i:0{width}d}" for i in range(n_instruments)],
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume,
         "vwap": vwap, "shares": np.broadcast_to(shares, close.shape),
         "sector": np.broadcast_to(sector.astype(np.float64), close.shape)},
        {"market_return": np.expm1(mkt)},
        frozenset({"sector"}),
    )
