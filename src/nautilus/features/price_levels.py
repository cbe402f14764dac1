"""Price-level studies: volume-weighted averages (rolling VWMA, session VWAP) and the
midpoint/midprice of the rolling range.

All outputs are in price units. Kernels follow the contract in :mod:`nautilus.features.base`.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.time import NS_PER_DAY
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import (
    EXTREMES_BLOCK,
    NAN,
    SHORT_CALL,
    first_full,
    nonfinite,
    scan_extremes,
    window_extremes,
)

PERIOD_MAX = 100_000


# --- VWMA ----------------------------------------------------------------------------------


class VWMAConfig(FrozenConfig):
    """Volume-weighted moving average: sum(close*volume)/sum(volume) over the window.

    Warm-up: ``timeperiod - 1`` leading NaNs; a window with zero total volume gives NaN.
    Units: price.
    """

    timeperiod: int = Field(20, ge=2, le=PERIOD_MAX, description="window length in bars")


@njit(cache=True)
def vwma_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    c = x[0]
    vol = x[1]
    t0 = int(st[0]) - start
    spv, sv = st[1], st[2]
    for i in range(start, stop):
        t = t0 + i
        spv += c[i] * vol[i]
        sv += vol[i]
        if t >= n - 1:
            out[0, i - start] = spv / sv if sv != 0.0 else NAN
            j = i - n + 1
            spv -= c[j] * vol[j]
            sv -= vol[j]
        else:
            out[0, i - start] = NAN
    st[1], st[2] = spv, sv
    st[0] += stop - start


register(
    Indicator(
        "vwma",
        "overlap",
        ("close", "volume"),
        ("vwma",),
        VWMAConfig,
        vwma_kernel,
        lambda c: 3,
        lambda c: c.timeperiod - 1,
        row_inputs=True,
    )
)


# --- session VWAP --------------------------------------------------------------------------


class VWAPConfig(FrozenConfig):
    """Session VWAP of the typical price (high+low+close)/3, reset at every session start.

    Sessions are ``[offset + k*length, offset + (k+1)*length)`` in int ns UTC of the bar
    timestamp (e.g. length one day and offset 13:30 UTC for a US equity day). Warm-up: none
    (0 NaNs); a session with zero volume so far gives NaN. Units: price.
    """

    session_length_ns: int = Field(
        NS_PER_DAY, ge=1, le=366 * NS_PER_DAY, description="session length, ns"
    )
    session_offset_ns: int = Field(
        0, ge=0, le=366 * NS_PER_DAY, description="session start offset from the epoch grid, ns"
    )


class _SessionIndex:
    """Session number of each int-ns timestamp (exact in int64, then as float64).

    ``span`` is the same for one timestamp on Python ints, with the session's bounds
    ``[lo, hi)`` (a stream reuses the value until ``ts`` leaves them); for ``|ts| < 2**62``
    the int64 path cannot overflow, so the two agree exactly (floor division, then float64
    rounding to nearest)."""

    def __call__(self, ts: np.ndarray, cfg: VWAPConfig) -> np.ndarray:
        ts64 = np.asarray(ts, dtype=np.int64)
        return ((ts64 - cfg.session_offset_ns) // cfg.session_length_ns).astype(np.float64)

    @staticmethod
    def span(ts: int, cfg: VWAPConfig) -> tuple[float, int, int]:
        length, offset = cfg.session_length_ns, cfg.session_offset_ns
        k = (ts - offset) // length
        lo = offset + k * length
        return float(k), lo, lo + length


session_index = _SessionIndex()


@njit(cache=True)
def vwap_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    h, lo, c, vol, sess = x[0], x[1], x[2], x[3], x[4]
    cum_pv, cum_v, last = st[1], st[2], st[3]
    first = st[0] == 0
    for i in range(start, stop):
        if first or sess[i] != last:
            cum_pv = 0.0
            cum_v = 0.0
            last = sess[i]
            first = False
        tp = (h[i] + lo[i] + c[i]) / 3.0
        cum_pv += tp * vol[i]
        cum_v += vol[i]
        out[0, i - start] = cum_pv / cum_v if cum_v != 0.0 else NAN
    st[1], st[2], st[3] = cum_pv, cum_v, last
    st[0] += stop - start


register(
    Indicator(
        "vwap",
        "overlap",
        ("high", "low", "close", "volume", "ts"),
        ("vwap",),
        VWAPConfig,
        vwap_kernel,
        lambda c: 4,
        lambda c: 0,
        ts_transform=session_index,
        row_inputs=True,
    )
)


# --- MIDPOINT / MIDPRICE -------------------------------------------------------------------


class MidpointConfig(FrozenConfig):
    """(highest close + lowest close)/2 over the window (TA-Lib MIDPOINT).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """

    timeperiod: int = Field(14, ge=2, le=PERIOD_MAX, description="window length in bars")


@njit(cache=True, inline="always")
def _pair_max(a, b, dst, m):  # type: ignore[no-untyped-def]
    for j in range(m):
        x, y = a[j], b[j]
        dst[j] = x if x >= y else y


@njit(cache=True, inline="always")
def _pair_min(a, b, dst, m):  # type: ignore[no-untyped-def]
    for j in range(m):
        x, y = a[j], b[j]
        dst[j] = x if x <= y else y


@njit(cache=True, inline="always")
def max4(a, b, c, d):  # type: ignore[no-untyped-def]
    """max of four as a tree of ``>=`` selections (the comparisons every window max uses)."""
    a = a if a >= b else b
    c = c if c >= d else d
    return a if a >= c else c


@njit(cache=True, inline="always")
def min4(a, b, c, d):  # type: ignore[no-untyped-def]
    """min of four as a tree of ``<=`` selections."""
    a = a if a <= b else b
    c = c if c <= d else d
    return a if a <= c else c


@njit(cache=True, inline="always")
def _quad_max(a, b, c, d, dst, m):  # type: ignore[no-untyped-def]
    for j in range(m):
        dst[j] = max4(a[j], b[j], c[j], d[j])


@njit(cache=True, inline="always")
def _quad_min(a, b, c, d, dst, m):  # type: ignore[no-untyped-def]
    for j in range(m):
        dst[j] = min4(a[j], b[j], c[j], d[j])


@njit(cache=True, inline="always")
def fused_levels(row, b0, b1, n, t1, t2, highest):  # type: ignore[no-untyped-def]
    """:func:`~nautilus.features.primitives.window_levels` with two doublings per pass (one
    store per two levels) and the last doubling left to the caller: returns ``(cur, w, s)``
    such that the extreme over the ``n`` bars ending at bar ``b0 + j`` is the extreme, in the
    same tree of pairwise comparisons as :func:`window_extremes` (so bit for bit the same
    value, NaN included), of ``(cur[j], cur[j + w])`` and ``(cur[j + s], cur[j + s + w])``
    (``b1 - b0 > 8``; ``t1``/``t2`` scratch of ``b1 - b0 + n`` values)."""
    size = b1 - b0 + n - 1
    cur = row[b0 - n + 1 : b1]
    if n < 2:
        return cur, 0, 0
    w = 1
    k = 0
    while 8 * w <= n or 4 * w <= n:
        nxt = t1 if k % 2 == 0 else t2
        if 8 * w <= n:  # levels 2w and 4w: the 4w-window from two 2w-windows of two w-windows
            a, b, c, d = cur, cur[w:], cur[2 * w :], cur[3 * w :]
            if highest:
                _quad_max(a, b, c, d, nxt, size - 4 * w + 1)
            else:
                _quad_min(a, b, c, d, nxt, size - 4 * w + 1)
            w *= 4
        else:
            if highest:
                _pair_max(cur, cur[w:], nxt, size - 2 * w + 1)
            else:
                _pair_min(cur, cur[w:], nxt, size - 2 * w + 1)
            w *= 2
        cur = nxt
        k += 1
    return cur, w, n - 2 * w


@njit(cache=True)
def _midpoint_block(hrow, lrow, b0, b1, n, dst, hi, lo, t1, t2):  # type: ignore[no-untyped-def]
    """``dst[j]`` = (highest ``hrow`` + lowest ``lrow``) / 2 over the ``n`` bars ending at bar
    ``b0 + j``, the window extremes of :func:`fused_levels` (``hi``/``lo`` serve as the second
    pair of doubling buffers, ``b1 - b0 + n`` values); True if an input of the bars
    ``b0..b1-1`` may be non-finite."""
    m = b1 - b0
    hb, lb = hrow[b0:b1], lrow[b0:b1]
    bad = False
    if m <= 8:
        window_extremes(hrow, lrow, b0, b1, n, hi, lo, t1, t2)
        for j in range(m):
            bad |= nonfinite(hb[j] + lb[j])
            dst[j] = (hi[j] + lo[j]) / 2.0
        return bad
    hc, w, s = fused_levels(hrow, b0, b1, n, t1, t2, True)
    lc, _, _ = fused_levels(lrow, b0, b1, n, hi, lo, False)
    h0, h1, h2, h3 = hc, hc[w:], hc[s:], hc[s + w :]
    l0, l1, l2, l3 = lc, lc[w:], lc[s:], lc[s + w :]
    for j in range(m):
        h = max4(h0[j], h1[j], h2[j], h3[j])
        low = min4(l0[j], l1[j], l2[j], l3[j])
        bad |= nonfinite(hb[j] + lb[j])
        dst[j] = (h + low) / 2.0
    return bad


@njit(cache=True)
def midpoint_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    hrow = x[0]
    lrow = x[len(x) - 1]
    o = out[0]
    bad = False
    first = first_full(start, stop, int(st[0]), n)
    for i in range(start, first):
        bad |= nonfinite(hrow[i] + lrow[i])
        o[i - start] = NAN
    if stop - first <= SHORT_CALL:
        for i in range(first, stop):
            h, low = scan_extremes(hrow, lrow, i, n)
            bad |= nonfinite(hrow[i] + lrow[i])
            o[i - start] = (h + low) / 2.0
    else:
        m = min(stop - first, EXTREMES_BLOCK)
        hi, lo = np.empty(m + n), np.empty(m + n)
        t1, t2 = np.empty(m + n), np.empty(m + n)
        for b0 in range(first, stop, m):
            b1 = min(b0 + m, stop)
            dst = o[b0 - start : b1 - start]
            bad |= _midpoint_block(hrow, lrow, b0, b1, n, dst, hi, lo, t1, t2)
    st[0] += stop - start
    return bad


register(
    Indicator(
        "midpoint",
        "overlap",
        ("close",),
        ("midpoint",),
        MidpointConfig,
        midpoint_kernel,
        lambda c: 1,
        lambda c: c.timeperiod - 1,
        talib="MIDPOINT",
        row_inputs=True,
        checks_finite=True,
    )
)


class MidpriceConfig(MidpointConfig):
    """(highest high + lowest low)/2 over the window (TA-Lib MIDPRICE).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """


register(
    Indicator(
        "midprice",
        "overlap",
        ("high", "low"),
        ("midprice",),
        MidpriceConfig,
        midpoint_kernel,
        lambda c: 1,
        lambda c: c.timeperiod - 1,
        talib="MIDPRICE",
        row_inputs=True,
        checks_finite=True,
    )
)
