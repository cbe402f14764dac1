"""Range-position oscillators: stochastics (slow, fast, of RSI), Williams %R, and Aroon (how
long ago the window's extremes were; registered in the ``trend`` category, as in TA-Lib).

Outputs are in percent points. A flat window (highest == lowest) gives 0, as in TA-Lib.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.momentum import _wilder_osc
from nautilus.features.price_levels import fused_levels, max4, min4
from nautilus.features.primitives import (
    EXTREMES_BLOCK,
    NAN,
    SHORT_CALL,
    first_full,
    nonfinite,
    scan_arg_extreme,
    scan_extremes,
    window_arg_extreme,
    window_extremes,
)

PERIOD_MAX = 100_000


def _period(default: int, lo: int = 2) -> int:
    return Field(default, ge=lo, le=PERIOD_MAX, description="window length in bars")  # type: ignore[no-any-return]


# --- Stochastics ---------------------------------------------------------------------------


class StochConfig(FrozenConfig):
    """Slow stochastic (TA-Lib STOCH with SMA smoothing): fast %K over ``fastk_period`` bars,
    slow %K = SMA(fast %K, ``slowk_period``), slow %D = SMA(slow %K, ``slowd_period``).

    A flat window (highest == lowest) gives fast %K = 0. Warm-up:
    ``fastk_period + slowk_period + slowd_period - 3`` leading NaNs. Units: percent points.
    """

    fastk_period: int = _period(5, 1)
    slowk_period: int = _period(3, 1)
    slowd_period: int = _period(3, 1)


STOCH_BLOCK = 1024
"""Bars per block of the stochastic kernels (their scratch stays in L1)."""


@njit(cache=True, inline="always")
def _position(x, i, n, willr):  # type: ignore[no-untyped-def]
    """Fast %K (or Williams %R) of bar ``i`` by a direct scan of its window; the same
    arithmetic as :func:`_range_position`."""
    h, low = scan_extremes(x[0], x[1], i, n)
    diff = h - low
    num = x[2][i] - (h if willr else low)
    return (num * 100.0) / diff if diff != 0.0 else 0.0


@njit(cache=True, inline="always")
def _push(carry, k, v):  # type: ignore[no-untyped-def]
    """Append ``v`` to the ``k`` newest values ``carry`` (oldest first), dropping the oldest."""
    for q in range(k - 1):
        carry[q] = carry[q + 1]
    if k > 0:
        carry[k - 1] = v


@njit(cache=True)
def _range_position(x, b0, b1, n, dst, hi, ll, t1, t2, willr):  # type: ignore[no-untyped-def]
    """``dst[j]`` for bar ``b0 + j`` (``j < b1 - b0``, full windows of ``n`` bars): fast %K,
    100 (close - lowest) / (highest - lowest), or Williams %R, 100 (close - highest) / (highest
    - lowest); 0 for a flat window. One division per bar (TA-Lib divides twice, by the range
    / 100; an ulp apart). For more than 8 bars the last doubling and pass of the window
    extremes (:func:`~nautilus.features.price_levels.fused_levels`) are fused with the
    division (the divider then works alongside the max/min); ``hi``/``ll`` and ``t1``/``t2``
    are scratch of ``b1 - b0`` and ``b1 - b0 + n`` values, and ``hi``/``ll`` also serve as
    the second pair of doubling buffers (``b1 - b0 + n`` values then). Returns True if an
    input of the bars ``b0..b1-1`` may be non-finite."""
    m = b1 - b0
    cs, hb, lb = x[2][b0:b1], x[0][b0:b1], x[1][b0:b1]
    bad = False
    if m <= 8:
        window_extremes(x[0], x[1], b0, b1, n, hi, ll, t1, t2)
        for j in range(m):
            diff = hi[j] - ll[j]
            num = cs[j] - (hi[j] if willr else ll[j])
            bad |= nonfinite(hb[j] + lb[j] + cs[j])
            dst[j] = (num * 100.0) / diff if diff != 0.0 else 0.0
        return bad
    hc, w, s = fused_levels(x[0], b0, b1, n, t1, t2, True)
    lc, _, _ = fused_levels(x[1], b0, b1, n, hi, ll, False)
    h1, h2, h3, l1, l2, l3 = hc[w:], hc[s:], hc[s + w :], lc[w:], lc[s:], lc[s + w :]
    for j in range(m):
        h = max4(hc[j], h1[j], h2[j], h3[j])
        low = min4(lc[j], l1[j], l2[j], l3[j])
        diff = h - low
        num = cs[j] - (h if willr else low)
        bad |= nonfinite(hb[j] + lb[j] + cs[j])
        dst[j] = (num * 100.0) / diff if diff != 0.0 else 0.0
    return bad


@njit(cache=True, inline="always")
def _fastk_block(x, b0, b1, tb, fk, kb, hk, hi, ll, t1, t2):  # type: ignore[no-untyped-def]
    """Fast %K of the bars ``b0..b1`` (``tb`` = bar number of ``b0``) that have a full window
    into ``kb[hk + j]`` (``j = i - b0``); returns the first such ``j``."""
    w = b1 - b0
    j0 = min(w, max(0, fk - 1 - tb))
    if j0 < w:
        # 100 * (close - lowest) / (highest - lowest): one division per bar (TA-Lib divides
        # twice, by (highest - lowest) / 100); differs by an ulp, and vectorises
        _range_position(x, b0 + j0, b1, fk, kb[hk + j0 :], hi, ll, t1, t2, False)
    return j0


@njit(cache=True, inline="always")
def _fastd_bar(kcarry, hd, kv, dsum, t, lb, inv):  # type: ignore[no-untyped-def]
    """One bar of %D as TA-Lib orders it (add the new %K, average, then drop the oldest):
    returns (%K or NaN, %D or NaN, the new running sum) and pushes %K into ``kcarry``.
    (%K is the fast %K for stochf/stochrsi, the slow %K for stoch.)"""
    r0 = r1 = NAN
    dsum += kv
    if t >= lb:
        r0 = kv
        r1 = dsum * inv
        dsum -= kcarry[0] if hd > 0 else kv
    _push(kcarry, hd, kv)
    return r0, r1, dsum


@njit(cache=True, inline="always")
def _fastd_block(kb, hd, j0, w, tb, lb, inv, dsum, o0, o1, kcarry):  # type: ignore[no-untyped-def]
    """A block of %K (``kb[hd:]``, after the carried ``hd``) to %K/%D outputs, as
    :func:`_fastd_bar` bar by bar; bars before ``j0`` are NaN. Returns the running sum and
    carries the last ``hd`` %K into ``kcarry``."""
    kn = kb[hd:]
    for j in range(j0):
        o0[j] = NAN
        o1[j] = NAN
    for j in range(j0, w):
        kv = kn[j]
        dsum += kv
        if tb + j >= lb:
            o0[j] = kv
            o1[j] = dsum * inv
            dsum -= kb[j]
        else:
            o0[j] = NAN
            o1[j] = NAN
    for q in range(hd):
        kcarry[q] = kb[w + q]
    return dsum


@njit(cache=True)
def stoch_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fk, sk, sd = int(p[0]), int(p[1]), int(p[2])
    hk, hd = sk - 1, sd - 1
    inv_k, inv_d = 1.0 / sk, 1.0 / sd
    seen = int(st[0])
    k1 = fk + sk - 2  # first bar with a slow %K
    lb = k1 + sd - 1  # first bar with a slow %D (the lookback)
    # state: st[1]/st[2] the running sums of the two SMAs (TA-Lib's order: add the new value,
    # average, drop the oldest), then the last sk - 1 fast %K and sd - 1 slow %K, oldest first
    ksum, dsum = st[1], st[2]
    kcarry = st[3 : 3 + hk]
    scarry = st[3 + hk : 3 + hk + hd]
    if stop - start <= SHORT_CALL:
        # a streaming call: bar by bar, the block path's arithmetic without its scratch
        for i in range(start, stop):
            t = seen + i - start
            r0 = r1 = NAN
            if t >= fk - 1:
                kv = _position(x, i, fk, False)
                ksum += kv
                if t >= k1:
                    sv = ksum * inv_k
                    ksum -= kcarry[0] if hk > 0 else kv
                    r0, r1, dsum = _fastd_bar(scarry, hd, sv, dsum, t, lb, inv_d)
                _push(kcarry, hk, kv)
            out[0, i - start] = r0
            out[1, i - start] = r1
        st[1], st[2] = ksum, dsum
        st[0] += stop - start
        return
    m = min(stop - start, STOCH_BLOCK)
    kb, sb = np.empty(hk + m), np.empty(hd + m)
    hi, ll = np.empty(m + fk), np.empty(m + fk)
    t1, t2 = np.empty(m + fk), np.empty(m + fk)
    for b0 in range(start, stop, m):
        b1 = min(b0 + m, stop)
        w = b1 - b0
        tb = seen + b0 - start
        kb[:hk] = kcarry
        sb[:hd] = scarry
        j0 = _fastk_block(x, b0, b1, tb, fk, kb, hk, hi, ll, t1, t2)
        kn, sn = kb[hk:], sb[hd:]
        for j in range(j0, w):
            ksum += kn[j]
            if tb + j >= k1:
                sn[j] = ksum * inv_k
                ksum -= kb[j]
        o0 = out[0, b0 - start : b1 - start]
        o1 = out[1, b0 - start : b1 - start]
        js = min(w, max(j0, k1 - tb))
        dsum = _fastd_block(sb, hd, js, w, tb, lb, inv_d, dsum, o0, o1, scarry)
        for q in range(hk):
            kcarry[q] = kb[w + q]
    st[1], st[2] = ksum, dsum
    st[0] += stop - start


register(
    Indicator(
        "stoch",
        "momentum",
        ("high", "low", "close"),
        ("slowk", "slowd"),
        StochConfig,
        stoch_kernel,
        lambda c: 9 + c.slowk_period + c.slowd_period,
        lambda c: c.fastk_period + c.slowk_period + c.slowd_period - 3,
        history=lambda c: c.fastk_period - 1,
        talib="STOCH",
        row_inputs=True,
    )
)


class StochFConfig(FrozenConfig):
    """Fast stochastic (TA-Lib STOCHF): fast %K and fast %D = SMA(%K, ``fastd_period``).

    Warm-up: ``fastk_period + fastd_period - 2`` leading NaNs. Units: percent points.
    """

    fastk_period: int = _period(5, 1)
    fastd_period: int = _period(3, 1)


@njit(cache=True)
def stochf_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fk, fd = int(p[0]), int(p[1])
    hd = fd - 1
    inv_d = 1.0 / fd
    seen = int(st[0])
    lb = fk + fd - 2
    # state: st[1] the running %D sum, then the last fd - 1 fast %K, oldest first
    dsum = st[1]
    kcarry = st[2 : 2 + hd]
    if stop - start <= SHORT_CALL:
        for i in range(start, stop):
            t = seen + i - start
            r0 = r1 = NAN
            if t >= fk - 1:
                kv = _position(x, i, fk, False)
                r0, r1, dsum = _fastd_bar(kcarry, hd, kv, dsum, t, lb, inv_d)
            out[0, i - start] = r0
            out[1, i - start] = r1
        st[1] = dsum
        st[0] += stop - start
        return
    m = min(stop - start, STOCH_BLOCK)
    kb = np.empty(hd + m)
    hi, ll = np.empty(m + fk), np.empty(m + fk)
    t1, t2 = np.empty(m + fk), np.empty(m + fk)
    for b0 in range(start, stop, m):
        b1 = min(b0 + m, stop)
        w = b1 - b0
        tb = seen + b0 - start
        kb[:hd] = kcarry
        j0 = _fastk_block(x, b0, b1, tb, fk, kb, hd, hi, ll, t1, t2)
        o0 = out[0, b0 - start : b1 - start]
        o1 = out[1, b0 - start : b1 - start]
        dsum = _fastd_block(kb, hd, j0, w, tb, lb, inv_d, dsum, o0, o1, kcarry)
    st[1] = dsum
    st[0] += stop - start


register(
    Indicator(
        "stochf",
        "momentum",
        ("high", "low", "close"),
        ("fastk", "fastd"),
        StochFConfig,
        stochf_kernel,
        lambda c: 7 + c.fastd_period,
        lambda c: c.fastk_period + c.fastd_period - 2,
        history=lambda c: c.fastk_period - 1,
        talib="STOCHF",
        row_inputs=True,
    )
)


class StochRSIConfig(FrozenConfig):
    """Stochastic RSI (TA-Lib STOCHRSI, SMA %D): the fast stochastic of RSI(``timeperiod``).

    Warm-up: ``timeperiod + fastk_period + fastd_period - 2`` leading NaNs. Units: percent
    points.
    """

    timeperiod: int = _period(14)
    fastk_period: int = _period(5, 1)
    fastd_period: int = _period(3, 1)


SRSI_BLOCK = 1024
"""Bars per block of :func:`stochrsi_kernel` (its RSI and %K scratch stay in L1)."""


@njit(cache=True)
def stochrsi_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n, fk, fd = int(p[0]), int(p[1]), int(p[2])
    hk, hd = fk - 1, fd - 1
    inv_fd = 1.0 / fd
    seen = int(st[0])
    # state: st[1:4] RSI (bars, gain, loss), st[4] the running %D sum, then the last fk - 1
    # RSI values and the last fd - 1 %K values, oldest first (the windows' history)
    rsi = st[1:4]
    rsi[0] = seen
    rcarry = st[5 : 5 + hk]
    kcarry = st[5 + hk : 5 + hk + hd]
    dsum = st[4]
    k0 = n + fk - 1  # first bar with a %K
    lb = k0 + fd - 1  # first bar with a %D (the lookback)
    if stop - start <= SHORT_CALL:
        # a streaming call: the RSI goes to out[0] first, then bar by bar the block path's
        # arithmetic without its scratch
        _wilder_osc(x, start, stop, p, rsi, out[0:1], False)
        for i in range(start, stop):
            t = seen + i - start
            rv = out[0, i - start]
            r0 = r1 = NAN
            if t >= k0:
                h = low = rv
                for q in range(hk):
                    v = rcarry[q]
                    h = v if v >= h else h
                    low = v if v <= low else low
                diff = h - low
                kv = ((rv - low) * 100.0) / diff if diff != 0.0 else 0.0
                r0, r1, dsum = _fastd_bar(kcarry, hd, kv, dsum, t, lb, inv_fd)
            _push(rcarry, hk, rv)
            out[0, i - start] = r0
            out[1, i - start] = r1
        st[4] = dsum
        st[0] += stop - start
        return
    m = min(stop - start, SRSI_BLOCK)
    # per block: RSI of the bars after the carried RSI history, the window extremes of the RSI
    # (vectorised), %K with one division, then %D as a running sum in a register
    rb = np.empty((1, hk + m))
    kb = np.empty(hd + m)
    hi, lo = np.empty(m), np.empty(m)
    t1, t2 = np.empty(m + fk), np.empty(m + fk)
    rrow = rb[0]
    for b0 in range(start, stop, m):
        b1 = min(b0 + m, stop)
        w = b1 - b0
        tb = seen + b0 - start  # bar number of b0
        rrow[:hk] = rcarry
        kb[:hd] = kcarry
        _wilder_osc(x, b0, b1, p, rsi, rb[:, hk:], False)
        j0 = min(w, max(0, k0 - tb))  # first bar of the block with a %K
        if j0 < w:
            window_extremes(rrow, rrow, hk + j0, hk + w, fk, hi, lo, t1, t2)
            for j in range(w - j0):
                diff = hi[j] - lo[j]
                rv = rrow[hk + j0 + j]
                kb[hd + j0 + j] = ((rv - lo[j]) * 100.0) / diff if diff != 0.0 else 0.0
        o0 = out[0, b0 - start : b1 - start]
        o1 = out[1, b0 - start : b1 - start]
        dsum = _fastd_block(kb, hd, j0, w, tb, lb, inv_fd, dsum, o0, o1, kcarry)
        for q in range(hk):
            rcarry[q] = rrow[w + q]
    st[4] = dsum
    st[0] += stop - start


register(
    Indicator(
        "stochrsi",
        "momentum",
        ("close",),
        ("fastk", "fastd"),
        StochRSIConfig,
        stochrsi_kernel,
        lambda c: 3 + c.fastk_period + c.fastd_period,
        lambda c: c.timeperiod + c.fastk_period + c.fastd_period - 2,
        history=lambda c: 1,
        talib="STOCHRSI",
        row_inputs=True,
    )
)


# --- Williams %R ---------------------------------------------------------------------------


class WillRConfig(FrozenConfig):
    """Williams %R: -100 * (highest high - close)/(highest high - lowest low) (TA-Lib WILLR;
    a flat window gives 0).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: percent points, -100..0.
    """

    timeperiod: int = _period(14)


@njit(cache=True)
def willr_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    o = out[0]
    bad = False
    first = first_full(start, stop, int(st[0]), n)
    for i in range(start, first):
        bad |= nonfinite(x[0][i] + x[1][i] + x[2][i])
        o[i - start] = NAN
    if stop - first <= SHORT_CALL:
        for i in range(first, stop):
            bad |= nonfinite(x[0][i] + x[1][i] + x[2][i])
            o[i - start] = _position(x, i, n, True)
    else:
        m = min(stop - first, EXTREMES_BLOCK)
        hi, ll = np.empty(m + n), np.empty(m + n)
        t1, t2 = np.empty(m + n), np.empty(m + n)
        for b0 in range(first, stop, m):
            b1 = min(b0 + m, stop)
            dst = o[b0 - start : b1 - start]
            bad |= _range_position(x, b0, b1, n, dst, hi, ll, t1, t2, True)
    st[0] += stop - start
    return bad


register(
    Indicator(
        "willr",
        "momentum",
        ("high", "low", "close"),
        ("willr",),
        WillRConfig,
        willr_kernel,
        lambda c: 1,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod - 1,
        talib="WILLR",
        row_inputs=True,
        checks_finite=True,
    )
)


# --- Aroon ---------------------------------------------------------------------------------


class AroonConfig(FrozenConfig):
    """Aroon down/up (TA-Lib AROON): 100*(n - bars since the lowest low / highest high) over
    the last ``timeperiod + 1`` bars; ties go to the most recent bar.

    Warm-up: ``timeperiod`` leading NaNs. Units: percent points, 0..100.
    """

    timeperiod: int = _period(14)


class AroonOscConfig(AroonConfig):
    """Aroon oscillator = Aroon up - Aroon down (TA-Lib AROONOSC).

    Warm-up: ``timeperiod`` leading NaNs. Units: percent points, -100..100.
    """


AROON_BLOCK = 1024
"""Bars per block of the Aroon kernels (their scratch stays in L1)."""


@njit(cache=True)
def _aroon(x, start, stop, p, st, out, osc):  # type: ignore[no-untyped-def]
    n = int(p[0])
    factor = 100.0 / n
    first = first_full(start, stop, int(st[0]), n + 1)
    for i in range(start, first):
        for k in range(out.shape[0]):
            out[k, i - start] = NAN
    # bars since the highest high / lowest low of the last n + 1 bars (latest on ties, as
    # TA-Lib's tracking): a direct scan per bar on a short (streaming) call, else for a block
    # of bars at a time by vectorised doubling
    if stop - first <= SHORT_CALL:
        for i in range(first, stop):
            ah = scan_arg_extreme(x[0], i, n + 1, True)
            al = scan_arg_extreme(x[1], i, n + 1, False)
            if osc:
                out[0, i - start] = factor * (al - ah)
            else:
                out[0, i - start] = factor * (n - al)
                out[1, i - start] = factor * (n - ah)
    else:
        m = min(stop - first, AROON_BLOCK)
        dh, dl = np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64)
        tv1, tv2 = np.empty(m + n), np.empty(m + n)
        ti1, ti2 = np.empty(m + n, dtype=np.int64), np.empty(m + n, dtype=np.int64)
        for b0 in range(first, stop, m):
            b1 = min(b0 + m, stop)
            window_arg_extreme(x[0], b0, b1, n + 1, dh, tv1, ti1, tv2, ti2, True)
            window_arg_extreme(x[1], b0, b1, n + 1, dl, tv1, ti1, tv2, ti2, False)
            o0 = out[0, b0 - start : b1 - start]
            if osc:
                for j in range(b1 - b0):
                    o0[j] = factor * (dl[j] - dh[j])
            else:
                o1 = out[1, b0 - start : b1 - start]
                for j in range(b1 - b0):
                    o0[j] = factor * (n - dl[j])
                    o1[j] = factor * (n - dh[j])
    st[0] += stop - start


@njit(cache=True)
def aroon_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _aroon(x, start, stop, p, st, out, False)


@njit(cache=True)
def aroonosc_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _aroon(x, start, stop, p, st, out, True)


register(
    Indicator(
        "aroon",
        "trend",
        ("high", "low"),
        ("aroondown", "aroonup"),
        AroonConfig,
        aroon_kernel,
        lambda c: 5,
        lambda c: c.timeperiod,
        talib="AROON",
        row_inputs=True,
    )
)
register(
    Indicator(
        "aroonosc",
        "trend",
        ("high", "low"),
        ("aroonosc",),
        AroonOscConfig,
        aroonosc_kernel,
        lambda c: 5,
        lambda c: c.timeperiod,
        talib="AROONOSC",
        row_inputs=True,
    )
)
