"""Numba kernel turning order records into round-trip trades."""

from __future__ import annotations

import numba as nb
import numpy as np

from nautilus.backtest.vectorized.kernels import F8, I8


@nb.njit(cache=True)
def trades_from_orders(
    col: I8,
    bar: I8,
    side: I8,
    qty: F8,
    px: F8,
    fee: F8,
    last_close: F8,
    n_bars: int,
) -> tuple[I8, I8, I8, I8, F8, F8, F8, F8, F8, F8, F8]:
    """Round trips from orders sorted by (column, time).

    A trade opens when a column's position leaves zero and closes when it returns to zero (a
    fill that crosses zero closes the trade and opens the next with the remainder). Entry and
    exit prices are quantity-weighted averages; ``pnl = direction * (exit value - entry value)
    - fees``, ``return = pnl / entry value`` (vectorbt's convention). A trade still open at the
    end is marked at the column's last close with exit bar ``n_bars - 1`` and status 0.
    """
    m = col.shape[0]
    cap = m + 1
    t_col = np.empty(cap, dtype=np.int64)
    t_entry = np.empty(cap, dtype=np.int64)
    t_exit = np.empty(cap, dtype=np.int64)
    t_dir = np.empty(cap, dtype=np.int64)
    t_size = np.empty(cap)
    t_epx = np.empty(cap)
    t_xpx = np.empty(cap)
    t_fees = np.empty(cap)
    t_pnl = np.empty(cap)
    t_ret = np.empty(cap)
    t_closed = np.empty(cap)
    nt = 0
    i = 0
    while i < m:
        c = col[i]
        pos = 0.0
        e_q = 0.0
        e_v = 0.0
        x_q = 0.0
        x_v = 0.0
        fees = 0.0
        d = 0
        start = 0
        while i < m and col[i] == c:
            q = qty[i]
            sgn = side[i]
            f = fee[i]
            if pos == 0.0:
                d = sgn
                start = bar[i]
                e_q, e_v, x_q, x_v, fees = 0.0, 0.0, 0.0, 0.0, 0.0
            if sgn == d:
                e_q += q
                e_v += q * px[i]
                fees += f
                pos += sgn * q
            else:
                red = min(q, abs(pos))
                x_q += red
                x_v += red * px[i]
                fees += f * red / q
                pos += sgn * red
                if abs(pos) <= 1e-12 * max(e_q, 1.0):
                    pos = 0.0
                    ep = e_v / e_q
                    xp = x_v / x_q
                    pnl = d * (xp - ep) * e_q - fees
                    t_col[nt], t_entry[nt], t_exit[nt], t_dir[nt] = c, start, bar[i], d
                    t_size[nt], t_epx[nt], t_xpx[nt], t_fees[nt] = e_q, ep, xp, fees
                    t_pnl[nt], t_ret[nt], t_closed[nt] = pnl, pnl / (ep * e_q), 1.0
                    nt += 1
                    rest = q - red
                    if rest > 1e-12 * q:
                        if nt >= cap:
                            break
                        d = sgn
                        start = bar[i]
                        e_q, e_v, x_q, x_v = rest, rest * px[i], 0.0, 0.0
                        fees = f * rest / q
                        pos = sgn * rest
            i += 1
        if pos != 0.0 and nt < cap:
            ep = e_v / e_q
            open_q = abs(pos)
            # mark the open remainder at the last close; realised part at its fills
            xv = x_v + open_q * last_close[c]
            xp = xv / e_q
            pnl = d * (xp - ep) * e_q - fees
            t_col[nt], t_entry[nt], t_exit[nt], t_dir[nt] = c, start, n_bars - 1, d
            t_size[nt], t_epx[nt], t_xpx[nt], t_fees[nt] = e_q, ep, xp, fees
            t_pnl[nt], t_ret[nt], t_closed[nt] = pnl, pnl / (ep * e_q), 0.0
            nt += 1
    return (
        t_col[:nt],
        t_entry[:nt],
        t_exit[:nt],
        t_dir[:nt],
        t_size[:nt],
        t_epx[:nt],
        t_xpx[:nt],
        t_fees[:nt],
        t_pnl[:nt],
        t_ret[:nt],
        t_closed[:nt],
    )
