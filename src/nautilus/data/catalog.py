"""Instruments catalogue and corporate actions in the relational store.

Back-adjustment (``adjusted=True`` reads). For each action with ex-date ``e`` (ns UTC, the
ex-date's midnight UTC) a factor applies to every bar closing *before* ``e``:

* split ``r`` new shares per old: prices x ``1 / r``, volumes x ``r``;
* cash dividend ``d``: prices x ``1 - d / P``, where ``P`` is the unadjusted close of the last
  bar before ``e`` (the CRSP / Yahoo convention); a dividend with no prior bar or
  ``d >= P`` is ignored.

A bar's factor is the product of the factors of all actions after it, so the latest bars are
unchanged and a split shows no jump in adjusted prices.

>>> import numpy as np
>>> ts = np.array([1, 2, 3], dtype=np.int64); close = np.array([100.0, 50.0, 51.0])
>>> actions = pd.DataFrame({"ex_ts": [2], "kind": ["split"], "value": [2.0]})
>>> price, volume = adjustment_factors(ts, close, actions)
>>> price.tolist(), volume.tolist()
([0.5, 1.0, 1.0], [2.0, 1.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import delete, func, or_, select

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.data.tables import CorporateActionRow, DataMarkerRow, InstrumentRow
from nautilus.model import Instrument
from nautilus.persistence.db import Database

ACTION_KINDS = ("split", "dividend")


def _now() -> datetime:
    return datetime.now(UTC)


def instrument_payload(inst: Instrument) -> dict[str, Any]:
    """The JSON form of an instrument (Decimals as strings)."""
    out: dict[str, Any] = msgspec.to_builtins(inst)
    return out


def instrument_from_payload(payload: dict[str, Any]) -> Instrument:
    return msgspec.convert(payload, Instrument, strict=False)


class InstrumentCatalog:
    """Instruments by id, searchable by id, symbol, name and sector."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def upsert(self, instruments: Iterable[Instrument], *, source: str = "") -> int:
        """Insert or replace instruments; returns how many were written."""
        n = 0
        with self.db.session() as s:
            for inst in instruments:
                row = s.get(InstrumentRow, inst.id)
                values = dict(
                    symbol=inst.symbol, venue=inst.venue, asset_class=inst.asset_class.value,
                    currency=inst.currency, name=inst.name[:256], sector=inst.sector,
                    calendar=inst.calendar, source=source, payload=instrument_payload(inst),
                    updated_at=_now(),
                )
                if row is None:
                    s.add(InstrumentRow(id=inst.id, **values))
                else:
                    for k, v in values.items():
                        setattr(row, k, v)
                n += 1
        return n

    def get(self, instrument_id: str) -> Instrument:
        """The instrument; NotFoundError (``unknown_symbol``) naming it."""
        found = self.find(instrument_id)
        if found is None:
            raise NotFoundError(f"unknown instrument {instrument_id!r}", code="unknown_symbol",
                                symbol=instrument_id)
        return found

    def find(self, instrument_id: str) -> Instrument | None:
        with self.db.session() as s:
            row = s.get(InstrumentRow, instrument_id)
            return None if row is None else instrument_from_payload(row.payload)

    def source_of(self, instrument_id: str) -> str | None:
        with self.db.session() as s:
            row = s.get(InstrumentRow, instrument_id)
            return None if row is None else row.source

    def search(self, query: str = "", *, asset_class: str | None = None, limit: int = 50,
               offset: int = 0) -> list[Instrument]:
        """Instruments whose id, symbol, name or sector contains ``query`` (any case)."""
        stmt = select(InstrumentRow.payload).order_by(InstrumentRow.id)
        q = query.strip().lower()
        if q:
            like = f"%{q}%"
            stmt = stmt.where(or_(func.lower(InstrumentRow.id).like(like),
                                  func.lower(InstrumentRow.name).like(like),
                                  func.lower(InstrumentRow.sector).like(like)))
        if asset_class:
            stmt = stmt.where(InstrumentRow.asset_class == asset_class)
        with self.db.session() as s:
            rows = s.execute(stmt.limit(limit).offset(offset)).scalars().all()
        return [instrument_from_payload(p) for p in rows]

    def count(self) -> int:
        with self.db.session() as s:
            return int(s.execute(select(func.count()).select_from(InstrumentRow)).scalar_one())


