"""Parameter grids in one parallel kernel launch: the SMA-cross surface.

Each moving average is computed once per window (``ma_table``); ``sma_cross_grid`` then runs
every (fast, slow) pair in a ``prange`` over pairs with the same single-column simulator as the
engine (``kernels.signals_group``), so a grid result equals the engine's run of the same pair.
Per pair it writes the analytics metrics (``nautilus.analytics.kernels``, same conventions as
``metrics_table``) plus the closed trade count, without keeping the equity curves: memory is
``windows x bars x 8`` bytes for the MA table plus a few bar-length buffers per thread.

Signals: long entry at bar ``t`` when ``fast[t] > slow[t]`` and ``fast[t-1] <= slow[t-1]``
(both defined), long exit on the opposite cross; with ``short`` the crosses also open/close
shorts. Orders execute on bar ``t + 1`` like every engine run.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from nautilus.analytics.kernels import N_FIELDS, column_metrics
from nautilus.backtest.vectorized.indicators import (
    cross_signals,
    rolling_mean,
    sma_cross_signals,
)
from nautilus.backtest.vectorized.kernels import signals_group

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]

__all__ = [
    "N_ROWS",
    "ROW_TRADES",
    "cross_signals",
    "ma_table",
    "rolling_mean",
    "sma_cross_grid",
    "sma_cross_signals",
]

ROW_TRADES = N_FIELDS
N_ROWS = N_FIELDS + 1


@nb.njit(cache=True, parallel=True)
def ma_table(close: F8, windows: I8) -> F8:
    """(windows, bars) simple moving averages of a 1-D close."""
    out = np.empty((windows.shape[0], close.shape[0]))
    for i in nb.prange(windows.shape[0]):
        out[i] = rolling_mean(close, windows[i])
    return out


@nb.njit(cache=True, parallel=True)
def sma_cross_grid(
    close: F8,
    open_: F8,
    high: F8,
    low: F8,
    vol: F8,
    ma: F8,
    fast_row: I8,
    slow_row: I8,
    cfg: F8,
    exec_open: bool,
    short: bool,
    full_metrics: bool,
    ppy: float,
) -> F8:
    """(N_ROWS, pairs): metrics per (fast, slow) pair; rows ``METRIC_FIELDS`` then trades.

    ``vol`` is the 1-D annualised volatility for target_vol sizing (or empty).
    ``ma[fast_row[p]]`` and ``ma[slow_row[p]]`` are pair ``p``'s averages. Without
    ``full_metrics`` only total_return (row 0) and max_drawdown (row 8) are filled.
    """
    n = close.shape[0]
    n_pairs = fast_row.shape[0]
    out = np.full((N_ROWS, n_pairs), np.nan)
    c2 = close.reshape(n, 1)
    o2 = open_.reshape(open_.shape[0], 1)
    h2 = high.reshape(high.shape[0], 1)
    l2 = low.reshape(low.shape[0], 1)
    v2 = vol.reshape(vol.shape[0], 1)
    init = cfg[0]
    for p in nb.prange(n_pairs):
        up = np.empty((n, 1), dtype=np.bool_)
        down = np.empty((n, 1), dtype=np.bool_)
        cross_signals(ma[fast_row[p]], ma[slow_row[p]], up[:, 0], down[:, 0])
        none = np.zeros((n, 1), dtype=np.bool_)
        se = down if short else none
        sx = up if short else none
        e_i = np.empty(0, dtype=np.int64)
        e_f = np.empty(0)
        value = np.empty(n)
        _, trips, _ = signals_group(
            c2, o2, h2, l2, up, down, se, sx, v2, cfg, exec_open, 0,
            (e_i, e_i, e_i, e_f, e_f, e_f, e_i), value,
        )  # fmt: skip
        out[ROW_TRADES, p] = trips
        if full_metrics:
            r = np.empty(n)
            prev = init
            for t in range(n):
                r[t] = value[t] / prev - 1.0
                prev = value[t]
            buf = np.empty(n)
            res = np.empty(N_FIELDS)
            column_metrics(r, np.empty(0), False, ppy, 0.0, 0.0, 0.05, buf, res)
            for i in range(N_FIELDS):
                out[i, p] = res[i]
        else:
            peak = init
            mdd = 0.0
            for t in range(n):
                v = value[t]
                if v > peak:
                    peak = v
                dd = (v - peak) / peak
                if dd < mdd:
                    mdd = dd
            out[0, p] = value[n - 1] / init - 1.0
            out[8, p] = mdd
        if math.isnan(out[ROW_TRADES, p]):
            out[ROW_TRADES, p] = 0.0
    return out
