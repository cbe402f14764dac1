"""Execution quality: slippage against arrival price and interval VWAP, implementation
shortfall and fill rate, per order and grouped by strategy and venue.

Input: one row per *order* with ``order_id, strategy, venue, instrument, side`` (``buy`` /
``sell``), ``ordered_qty``, ``filled_qty``, ``avg_fill_price`` (quantity-weighted over its
fills), ``arrival_price`` (mid when the order was decided), ``interval_vwap`` (market VWAP
between arrival and the last fill), ``close_price`` (price at the end of the horizon, for the
opportunity cost of the unfilled part) and ``fees``. Sign convention: a positive slippage or
shortfall is a *cost* to the trader (buying above / selling below the reference).

- slippage vs arrival (bps) = ``s · (avg_fill − arrival) / arrival · 1e4`` with ``s = +1`` for
  buys, ``−1`` for sells; the same against ``interval_vwap``;
- implementation shortfall (Perold), in money: execution cost
  ``s · filled · (avg_fill − arrival)`` + opportunity cost
  ``s · (ordered − filled) · (close − arrival)`` + fees; in bps of the paper notional
  ``ordered · arrival``;
- fill rate = ``filled / ordered``.

Groups aggregate quantity-weighted: bps figures weight each order by its filled (slippage) or
paper (shortfall) notional, so a group figure equals the figure of the pooled money.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.errors import ValidationError

REQUIRED = (
    "order_id",
    "strategy",
    "venue",
    "instrument",
    "side",
    "ordered_qty",
    "filled_qty",
    "avg_fill_price",
    "arrival_price",
)


def order_quality(orders: pd.DataFrame | Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Per-order figures (float64) added to the input columns."""
    df = pd.DataFrame(orders).copy()
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValidationError(
            f"missing columns: {', '.join(missing)}", code="missing_columns", columns=missing
        )
    for c in ("interval_vwap", "close_price"):
        if c not in df.columns:
            df[c] = np.nan
    df["fees"] = df["fees"].fillna(0.0) if "fees" in df.columns else 0.0
    num = [
        "ordered_qty",
        "filled_qty",
        "avg_fill_price",
        "arrival_price",
        "interval_vwap",
        "close_price",
        "fees",
    ]
    df[num] = df[num].astype(np.float64)
    side = df["side"].str.lower()
    if not side.isin(["buy", "sell"]).all():
        bad = sorted(set(df.loc[~side.isin(["buy", "sell"]), "side"].astype(str)))
        raise ValidationError(f"unknown sides: {', '.join(bad)}", code="bad_side")
    if (
        (df["ordered_qty"] <= 0).any()
        or (df["filled_qty"] < 0).any()
        or (df["filled_qty"] > df["ordered_qty"]).any()
    ):
        raise ValidationError(
            "need 0 <= filled_qty <= ordered_qty and ordered_qty > 0", code="bad_quantities"
        )
    s = np.where(side == "buy", 1.0, -1.0)
    filled = df["filled_qty"].to_numpy()
    fill_px = df["avg_fill_price"].to_numpy()
    arrival = df["arrival_price"].to_numpy()
    vwap = df["interval_vwap"].to_numpy()
    close = df["close_price"].to_numpy()
    unfilled = df["ordered_qty"].to_numpy() - filled
    has_fill = filled > 0
    df["fill_rate"] = filled / df["ordered_qty"].to_numpy()
    df["slippage_arrival_bps"] = np.where(has_fill, s * (fill_px - arrival) / arrival * 1e4, np.nan)
    df["slippage_vwap_bps"] = np.where(has_fill, s * (fill_px - vwap) / vwap * 1e4, np.nan)
    exec_cost = np.where(has_fill, s * filled * (fill_px - arrival), 0.0)
    opp = np.where(unfilled > 0, s * unfilled * (np.nan_to_num(close, nan=arrival) - arrival), 0.0)
    df["execution_cost"] = exec_cost
    df["opportunity_cost"] = opp
    df["shortfall"] = exec_cost + opp + df["fees"].to_numpy()
    df["paper_notional"] = df["ordered_qty"].to_numpy() * arrival
    df["filled_notional"] = filled * fill_px
    df["shortfall_bps"] = df["shortfall"] / df["paper_notional"] * 1e4
    return df


def quality_by(
    orders: pd.DataFrame | Sequence[dict[str, Any]], by: Sequence[str] = ("strategy", "venue")
) -> pd.DataFrame:
    """Group figures (see the module docstring for the weighting)."""
    df = order_quality(orders)
    keys = list(by)
    for k in keys:
        if k not in df.columns:
            raise ValidationError(f"cannot group by unknown column {k!r}", code="bad_group")
    w_fill = df["filled_qty"] * df["arrival_price"]
    df["_arr_num"] = (df["slippage_arrival_bps"] * w_fill).fillna(0.0)
    df["_vwap_num"] = (df["slippage_vwap_bps"] * w_fill).fillna(0.0)
    df["_vwap_w"] = w_fill.where(df["slippage_vwap_bps"].notna(), 0.0)
    df["_arr_w"] = w_fill
    g = df.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "orders": g.size(),
            "ordered_qty": g["ordered_qty"].sum(),
            "filled_qty": g["filled_qty"].sum(),
            "fees": g["fees"].sum(),
            "shortfall": g["shortfall"].sum(),
            "paper_notional": g["paper_notional"].sum(),
        }
    )
    out["fill_rate"] = out["filled_qty"] / out["ordered_qty"]
    out["slippage_arrival_bps"] = g["_arr_num"].sum() / g["_arr_w"].sum()
    out["slippage_vwap_bps"] = g["_vwap_num"].sum() / g["_vwap_w"].sum().replace(0.0, np.nan)
    out["shortfall_bps"] = out["shortfall"] / out["paper_notional"] * 1e4
    return out


def interval_vwap(prices: Any, volumes: Any) -> float:
    """Volume-weighted average price of the bars/trades of an order's interval."""
    p = np.asarray(prices, dtype=np.float64)
    v = np.asarray(volumes, dtype=np.float64)
    if p.shape != v.shape or v.sum() <= 0:
        raise ValidationError(
            "prices and positive volumes of equal length are needed", code="bad_vwap_input"
        )
    return float(p @ v / v.sum())