class CorporateActions:
    """Splits and dividends per instrument (``ex_ts`` ns UTC), and adjustment factors."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, instrument_id: str, actions: pd.DataFrame, *, source: str = "") -> int:
        """Store actions: a frame with ``ex_ts``, ``kind`` (split|dividend), ``value``; or the
        source contract (index ``ts``, columns ``dividend`` / ``split_ratio``). Re-adding the
        same (ex_ts, kind) replaces its value."""
        frame = normalise_actions(actions)
        with self.db.session() as s:
            for ex_ts, kind, value in frame.itertuples(index=False, name=None):
                s.execute(delete(CorporateActionRow).where(
                    CorporateActionRow.instrument_id == instrument_id,
                    CorporateActionRow.ex_ts == int(ex_ts), CorporateActionRow.kind == kind))
                s.add(CorporateActionRow(instrument_id=instrument_id, ex_ts=int(ex_ts),
                                         kind=str(kind), value=float(value), source=source))
        return len(frame)

    def list(self, instrument_id: str, start_ns: int | None = None,
             end_ns: int | None = None) -> pd.DataFrame:
        """Actions sorted by ``ex_ts``: columns ``ex_ts`` (int64), ``kind``, ``value``."""
        stmt = (select(CorporateActionRow.ex_ts, CorporateActionRow.kind,
                       CorporateActionRow.value)
                .where(CorporateActionRow.instrument_id == instrument_id)
                .order_by(CorporateActionRow.ex_ts, CorporateActionRow.kind))
        if start_ns is not None:
            stmt = stmt.where(CorporateActionRow.ex_ts >= start_ns)
        if end_ns is not None:
            stmt = stmt.where(CorporateActionRow.ex_ts < end_ns)
        with self.db.session() as s:
            rows = s.execute(stmt).all()
        return pd.DataFrame({"ex_ts": np.array([r[0] for r in rows], dtype=np.int64),
                             "kind": [r[1] for r in rows],
                             "value": np.array([r[2] for r in rows], dtype=np.float64)})

    def adjust(self, instrument_id: str, bars: pd.DataFrame) -> pd.DataFrame:
        """A back-adjusted copy of ``bars`` (see the module docstring)."""
        actions = self.list(instrument_id)
        return apply_adjustment(bars, actions)


def normalise_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """Either accepted input shape -> columns ``ex_ts``, ``kind``, ``value`` (validated)."""
    if {"ex_ts", "kind", "value"} <= set(actions.columns):
        frame = actions.loc[:, ["ex_ts", "kind", "value"]].copy()
    else:
        ts = np.asarray(actions.index, dtype=np.int64)
        parts = []
        for col, kind in (("split_ratio", "split"), ("dividend", "dividend")):
            if col in actions.columns:
                v = actions[col].to_numpy(dtype=np.float64)
                ok = np.isfinite(v)
                parts.append(pd.DataFrame({"ex_ts": ts[ok], "kind": kind, "value": v[ok]}))
        frame = (pd.concat(parts, ignore_index=True) if parts
                 else pd.DataFrame({"ex_ts": [], "kind": [], "value": []}))
    frame["ex_ts"] = frame["ex_ts"].astype(np.int64)
    frame["value"] = frame["value"].astype(np.float64)
    bad_kind = ~frame["kind"].isin(ACTION_KINDS)
    if bad_kind.any():
        raise ValidationError(f"corporate action kind must be one of {ACTION_KINDS}",
                              code="bad_corporate_action")
    if not (np.isfinite(frame["value"]) & (frame["value"] > 0)).all():
        raise ValidationError("split ratios and dividends must be positive",
                              code="bad_corporate_action")
    return frame.sort_values(["ex_ts", "kind"], kind="stable").reset_index(drop=True)


def adjustment_factors(ts: npt.NDArray[np.int64], close: npt.NDArray[np.float64],
                       actions: pd.DataFrame
                       ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``(price factor, volume factor)`` per bar (``ts`` sorted, close unadjusted)."""
    n = len(ts)
    if actions.empty or n == 0:
        return np.ones(n), np.ones(n)
    ex = actions["ex_ts"].to_numpy(dtype=np.int64)
    kind = actions["kind"].to_numpy()
    value = actions["value"].to_numpy(dtype=np.float64)
    prior = np.searchsorted(ts, ex, side="left") - 1  # last bar closing before the ex-date
    price_f = np.ones(len(ex))
    vol_f = np.ones(len(ex))
    split = kind == "split"
    price_f[split] = 1.0 / value[split]
    vol_f[split] = value[split]
    div = (kind == "dividend") & (prior >= 0)
    p_prev = np.where(div, close[np.maximum(prior, 0)], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = 1.0 - value / p_prev
    usable = div & np.isfinite(f) & (f > 0)
    price_f[usable] = f[usable]
    # cumulative product of the factors of actions strictly after each position
    suffix_p = np.append(np.cumprod(price_f[::-1])[::-1], 1.0)
    suffix_v = np.append(np.cumprod(vol_f[::-1])[::-1], 1.0)
    after = np.searchsorted(ex, ts, side="right")  # actions with ex_ts <= bar ts do not apply
    return suffix_p[after], suffix_v[after]


def apply_adjustment(bars: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Back-adjusted copy of a bar frame (prices x price factor, volume x volume factor)."""
    if bars.empty or actions.empty:
        return bars.copy()
    ts = bars.index.to_numpy()
    pf, vf = adjustment_factors(ts, bars["close"].to_numpy(dtype=np.float64), actions)
    out = bars.copy()
    for c in ("open", "high", "low", "close"):
        out[c] = out[c].to_numpy() * pf
    out["volume"] = out["volume"].to_numpy() * vf
    return out


class Markers:
    """Named one-off facts (``sample_data`` loaded...) kept in ``data_markers``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str) -> dict[str, Any] | None:
        with self.db.session() as s:
            row = s.get(DataMarkerRow, key)
            return None if row is None else dict(row.value)

    def set(self, key: str, value: dict[str, Any]) -> None:
        with self.db.session() as s:
            row = s.get(DataMarkerRow, key)
            if row is None:
                s.add(DataMarkerRow(key=key, value=value, updated_at=_now()))
            else:
                row.value = value
                row.updated_at = _now()
