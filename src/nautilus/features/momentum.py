"""Momentum oscillators: RSI, CMO, stochastics, CCI, MFI, rate of change, Williams %R, ...

Oscillators are in percent points; ROC-style outputs say their unit in the docstring. TA-Lib
conventions are kept where TA-Lib has the indicator: a zero denominator (``|d| < 1e-8`` for
``TA_IS_ZERO``) yields 0, not NaN.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import (
    EPS_ZERO,
    NAN,
    first_full,
    is_zero,
    lead_to_align,
    nonfinite,
)

PERIOD_MAX = 100_000


def _period(default: int, lo: int = 2) -> int:
    return Field(default, ge=lo, le=PERIOD_MAX, description="window length in bars")  # type: ignore[no-any-return]


# --- RSI / CMO -----------------------------------------------------------------------------


class RSIConfig(FrozenConfig):
    """Wilder's relative strength index of ``close`` (TA-Lib RSI: gains and losses seeded with
    their simple average over the first ``timeperiod`` changes, then Wilder-smoothed).

    Warm-up: ``timeperiod`` leading NaNs. Units: percent points, 0..100 (0 when there is no
    movement at all).
    """

    timeperiod: int = _period(14)


@njit(cache=True, fastmath={"contract"})
def _wilder_osc(x, start, stop, p, st, out, cmo):  # type: ignore[no-untyped-def]
    n = int(p[0])
    a = (n - 1) / n
    b = 1.0 / n
    c = x[0]
    t0 = int(st[0]) - start
    gain, loss = st[1], st[2]
    for i in range(start, stop):
        t = t0 + i
        if t == 0:
            out[0, i - start] = NAN
            continue
        d = c[i] - c[i - 1]
        up = max(d, 0.0)
        dn = max(-d, 0.0)
        if t > n:
            # Wilder smoothing (g*(n-1) + up)/n written as g*a + up*b: no division on the
            # dependency chain (differs from TA-Lib's rounding by ~1e-16 relative)
            loss = loss * a + dn * b
            gain = gain * a + up * b
        else:
            loss += dn
            gain += up
            if t < n:
                out[0, i - start] = NAN
                continue
            loss /= n
            gain /= n
        s = gain + loss
        if is_zero(s):
            out[0, i - start] = 0.0
        elif cmo:
            out[0, i - start] = 100.0 * ((gain - loss) / s)
        else:
            out[0, i - start] = 100.0 * (gain / s)
    st[1], st[2] = gain, loss
    st[0] += stop - start


@njit(cache=True)
def rsi_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _wilder_osc(x, start, stop, p, st, out, False)


@njit(cache=True)
def cmo_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _wilder_osc(x, start, stop, p, st, out, True)


register(
    Indicator(
        "rsi",
        "momentum",
        ("close",),
        ("rsi",),
        RSIConfig,
        rsi_kernel,
        lambda c: 3,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="RSI",
        row_inputs=True,
    )
)


class CMOConfig(RSIConfig):
    """Chande momentum oscillator 100*(G-L)/(G+L) with TA-Lib's Wilder-smoothed gains/losses.

    Warm-up: ``timeperiod`` leading NaNs. Units: percent points, -100..100.
    """


register(
    Indicator(
        "cmo",
        "momentum",
        ("close",),
        ("cmo",),
        CMOConfig,
        cmo_kernel,
        lambda c: 3,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="CMO",
        row_inputs=True,
    )
)


# --- CCI -----------------------------------------------------------------------------------


class CCIConfig(FrozenConfig):
    """Commodity channel index of the typical price (TA-Lib CCI: mean absolute deviation,
    constant 0.015; the window sums are vectorised, so they differ from TA-Lib's by ulps).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: dimensionless (typically -300..300).
    """

    timeperiod: int = _period(14)


@njit(cache=True, fastmath={"reassoc", "contract"})
def _win_sum(win, n):  # type: ignore[no-untyped-def]
    """Sum of ``win[:n]`` (reassociated: LLVM vectorises it; the order depends on ``n`` only,
    so it is the same for every bar and every chunking)."""
    acc = 0.0
    for j in range(n):
        acc += win[j]
    return acc


@njit(cache=True, fastmath={"reassoc", "contract"})
def _win_absdev(win, avg, n):  # type: ignore[no-untyped-def]
    """Sum of ``|win[j] - avg|`` over ``j < n`` (reassociated, as :func:`_win_sum`)."""
    acc = 0.0
    for j in range(n):
        acc += math.fabs(win[j] - avg)
    return acc


@njit(cache=True)
def cci_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    h, lo, c = x[0], x[1], x[2]
    first = first_full(start, stop, int(st[0]), n)
    for i in range(start, first):
        out[0, i - start] = NAN
    inv_n = 1.0 / n
    k = 0.015 / n
    m = min(stop - first, 1024)
    if m > 0:
        # per block: the typical prices of the block and the n - 1 bars before it (one
        # vectorised pass), then per bar the window's mean and mean absolute deviation over a
        # contiguous slice, and one division (TA-Lib divides four times)
        tp = np.empty(m + n - 1)
        for b0 in range(first, stop, m):
            w = min(b0 + m, stop) - b0
            f0 = b0 - n + 1
            hs, ls, cs = h[f0 : b0 + w], lo[f0 : b0 + w], c[f0 : b0 + w]
            for q in range(w + n - 1):
                tp[q] = (hs[q] + ls[q] + cs[q]) / 3
            dst = out[0, b0 - start : b0 - start + w]
            for j in range(w):
                win = tp[j : j + n]
                avg = _win_sum(win, n) * inv_n
                dev = _win_absdev(win, avg, n)
                d = win[n - 1] - avg
                dst[j] = d / (dev * k) if d != 0.0 and dev != 0.0 else 0.0
    st[0] += stop - start


register(
    Indicator(
        "cci",
        "momentum",
        ("high", "low", "close"),
        ("cci",),
        CCIConfig,
        cci_kernel,
        lambda c: 1,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod - 1,
        talib="CCI",
        row_inputs=True,
    )
)


# --- MFI -----------------------------------------------------------------------------------


class MFIConfig(FrozenConfig):
    """Money flow index (TA-Lib MFI): 100 * positive flow / total flow over the window, money
    flow = typical price * volume. A total flow below 1.0 gives 0 (TA-Lib's guard).

    Warm-up: ``timeperiod`` leading NaNs. Units: percent points.
    """

    timeperiod: int = _period(14)


@njit(cache=True)
def mfi_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    h, lo, c, v = x[0], x[1], x[2], x[3]
    o = out[0]
    t0 = int(st[0]) - start
    pos, neg = st[1], st[2]
    # the flows of the last n bars in rings (bar t in slot t % n), so each bar's typical price
    # and flow are computed once
    ring_pos = st[3 : 3 + n]
    ring_neg = st[3 + n : 3 + 2 * n]
    slot = (t0 + start) % n
    prev_tp = (h[start - 1] + lo[start - 1] + c[start - 1]) / 3.0 if t0 + start > 0 else 0.0
    for i in range(start, stop):
        t = t0 + i
        tp = (h[i] + lo[i] + c[i]) / 3.0
        if t == 0:
            o[i - start] = NAN
            prev_tp = tp
            slot = 1 % n
            continue
        if t > n:
            pos -= ring_pos[slot]
            neg -= ring_neg[slot]
        d = tp - prev_tp
        mf = tp * v[i]
        a = mf if d > 0 else 0.0
        b = mf if d < 0 else 0.0
        ring_pos[slot] = a
        ring_neg[slot] = b
        pos += a
        neg += b
        prev_tp = tp
        slot += 1
        if slot == n:
            slot = 0
        if t < n:
            o[i - start] = NAN
            continue
        s = pos + neg
        o[i - start] = 0.0 if s < 1.0 else 100.0 * (pos / s)
    st[1], st[2] = pos, neg
    st[0] += stop - start


register(
    Indicator(
        "mfi",
        "momentum",
        ("high", "low", "close", "volume"),
        ("mfi",),
        MFIConfig,
        mfi_kernel,
        lambda c: 3 + 2 * c.timeperiod,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="MFI",
        row_inputs=True,
    )
)


# --- ROC family / MOM ----------------------------------------------------------------------


@njit(cache=True, inline="always")
def _change_into(cur, prev, dst, mode):  # type: ignore[no-untyped-def]
    """``dst[j]`` = the change from ``prev[j]`` to ``cur[j]``; True if a ``cur`` is not finite."""
    bad = False
    for j in range(dst.shape[0]):
        c, q = cur[j], prev[j]
        bad |= nonfinite(c)
        if mode == 0:
            dst[j] = c - q
        elif mode == 1:
            dst[j] = ((c / q) - 1.0) * 100.0 if q != 0.0 else 0.0
        elif mode == 2:
            dst[j] = (c - q) / q if q != 0.0 else 0.0
        else:
            dst[j] = c / q if q != 0.0 else 0.0
    return bad


@njit(cache=True, inline="always")
def _change_kernel(x, start, stop, p, st, out, mode):  # type: ignore[no-untyped-def]
    """Vectorised loops, the first up to a 64-byte aligned ``cur`` (split loads are slower)."""
    n, o, bad = int(p[0]), out[0], False
    first = min(stop, max(start, start + n - int(st[0])))
    for i in range(start, first):
        o[i - start] = NAN
        bad |= nonfinite(x[0][i])
    cur, prev, dst = x[0][first:stop], x[0][first - n : stop - n], o[first - start : stop - start]
    k = min(stop - first, lead_to_align(cur))
    bad |= _change_into(cur[:k], prev[:k], dst[:k], mode)
    bad |= _change_into(cur[k:], prev[k:], dst[k:], mode)
    st[0] += stop - start
    return bad


@njit(cache=True)
def mom_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    return _change_kernel(x, start, stop, p, st, out, 0)


@njit(cache=True)
def roc_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    return _change_kernel(x, start, stop, p, st, out, 1)


@njit(cache=True)
def rocp_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    return _change_kernel(x, start, stop, p, st, out, 2)


@njit(cache=True)
def rocr_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    return _change_kernel(x, start, stop, p, st, out, 3)


class MOMConfig(FrozenConfig):
    """Momentum ``close_t - close_{t-n}`` (TA-Lib MOM).

    Warm-up: ``timeperiod`` leading NaNs. Units: price.
    """

    timeperiod: int = _period(10, 1)


class ROCConfig(FrozenConfig):
    """Rate of change ``(close_t/close_{t-n} - 1) * 100`` (TA-Lib ROC; 0 if the old close is 0).

    Warm-up: ``timeperiod`` leading NaNs. Units: percent.
    """

    timeperiod: int = _period(10, 1)


class ROCPConfig(FrozenConfig):
    """Rate of change as a fraction ``(close_t - close_{t-n}) / close_{t-n}`` (TA-Lib ROCP).

    Warm-up: ``timeperiod`` leading NaNs. Units: fraction (0.01 = 1%).
    """

    timeperiod: int = _period(10, 1)


class ROCRConfig(FrozenConfig):
    """Price ratio ``close_t / close_{t-n}`` (TA-Lib ROCR).

    Warm-up: ``timeperiod`` leading NaNs. Units: ratio.
    """

    timeperiod: int = _period(10, 1)


for _name, _cfg, _k, _ta in (
    ("mom", MOMConfig, mom_kernel, "MOM"),
    ("roc", ROCConfig, roc_kernel, "ROC"),
    ("rocp", ROCPConfig, rocp_kernel, "ROCP"),
    ("rocr", ROCRConfig, rocr_kernel, "ROCR"),
):
    register(
        Indicator(
            _name,
            "momentum",
            ("close",),
            (_name,),
            _cfg,
            _k,
            lambda c: 1,
            lambda c: c.timeperiod,
            talib=_ta,
            row_inputs=True,
            checks_finite=True,
        )
    )


# --- Ultimate oscillator -------------------------------------------------------------------


class UltOscConfig(FrozenConfig):
    """Ultimate oscillator (TA-Lib ULTOSC): buying pressure / true range over three windows,
    weighted 4:2:1 from the shortest to the longest window.

    Warm-up: ``max(periods)`` leading NaNs. Units: percent points.
    """

    timeperiod1: int = _period(7, 1)
    timeperiod2: int = _period(14, 1)
    timeperiod3: int = _period(28, 1)


@njit(cache=True, inline="always")
def _ult_terms(x, j):  # type: ignore[no-untyped-def]
    lo, hi, cy = x[1][j], x[0][j], x[2][j - 1]
    true_low = lo if lo < cy else cy
    bp = x[2][j] - true_low
    tr = hi - lo
    d = math.fabs(cy - hi)
    tr = d if d > tr else tr
    d = math.fabs(cy - lo)
    return bp, (d if d > tr else tr)


_ULT_SCALE = 100.0 / 7.0
ULT_BLOCK = 1024
"""Bars per block whose terms are computed in one vectorised pass (the scratch stays in L1)."""


@njit(cache=True, inline="always", fastmath={"contract"})
def _ult_out(s1, s2, s3, s4, s5, s6):  # type: ignore[no-untyped-def]
    """100/7 * (4*s1/s2 + 2*s3/s4 + s5/s6) over the common denominator: one division per bar
    instead of TA-Lib's four (a division costs more than the few products); TA-Lib's form
    (skipping windows whose true-range sum is ~0) when a sum is ~0 or the product of the
    three leaves the normal range. Differs from TA-Lib by a few ulps."""
    d24 = s2 * s4
    den = d24 * s6
    if min(min(s2, s4), s6) >= EPS_ZERO and den < 1e290:  # (then den >= 1e-24)
        return ((4.0 * s1 * s4 + 2.0 * s3 * s2) * s6 + s5 * d24) * _ULT_SCALE / den
    o = 0.0
    if not is_zero(s2):
        o += 4.0 * (s1 / s2)
    if not is_zero(s4):
        o += 2.0 * (s3 / s4)
    if not is_zero(s6):
        o += s5 / s6
    return 100.0 * (o / 7.0)


@njit(cache=True, inline="always")
def _ult_terms_into(hs, ls, cs, pcs, bp, tr, m):  # type: ignore[no-untyped-def]
    """Buying pressure and true range of bar ``j`` of the zero-based slices, ``j < m``
    (``pcs`` = the previous closes): no loop-carried value, so the loop vectorises."""
    for j in range(m):
        lo, hi, cy = ls[j], hs[j], pcs[j]
        true_low = lo if lo < cy else cy
        bp[j] = cs[j] - true_low
        r = hi - lo
        d = math.fabs(cy - hi)
        r = d if d > r else r
        d = math.fabs(cy - lo)
        tr[j] = d if d > r else r


@njit(cache=True, fastmath={"contract"})
def ultosc_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    a, b, c = int(p[0]), int(p[1]), int(p[2])
    if a > b:
        a, b = b, a
    if b > c:
        b, c = c, b
    if a > b:
        a, b = b, a
    per = (a, b, c)
    mx = c
    t0 = int(st[0]) - start
    bad = st[0] == 0 and stop > start and nonfinite(x[0][start] + x[1][start] + x[2][start])
    steady = min(stop, max(start, start + mx + 1 - int(st[0])))
    for i in range(start, steady):
        t = t0 + i
        out[0, i - start] = NAN
        if t == 0:
            continue
        bp, tr = _ult_terms(x, i)
        for k in range(3):
            if t >= mx - per[k] + 1:
                st[1 + 2 * k] += bp
                st[2 + 2 * k] += tr
        if t < mx:
            continue
        o = _ult_out(st[1], st[2], st[3], st[4], st[5], st[6])
        for k in range(3):
            bp, tr = _ult_terms(x, i - per[k] + 1)
            st[1 + 2 * k] -= bp
            st[2 + 2 * k] -= tr
        out[0, i - start] = o
    if steady < stop:
        # every window running: the terms of a block (and of the ``mx - 1`` bars before it,
        # which leave the windows) in a vectorised pass into scratch, then the six sums in
        # registers over zero-based indices (TA-Lib recomputes the leaving bars' terms)
        h, lo, cl = x[0], x[1], x[2]
        o0 = out[0]
        s1, s2, s3, s4, s5, s6 = st[1], st[2], st[3], st[4], st[5], st[6]
        m = min(stop - steady, ULT_BLOCK)
        bpb, trb = np.empty(m + mx - 1), np.empty(m + mx - 1)
        ja, jb = mx - a, mx - b  # offsets of the bars leaving the windows in the scratch
        for b0 in range(steady, stop, m):
            b1 = min(b0 + m, stop)
            f0 = b0 - mx + 1
            w = b1 - f0
            _ult_terms_into(h[f0:b1], lo[f0:b1], cl[f0:b1], cl[f0 - 1 : b1 - 1], bpb, trb, w)
            dst = o0[b0 - start : b1 - start]
            # zero-based views: the loop indexes them with ``j`` only (no wraparound checks)
            bpn, trn, bpa, tra = bpb[mx - 1 :], trb[mx - 1 :], bpb[ja:], trb[ja:]
            bpm, trm = bpb[jb:], trb[jb:]
            # each sum moves by (new term - leaving term): one addition on its loop-carried
            # chain (TA-Lib adds, then subtracts; the sums agree to a few ulps)
            for j in range(b1 - b0):
                bp = bpn[j]
                tr = trn[j]
                dst[j] = _ult_out(s1 + bp, s2 + tr, s3 + bp, s4 + tr, s5 + bp, s6 + tr)
                s1 += bp - bpa[j]
                s2 += tr - tra[j]
                s3 += bp - bpm[j]
                s4 += tr - trm[j]
                s5 += bp - bpb[j]
                s6 += tr - trb[j]
        st[1], st[2], st[3], st[4], st[5], st[6] = s1, s2, s3, s4, s5, s6
    st[0] += stop - start
    # all later terms enter the longest window's sums, which stay non-finite once one was
    return bad or nonfinite(st[5] + st[6])


register(
    Indicator(
        "ultosc",
        "momentum",
        ("high", "low", "close"),
        ("ultosc",),
        UltOscConfig,
        ultosc_kernel,
        lambda c: 7,
        lambda c: max(c.timeperiod1, c.timeperiod2, c.timeperiod3),
        talib="ULTOSC",
        row_inputs=True,
        checks_finite=True,
    )
)


# --- BOP -----------------------------------------------------------------------------------


class BOPConfig(FrozenConfig):
    """Balance of power ``(close - open)/(high - low)`` (TA-Lib BOP; 0 when high - low < 1e-8).

    Warm-up: none. Units: dimensionless, -1..1.
    """


@njit(cache=True)
def bop_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    op, hi, lo, cl = x[0][start:stop], x[1][start:stop], x[2][start:stop], x[3][start:stop]
    o, bad = out[0], False
    for j in range(stop - start):
        r = hi[j] - lo[j]
        bad |= nonfinite(op[j] + hi[j] + lo[j] + cl[j])
        o[j] = 0.0 if r < EPS_ZERO else (cl[j] - op[j]) / r
    st[0] += stop - start
    return bad


register(
    Indicator(
        "bop",
        "momentum",
        ("open", "high", "low", "close"),
        ("bop",),
        BOPConfig,
        bop_kernel,
        lambda c: 1,
        lambda c: 0,
        talib="BOP",
        row_inputs=True,
        checks_finite=True,
    )
)
