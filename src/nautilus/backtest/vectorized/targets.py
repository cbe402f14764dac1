"""Numba kernels trading towards target units or target weights (see ``kernels`` for the
shared conventions: next-bar execution, fees, slippage, cash groups)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from nautilus.backtest.vectorized.costs import (
    C_DRIFT,
    C_INIT_CASH,
    C_LOT,
    C_SIZE_AT_SIGNAL,
    F8,
    I8,
    affordable_qty,
    fee_of,
    fill_price,
    floor_lot,
)
from nautilus.backtest.vectorized.kernels import REASON_REBALANCE, _record


@nb.njit(cache=True)
def targets_group(
    close: F8,
    open_: F8,
    target: F8,
    is_weight: bool,
    rebalance: npt.NDArray[np.bool_],
    cfg: F8,
    exec_open: bool,
    col0: int,
    rec_col: I8,
    rec_bar: I8,
    rec_side: I8,
    rec_qty: F8,
    rec_px: F8,
    rec_fee: F8,
    rec_reason: I8,
    value_out: F8,
    pos_out: F8,
) -> int:
    """Simulate one cash group trading towards target units or target weights.

    ``target[t]`` (NaN = keep the column as it is) is decided at bar ``t``'s close and traded on
    bar ``t + 1`` when ``rebalance[t]`` is set or, with ``cfg[C_DRIFT] < inf`` and weights, when
    some column's weight at bar ``t``'s close drifted more than the threshold from its target.
    Weights size against the group's equity valued at the execution prices before trading, or,
    with ``cfg[C_SIZE_AT_SIGNAL]``, against the equity at bar ``t``'s close and that close (what
    a strategy sending market orders at the close knows). Quantities floor towards zero to the
    lot. Sells run first and buys are scaled down to the cash left. Returns orders written.
    """
    n, k = close.shape
    has_open = open_.shape[0] > 0
    drift = cfg[C_DRIFT]
    lot = cfg[C_LOT]
    at_signal = cfg[C_SIZE_AT_SIGNAL] > 0.0
    cash = cfg[C_INIT_CASH]
    pos = np.zeros(k)
    want = np.zeros(k)
    ref = np.empty(k)
    n_orders = 0
    trade_next = False
    for t in range(n):
        if t > 0 and trade_next:
            s = t - 1
            equity = cash
            for j in range(k):
                ref[j] = open_[t, j] if exec_open and has_open else close[t, j]
                equity += pos[j] * ref[j]
            if at_signal:
                equity = value_out[s]
            for j in range(k):
                x = target[s, j]
                if math.isnan(x):
                    want[j] = pos[j]
                    continue
                if is_weight:
                    x = x * equity / (close[s, j] if at_signal else ref[j])
                want[j] = floor_lot(x, lot) if x >= 0.0 else -floor_lot(-x, lot)
            for sweep in range(2):
                for j in range(k):
                    dq = want[j] - pos[j]
                    if abs(dq) <= 1e-12 * max(abs(want[j]), 1.0):
                        continue
                    side = 1 if dq > 0.0 else -1
                    if (sweep == 0) != (side < 0):
                        continue
                    q = abs(dq)
                    px = fill_price(ref[j], side, cfg)
                    if side > 0:
                        q = min(q, affordable_qty(cash, px, cfg))
                        if not q > 0.0:
                            continue
                    fee = fee_of(q, px, cfg)
                    cash += -side * q * px - fee
                    pos[j] += side * q
                    n_orders = _record(
                        rec_col,
                        rec_bar,
                        rec_side,
                        rec_qty,
                        rec_px,
                        rec_fee,
                        rec_reason,
                        n_orders,
                        col0 + j,
                        t,
                        side,
                        q,
                        px,
                        fee,
                        REASON_REBALANCE,
                    )
        v = cash
        for j in range(k):
            v += pos[j] * close[t, j]
            pos_out[t, j] = pos[j]
        value_out[t] = v
        trade_next = rebalance[t]
        if not trade_next and is_weight and drift < np.inf and v > 0.0:
            for j in range(k):
                x = target[t, j]
                if not math.isnan(x) and abs(pos[j] * close[t, j] / v - x) > drift:
                    trade_next = True
                    break
    return n_orders


@nb.njit(cache=True, parallel=True)
def targets_columns(
    close: F8,
    open_: F8,
    target: F8,
    is_weight: bool,
    rebalance: npt.NDArray[np.bool_],
    cfg: F8,
    exec_open: bool,
    rec_start: I8,
    rec_col: I8,
    rec_bar: I8,
    rec_side: I8,
    rec_qty: F8,
    rec_px: F8,
    rec_fee: F8,
    rec_reason: I8,
    value_out: F8,
    pos_out: F8,
) -> I8:
    """Target trading with every column its own portfolio, columns in parallel."""
    n, m = close.shape
    counts = np.zeros(m, dtype=np.int64)
    has_open = open_.shape[0] > 0
    for j in nb.prange(m):
        a, b = rec_start[j], rec_start[j + 1]
        o = open_[:, j : j + 1] if has_open else open_[:, 0:0]
        vbuf = np.empty(n)
        counts[j] = targets_group(
            close[:, j : j + 1],
            o,
            target[:, j : j + 1],
            is_weight,
            rebalance,
            cfg,
            exec_open,
            j,
            rec_col[a:b],
            rec_bar[a:b],
            rec_side[a:b],
            rec_qty[a:b],
            rec_px[a:b],
            rec_fee[a:b],
            rec_reason[a:b],
            vbuf,
            pos_out[:, j : j + 1],
        )
        value_out[:, j] = vbuf
    return counts
