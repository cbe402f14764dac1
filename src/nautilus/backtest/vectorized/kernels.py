"""Numba kernels of the vectorized backtester.

Conventions shared by every kernel (the engine in ``engine.py`` validates inputs first):

- Arrays are ``(bars, instruments)`` float64 (prices) or bool (signals); bar ``t`` is the bar
  whose close is ``close[t]``.
- A signal or target decided at bar ``t``'s close is executed by a market order on bar ``t + 1``:
  at its open when ``exec_open`` is set, else at its close. The kernels read the signal arrays at
  ``t - 1`` themselves; callers never shift.
- Slippage is a fixed fraction: a buy fills at ``ref * (1 + slip)``, a sell at
  ``ref * (1 - slip)``, put on the tick grid against the trader when a tick is set. Fees per
  fill: ``fee_frac * notional`` plus, when a per-share part is configured,
  ``min(max(fee_min, per_share * qty), fee_cap_frac * notional)``, rounded half-even to
  ``precision`` decimals when ``precision >= 0`` (see ``costs`` for the decimal parity).
- Stops (fractions of the entry reference price, i.e. before slippage) follow the conservative
  intra-bar path: a long sees open, low, high, close (adverse move first), a short sees open,
  high, low, close. A gap through a stop at the open fills at the open, otherwise the stop price
  fills. The trailing level follows the best price seen; after the bar's extreme is reached the
  trailing level is checked once more against the close.
- Cash: one cash balance per group. A group of one column is vectorbt's default (each column its
  own portfolio); one group of all columns shares cash. Within a bar, orders that reduce
  exposure run before orders that add to it, so freed cash can fund new buys.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from nautilus.backtest.vectorized.costs import (
    C_INIT_CASH,
    C_LOT,
    C_SIZE,
    C_SIZE_TYPE,
    C_SL,
    C_SLIP,
    C_TICK,
    C_TP,
    C_TRAIL,
    F8,
    I8,
    affordable_qty,
    fee_of,
    floor_lot,
    on_tick,
)

SIZE_AMOUNT = 0
SIZE_VALUE = 1
SIZE_PERCENT = 2
SIZE_TARGET_VOL = 3

REASON_SIGNAL = 0
REASON_STOP_LOSS = 1
REASON_TAKE_PROFIT = 2
REASON_TRAILING = 3
REASON_REBALANCE = 4


@nb.njit(cache=True)
def _record(
    rec_col: I8,
    rec_bar: I8,
    rec_side: I8,
    rec_qty: F8,
    rec_px: F8,
    rec_fee: F8,
    rec_reason: I8,
    k: int,
    col: int,
    bar: int,
    side: int,
    qty: float,
    px: float,
    fee: float,
    reason: int,
) -> int:
    if k < rec_col.shape[0]:
        rec_col[k] = col
        rec_bar[k] = bar
        rec_side[k] = side
        rec_qty[k] = qty
        rec_px[k] = px
        rec_fee[k] = fee
        rec_reason[k] = reason
        return k + 1
    return k


@nb.njit(inline="always")
def settle(cash: float, side: int, qty: float, px: float, fee: float) -> float:
    """Cash after a fill of ``side`` (+1 buy, -1 sell) ``qty`` at ``px`` paying ``fee``."""
    return cash + (-side * qty * px - fee)


@nb.njit(inline="always")
def simulate(
    close: F8,
    open_: F8,
    high: F8,
    low: F8,
    le: npt.NDArray[np.bool_],
    lx: npt.NDArray[np.bool_],
    se: npt.NDArray[np.bool_],
    sx: npt.NDArray[np.bool_],
    vol: F8,
    cfg: F8,
    col0: int,
    rec: tuple[I8, I8, I8, F8, F8, F8, I8],
    value_out: F8,
    exec_open: bool,
    stops: bool,
    shorts: bool,
    with_value: bool,
    ticks: bool,
) -> tuple[int, int, float]:
    """Simulate one cash group of ``k`` columns from entry/exit signals: the single source of
    the fill semantics (see the module docstring).

    ``open_``/``high``/``low`` may have zero rows (then the close stands in for them). ``vol``
    (annualised volatility known at each bar's close) is read only for volatility-target
    sizing. ``stops`` / ``shorts`` / ``with_value`` / ``ticks`` switch the stop phase, the short
    signal arrays, the per-bar equity curve (``value_out``) and tick rounding of fill prices
    (``cfg[C_TICK]``) on; the specialised kernels pass them
    as compile-time constants so the unused branches are compiled out. Returns ``(orders
    written, round trips closed, equity after the last bar)``.
    """
    n, k = close.shape
    has_open = open_.shape[0] > 0
    has_hl = high.shape[0] > 0
    slip = cfg[C_SLIP]
    tick = cfg[C_TICK]
    sl = cfg[C_SL]
    tp = cfg[C_TP]
    trail = cfg[C_TRAIL]
    size = cfg[C_SIZE]
    st = int(cfg[C_SIZE_TYPE])
    rec_col, rec_bar, rec_side, rec_qty, rec_px, rec_fee, rec_reason = rec
    cash = cfg[C_INIT_CASH]
    pos = np.zeros(k)
    entry_ref = np.zeros(k)
    extreme = np.zeros(k)
    last_px = np.empty(k)
    for j in range(k):
        last_px[j] = close[0, j]
    close_flag = np.zeros(k, dtype=np.bool_)
    open_dir = np.zeros(k, dtype=np.int64)
    n_orders = 0
    n_trips = 0
    for t in range(n):
        for step in range(2):
            # signals fill at the open before the stops, or at the close after them
            if (step == 0) != exec_open:
                if not stops:
                    continue
                # venue-side stops on the conservative intra-bar path
                for j in range(k):
                    p = pos[j]
                    if p == 0.0:
                        continue
                    c = close[t, j]
                    o = open_[t, j] if has_open else c
                    h = high[t, j] if has_hl else c
                    lo = low[t, j] if has_hl else c
                    fill = np.nan
                    reason = 0
                    if p > 0.0:
                        lvl = -np.inf
                        r_lvl = REASON_STOP_LOSS
                        if sl > 0.0:
                            lvl = entry_ref[j] * (1.0 - sl)
                        if trail > 0.0:
                            tl = max(extreme[j], o) * (1.0 - trail)
                            if tl > lvl:
                                lvl = tl
                                r_lvl = REASON_TRAILING
                        tp_lvl = entry_ref[j] * (1.0 + tp) if tp > 0.0 else np.inf
                        if o <= lvl:
                            fill, reason = o, r_lvl
                        elif o >= tp_lvl:
                            fill, reason = o, REASON_TAKE_PROFIT
                        elif lo <= lvl:
                            fill, reason = lvl, r_lvl
                        elif h >= tp_lvl:
                            fill, reason = tp_lvl, REASON_TAKE_PROFIT
                        else:
                            extreme[j] = max(extreme[j], h)
                            if trail > 0.0 and c <= extreme[j] * (1.0 - trail):
                                fill, reason = extreme[j] * (1.0 - trail), REASON_TRAILING
                    else:
                        lvl = np.inf
                        r_lvl = REASON_STOP_LOSS
                        if sl > 0.0:
                            lvl = entry_ref[j] * (1.0 + sl)
                        if trail > 0.0:
                            tl = min(extreme[j], o) * (1.0 + trail)
                            if tl < lvl:
                                lvl = tl
                                r_lvl = REASON_TRAILING
                        tp_lvl = entry_ref[j] * (1.0 - tp) if tp > 0.0 else -np.inf
                        if o >= lvl:
                            fill, reason = o, r_lvl
                        elif o <= tp_lvl:
                            fill, reason = o, REASON_TAKE_PROFIT
                        elif h >= lvl:
                            fill, reason = lvl, r_lvl
                        elif lo <= tp_lvl:
                            fill, reason = tp_lvl, REASON_TAKE_PROFIT
                        else:
                            extreme[j] = min(extreme[j], lo)
                            if trail > 0.0 and c >= extreme[j] * (1.0 + trail):
                                fill, reason = extreme[j] * (1.0 + trail), REASON_TRAILING
                    if not math.isnan(fill):
                        q = abs(p)
                        side = -1 if p > 0.0 else 1
                        px = fill * (1.0 + side * slip)
                        if ticks:
                            px = on_tick(px, side, tick)
                        fee = fee_of(q, px, cfg)
                        cash = settle(cash, side, q, px, fee)
                        pos[j] = 0.0
                        n_trips += 1
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
                            reason,
                        )

                continue
            if t == 0 or (exec_open and not has_open):
                continue
            # market orders for bar t - 1's signals: pass A decides and closes, pass B opens
            s = t - 1
            n_open = 0
            for j in range(k):
                ref = open_[t, j] if exec_open else close[t, j]
                last_px[j] = ref
                a_le = le[s, j]
                a_lx = lx[s, j]
                a_se = se[s, j] if shorts else False
                a_sx = sx[s, j] if shorts else False
                open_dir[j] = 0
                close_flag[j] = False
                if not (a_le or a_lx or a_se or a_sx):
                    continue
                if a_le and a_lx:
                    a_le = False
                    a_lx = False
                if a_se and a_sx:
                    a_se = False
                    a_sx = False
                if a_le and a_se:
                    a_le = False
                    a_se = False
                p = pos[j]
                close_flag[j] = (p > 0.0 and (a_lx or a_se)) or (p < 0.0 and (a_sx or a_le))
                if a_le and (p <= 0.0):
                    open_dir[j] = 1
                    n_open += 1
                elif a_se and (p >= 0.0):
                    open_dir[j] = -1
                    n_open += 1
                if close_flag[j]:
                    q = abs(p)
                    side = -1 if p > 0.0 else 1
                    px = ref * (1.0 + side * slip)
                    if ticks:
                        px = on_tick(px, side, tick)
                    fee = fee_of(q, px, cfg)
                    cash = settle(cash, side, q, px, fee)
                    pos[j] = 0.0
                    n_trips += 1
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
                        REASON_SIGNAL,
                    )
            if n_open == 0:
                continue
            for j in range(k):
                d = open_dir[j]
                if d == 0 or pos[j] != 0.0:
                    continue
                ref = last_px[j]
                px = ref * (1.0 + d * slip)
                if ticks:
                    px = on_tick(px, d, tick)
                equity = cash
                if st == SIZE_PERCENT or st == SIZE_TARGET_VOL:
                    for i in range(k):
                        if pos[i] != 0.0:
                            equity += pos[i] * (last_px[i] if i != j else ref)
                cap = affordable_qty(cash, px, cfg)
                if st == SIZE_AMOUNT:
                    q = cap if math.isinf(size) else size
                elif st == SIZE_VALUE:
                    q = size / ref
                elif st == SIZE_PERCENT:
                    q = size * equity / ref
                else:
                    sig = vol[s, j]
                    q = size / sig * equity / ref if sig > 0.0 else 0.0
                if d > 0 or math.isinf(size):
                    q = min(q, cap)
                q = floor_lot(q, cfg[C_LOT])
                if not q > 0.0:
                    continue
                fee = fee_of(q, px, cfg)
                cash = settle(cash, d, q, px, fee)
                pos[j] = d * q
                entry_ref[j] = ref
                extreme[j] = ref
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
                    d,
                    q,
                    px,
                    fee,
                    REASON_SIGNAL,
                )
        if with_value:
            v = cash
            for j in range(k):
                if pos[j] != 0.0:
                    v += pos[j] * close[t, j]
            value_out[t] = v
    v = cash
    for j in range(k):
        if pos[j] != 0.0:
            v += pos[j] * close[n - 1, j]
    return n_orders, n_trips, v


@nb.njit(cache=True)
def signals_group(
    close: F8,
    open_: F8,
    high: F8,
    low: F8,
    le: npt.NDArray[np.bool_],
    lx: npt.NDArray[np.bool_],
    se: npt.NDArray[np.bool_],
    sx: npt.NDArray[np.bool_],
    vol: F8,
    cfg: F8,
    exec_open: bool,
    col0: int,
    rec: tuple[I8, I8, I8, F8, F8, F8, I8],
    value_out: F8,
) -> tuple[int, int, float]:
    """:func:`simulate` with the options as run-time values (stops from ``cfg``, shorts and
    the equity curve always on): the grid's per-pair simulator."""
    stops = cfg[C_SL] > 0.0 or cfg[C_TP] > 0.0 or cfg[C_TRAIL] > 0.0
    return simulate(
        close, open_, high, low, le, lx, se, sx, vol, cfg, col0, rec, value_out,
        exec_open, stops, True, True, cfg[C_TICK] > 0.0,
    )  # fmt: skip


def _specialise(exec_open: bool, stops: bool, shorts: bool, ticks: bool) -> tuple[Any, Any]:
    """One group kernel and one per-column (parallel) kernel with the flags compiled in."""

    @nb.njit(cache=True)
    def group(
        close: F8,
        open_: F8,
        high: F8,
        low: F8,
        le: npt.NDArray[np.bool_],
        lx: npt.NDArray[np.bool_],
        se: npt.NDArray[np.bool_],
        sx: npt.NDArray[np.bool_],
        vol: F8,
        cfg: F8,
        rec: tuple[I8, I8, I8, F8, F8, F8, I8],
    ) -> tuple[int, int, float]:
        return simulate(
            close, open_, high, low, le, lx, se, sx, vol, cfg, 0, rec, vol[:0, 0],
            exec_open, stops, shorts, False, ticks,
        )  # fmt: skip

    @nb.njit(cache=True, parallel=True)
    def columns(
        close: F8,
        open_: F8,
        high: F8,
        low: F8,
        le: npt.NDArray[np.bool_],
        lx: npt.NDArray[np.bool_],
        se: npt.NDArray[np.bool_],
        sx: npt.NDArray[np.bool_],
        vol: F8,
        cfg: F8,
        rec_start: I8,
        rec: tuple[I8, I8, I8, F8, F8, F8, I8],
    ) -> tuple[I8, I8, F8]:
        m = close.shape[1]
        counts = np.zeros(m, dtype=np.int64)
        trips = np.zeros(m, dtype=np.int64)
        final = np.zeros(m)
        has_open = open_.shape[0] > 0
        has_hl = high.shape[0] > 0
        has_vol = vol.shape[0] > 0
        for j in nb.prange(m):
            a, b = rec_start[j], rec_start[j + 1]
            part = (
                rec[0][a:b], rec[1][a:b], rec[2][a:b], rec[3][a:b], rec[4][a:b], rec[5][a:b],
                rec[6][a:b],
            )  # fmt: skip
            c, r, v = simulate(
                close[:, j : j + 1],
                open_[:, j : j + 1] if has_open else open_[:, 0:0],
                high[:, j : j + 1] if has_hl else high[:, 0:0],
                low[:, j : j + 1] if has_hl else low[:, 0:0],
                le[:, j : j + 1],
                lx[:, j : j + 1],
                se[:, j : j + 1],
                sx[:, j : j + 1],
                vol[:, j : j + 1] if has_vol else vol[:, 0:0],
                cfg,
                j,
                part,
                close[:0, 0],
                exec_open,
                stops,
                shorts,
                False,
                ticks,
            )
            counts[j] = c
            trips[j] = r
            final[j] = v
        return counts, trips, final

    return group, columns


SIGNAL_KERNELS = {
    (eo, st, sh, tk): _specialise(eo, st, sh, tk)
    for eo in (False, True)
    for st in (False, True)
    for sh in (False, True)
    for tk in (False, True)
}
"""``(exec_open, stops, shorts, ticks)`` -> (group kernel, per-column kernel); compiled on
first use; equity is replayed."""


@nb.njit(cache=True)
def replay(
    close: F8,
    group_of_col: I8,
    n_groups: int,
    init_cash: float,
    o_col: I8,
    o_bar: I8,
    o_side: I8,
    o_qty: F8,
    o_px: F8,
    o_fee: F8,
) -> tuple[F8, F8]:
    """(value (bars, groups), positions (bars, columns)) of a signal run from its orders.

    Orders are in the simulator's emission order within each group. A signal run's fill either
    closes a position (back to 0) or opens one from flat, and cash moves by :func:`settle`
    like in :func:`simulate`, so the replay reproduces the simulator's figures exactly.
    """
    n, m = close.shape
    n_ord = o_col.shape[0]
    # orders of each group in emission order (stable counting sort by group)
    g_count = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n_ord):
        g_count[group_of_col[o_col[i]] + 1] += 1
    ptr = np.cumsum(g_count)
    end = ptr[1:].copy()
    order = np.empty(n_ord, dtype=np.int64)
    fill = ptr[:-1].copy()
    for i in range(n_ord):
        g = group_of_col[o_col[i]]
        order[fill[g]] = i
        fill[g] += 1
    nxt = ptr[:-1].copy()
    cash = np.full(n_groups, init_cash)
    pos = np.zeros(m)
    value = np.empty((n, n_groups))
    positions = np.empty((n, m))
    for t in range(n):
        for g in range(n_groups):
            while nxt[g] < end[g] and o_bar[order[nxt[g]]] == t:
                i = order[nxt[g]]
                j = o_col[i]
                side = o_side[i]
                cash[g] = settle(cash[g], side, o_qty[i], o_px[i], o_fee[i])
                pos[j] = 0.0 if pos[j] != 0.0 else side * o_qty[i]
                nxt[g] += 1
            value[t, g] = cash[g]
        for j in range(m):
            if pos[j] != 0.0:
                value[t, group_of_col[j]] += pos[j] * close[t, j]
            positions[t, j] = pos[j]
    return value, positions
