"""Panel sources: build a :class:`~nautilus.factors.panel.Panel` from stored bars and sectors.

Conventions: panel dates are bar close times (int ns UTC) - the union over the universe of the
bars closing in ``[start_ns, end_ns)``; an instrument without a bar on a date is NaN there (it
is never forward-filled, so a factor never sees a price it could not have traded at). Fields:
``open high low close volume`` from the bars, ``vwap`` as the typical price
``(high + low + close) / 3`` (bars carry no traded value), ``sector`` as integer group codes
(sorted sector names; unknown sector = its own last code) and the date-only series
``market_return``: the equal-weighted mean simple return of the instruments that traded on both
dates.

Two ways in:

* :func:`panel_from_engine` in the platform process, through the data engine's public
  ``bars_frame`` and ``instrument`` methods (store first, then the configured sources);
* :func:`panel_from_store` in a job worker, which opens the platform's stores from the
  :class:`StorePanelSource` params the engine filled in (stored bars only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import NautilusError, ValidationError
from nautilus.core.time import to_ns
from nautilus.factors.panel import Panel

if TYPE_CHECKING:
    from nautilus.data.engine import DataEngine
    from nautilus.persistence.timeseries.base import TimeSeriesStore

MAX_UNIVERSE = 500
"""Largest universe one panel request may name."""

BAR_FIELDS = ("open", "high", "low", "close", "volume")


class StorePanelSource(FrozenConfig):
    """A panel of stored bars for a universe and a date range (see the module docstring)."""

    kind: Literal["store"] = "store"
    instruments: list[str] = Field(..., min_length=2, max_length=MAX_UNIVERSE,
                                   description="instrument ids, e.g. TEC01.XSYN")
    start: str = Field(description="first bar close time: ISO date/time (UTC) or int ns")
    end: str = Field(description="exclusive end: ISO date/time (UTC) or int ns")
    timeframe: str = Field("1d", description="bar timeframe")
    database_url: str | None = Field(None, description="relational store (for sectors)")
    timeseries_backend: Literal["arctic", "postgres"] = "arctic"
    timeseries_location: str | None = Field(
        None, description="ArcticDB folder or PostgreSQL URL; the engine fills it in")


def parse_range(start: str | int, end: str | int) -> tuple[int, int]:
    """``(start_ns, end_ns)`` from ISO strings or int ns; 422 ``bad_range`` unless end > start."""
    try:
        s = int(start) if isinstance(start, str) and start.lstrip("-").isdigit() else to_ns(start)
        e = int(end) if isinstance(end, str) and end.lstrip("-").isdigit() else to_ns(end)
    except (ValueError, TypeError):
        raise ValidationError(f"start {start!r} / end {end!r} must be ISO times or int ns",
                              code="bad_time") from None
    if e <= s:
        raise ValidationError(f"end ({e}) must be after start ({s})", code="bad_range",
                              start_ns=s, end_ns=e)
    return s, e


def sector_codes(sectors: Mapping[str, str | None], instruments: Sequence[str]) -> np.ndarray:
    """Integer code per instrument: index of its sector among the sorted known sector names;
    instruments without a sector share the code after the last one."""
    names = sorted({s for s in sectors.values() if s})
    code = {s: float(i) for i, s in enumerate(names)}
    return np.array([code.get(sectors.get(i) or "", float(len(names))) for i in instruments])


def assemble_panel(frames: Mapping[str, pd.DataFrame],
                   sectors: Mapping[str, str | None]) -> Panel:
    """A panel from per-instrument bar frames (index ``ts`` int ns) and their sectors.

    Instruments whose frame is empty are dropped; 422 ``empty_panel`` if fewer than two remain.
    """
    kept = {k: f for k, f in frames.items() if len(f)}
    if len(kept) < 2:
        raise ValidationError(
            f"a factor panel needs bars for at least two instruments; found {len(kept)} "
            f"of {len(frames)}", code="empty_panel", instruments=sorted(frames))
    instruments = sorted(kept)
    dates = np.unique(np.concatenate([np.asarray(f.index, dtype=np.int64)
                                      for f in kept.values()]))
    fields: dict[str, np.ndarray] = {}
    for name in BAR_FIELDS:
        cols = [kept[i][name].reindex(pd.Index(dates)).to_numpy(np.float64) for i in instruments]
        fields[name] = np.column_stack(cols)
    fields["vwap"] = (fields["high"] + fields["low"] + fields["close"]) / 3.0
    fields["sector"] = np.broadcast_to(sector_codes(sectors, instruments),
                                       (len(dates), len(instruments))).copy()
    close = fields["close"]
    ret = np.full_like(close, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ret[1:] = close[1:] / close[:-1] - 1.0
    counts = np.isfinite(ret).sum(axis=1)
    market = np.where(counts > 0, np.nansum(np.where(np.isfinite(ret), ret, 0.0), axis=1)
                      / np.maximum(counts, 1), np.nan)
    return Panel(dates, instruments, fields, {"market_return": market},
                 group_fields=frozenset({"sector"}))


def _collect(instruments: Sequence[str], read: Callable[[str], pd.DataFrame],
             sector: Callable[[str], str | None],
             progress: Callable[[float, str], None] | None) -> Panel:
    if len(set(instruments)) != len(instruments):
        raise ValidationError("the universe lists an instrument twice", code="bad_universe")
    frames: dict[str, pd.DataFrame] = {}
    sectors: dict[str, str | None] = {}
    for k, inst in enumerate(instruments):
        frames[inst] = read(inst)
        sectors[inst] = sector(inst)
        if progress is not None:
            progress((k + 1) / len(instruments), f"read {inst}: {len(frames[inst])} bars")
    return assemble_panel(frames, sectors)


def panel_from_engine(data: DataEngine, instruments: Sequence[str], start_ns: int, end_ns: int,
                      timeframe: str = "1d",
                      progress: Callable[[float, str], None] | None = None) -> Panel:
    """Panel through the data engine (store first, then configured sources)."""

    def sector(inst: str) -> str | None:
        try:
            return data.instrument(inst).sector
        except NautilusError:
            return None

    return _collect(instruments, lambda i: data.bars_frame(i, timeframe, start_ns, end_ns),
                    sector, progress)


def open_timeseries(backend: str, location: str) -> TimeSeriesStore:
    """The platform's time-series store opened from a worker (ArcticDB folder or PG URL)."""
    if backend == "postgres":
        from nautilus.persistence.timeseries.postgres import PostgresStore

        return PostgresStore(location)
    from nautilus.persistence.timeseries.arctic import ArcticStore

    return ArcticStore(Path(location))


def panel_from_store(source: StorePanelSource,
                     progress: Callable[[float, str], None] | None = None) -> Panel:
    """Panel of stored bars, opened from ``source``'s store locations (for job workers)."""
    from nautilus.data.storage import BarStore

    if not source.timeseries_location:
        raise ValidationError("a store panel source needs timeseries_location",
                              code="bad_panel_source")
    start_ns, end_ns = parse_range(source.start, source.end)
    store = open_timeseries(source.timeseries_backend, source.timeseries_location)
    db: Any = None
    try:
        bars = BarStore(store)
        catalog = None
        if source.database_url:
            from nautilus.data.catalog import InstrumentCatalog
            from nautilus.persistence.db import Database

            db = Database(source.database_url)
            catalog = InstrumentCatalog(db)

        def sector(inst: str) -> str | None:
            found = catalog.find(inst) if catalog is not None else None
            return None if found is None else found.sector

        return _collect(source.instruments,
                        lambda i: bars.read_or_empty(i, source.timeframe, start_ns, end_ns),
                        sector, progress)
    finally:
        store.close()
        if db is not None:
            db.dispose()
