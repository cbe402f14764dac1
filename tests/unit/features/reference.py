"""Shared helpers for the indicator tests: input dictionaries and the tolerance rule."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nautilus.features import INDICATORS


def inputs_of(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """All inputs any indicator can ask for; ``x``/``y`` (correlation, beta) are close/open."""
    d = {k: df[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume")}
    d["x"] = d["close"]
    d["y"] = d["open"]
    d["ts"] = df["ts"].to_numpy(dtype=np.int64)
    return d


def stacked(name: str, data: dict[str, np.ndarray], **params: Any) -> np.ndarray:
    """The kernel input rows for ``name`` (what the streaming tests feed bar by bar)."""
    from nautilus.features.base import resolve_inputs

    ind = INDICATORS.get(name)
    return resolve_inputs(ind, data, ind.make_config(params))


def assert_matches(
    ours: np.ndarray, ref: np.ndarray, what: str, scale: float | None = None
) -> None:
    """Same NaN positions; elsewhere |ours - ref| <= 1e-9 |ref| + 1e-12 scale.

    ``scale`` defaults to max|ref|. The small absolute term only matters where a series crosses
    zero (MACD, APO, momentum, slopes): there a relative test is meaningless. For a regression
    slope the rounding error of any implementation is set by the *price* level, so the caller
    passes the price scale.
    """
    ours = np.asarray(ours, dtype=float)
    ref = np.asarray(ref, dtype=float)
    assert ours.shape == ref.shape, what
    nan_o, nan_r = np.isnan(ours), np.isnan(ref)
    assert (nan_o == nan_r).all(), (
        f"{what}: NaN prefix differs (ours {int(nan_o.sum())}, reference {int(nan_r.sum())})"
    )
    ok = ~nan_r
    if not ok.any():
        return
    a, b = ours[ok], ref[ok]
    scale = float(np.max(np.abs(b))) if scale is None else scale
    err = np.abs(a - b)
    tol = 1e-9 * np.abs(b) + 1e-12 * scale
    worst = int(np.argmax(err - tol))
    assert (err <= tol).all(), f"{what}: |{a[worst]} - {b[worst]}| = {err[worst]:.3e}"
