"""Overlap studies: moving averages and price bands that live on the price scale.

All outputs are in price units. Kernels follow the contract in :mod:`nautilus.features.base`.
"""

from __future__ import annotations

import math

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import (
    NAN,
    ema_step,
    fma,
    nonfinite,
    ring_push,
    ring_wma,
    sma_ring_step,
    wma_raw_step,
)

PERIOD_MAX = 100_000


class PeriodConfig(FrozenConfig):
    """A single look-back window in bars."""

    timeperiod: int = Field(30, ge=2, le=PERIOD_MAX, description="window length in bars")


# --- SMA -----------------------------------------------------------------------------------


class SMAConfig(PeriodConfig):
    """Simple moving average of ``close`` (TA-Lib SMA).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """


@njit(cache=True)
def sma_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    c = x[0]
    o = out[0]
    seen = int(st[0])
    total = st[1]
    first = min(stop, max(start, start + n - 1 - seen))
    for i in range(start, first):
        total += c[i]
        o[i - start] = NAN
    # TA-Lib's order of operations (values equal TA-Lib's exactly) over zero-based slices
    cur = c[first:stop]
    old = c[first - n + 1 : stop - n + 1]
    dst = o[first - start :]
    for j in range(stop - first):
        total += cur[j]
        dst[j] = total / n
        total -= old[j]
    st[1] = total
    st[0] += stop - start
    # every bar was added to the running sum, which stays NaN or infinite once one was not
    # finite (an infinity leaving the window leaves inf - inf = NaN)
    return nonfinite(total)


register(
    Indicator(
        "sma",
        "overlap",
        ("close",),
        ("sma",),
        SMAConfig,
        sma_kernel,
        lambda c: 2,
        lambda c: c.timeperiod - 1,
        talib="SMA",
        row_inputs=True,
        checks_finite=True,
    )
)


# --- EMA -----------------------------------------------------------------------------------


class EMAConfig(PeriodConfig):
    """Exponential moving average of ``close``, alpha = 2/(timeperiod+1), seeded with the SMA
    of the first ``timeperiod`` bars (TA-Lib EMA).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """


@njit(cache=True, fastmath={"contract"})
def ema_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    k = 2.0 / (n + 1)
    omk = 1.0 - k
    c = x[0]
    t0 = int(st[0]) - start
    prev = st[1]
    for i in range(start, stop):
        t = t0 + i
        v = c[i]
        if t >= n:
            # v*k + prev*(1-k): one fused multiply-add on the dependency chain
            prev = v * k + prev * omk
            out[0, i - start] = prev
        elif t == n - 1:
            prev = (prev + v) / n
            out[0, i - start] = prev
        else:
            prev += v
            out[0, i - start] = NAN
    st[1] = prev
    st[0] += stop - start


register(
    Indicator(
        "ema",
        "overlap",
        ("close",),
        ("ema",),
        EMAConfig,
        ema_kernel,
        lambda c: 2,
        lambda c: c.timeperiod - 1,
        history=lambda c: 0,
        talib="EMA",
        row_inputs=True,
    )
)


# --- WMA -----------------------------------------------------------------------------------


class WMAConfig(PeriodConfig):
    """Linearly weighted moving average of ``close`` (weight ``timeperiod`` on the newest bar;
    TA-Lib WMA).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """


@njit(cache=True)
def wma_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    c = x[0]
    o = out[0]
    seen = int(st[0])
    first = min(stop, max(start, start + n - seen))
    for i in range(start, first):
        o[i - start] = wma_raw_step(c, i, seen + i - start, n, st, 1)
    if first < stop:
        # TA-Lib's recurrence (sum of weighted values, sum of values) with the state in locals
        total, sub = st[1], st[2]
        inv = 1.0 / ((n * (n + 1)) >> 1)
        cs, old, dst = c[first:stop], c[first - n : stop - n], o[first - start :]
        for j in range(stop - first):
            v = cs[j]
            sub += v - old[j]
            vn = v * n
            dst[j] = (total + vn) * inv
            total += vn - sub
        st[1], st[2] = total, sub
    st[0] += stop - start


register(
    Indicator(
        "wma",
        "overlap",
        ("close",),
        ("wma",),
        WMAConfig,
        wma_kernel,
        lambda c: 4,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        talib="WMA",
        row_inputs=True,
    )
)


# --- DEMA / TEMA ---------------------------------------------------------------------------


class DEMAConfig(PeriodConfig):
    """Double EMA: 2*EMA - EMA(EMA), each EMA seeded with an SMA (TA-Lib DEMA).

    Warm-up: ``2*(timeperiod-1)`` leading NaNs. Units: price.
    """


@njit(cache=True, inline="always")
def _ema_warm(st, o, n, k, v, prev):  # type: ignore[no-untyped-def]
    """``ema_step`` at st[o], first keeping its last value in st[prev] once it runs."""
    if st[o] >= n:
        st[prev] = st[o + 1]
    return ema_step(st, o, n, k, v)


# Past the warm-up each EMA runs two bars at a time: e_t = (k x_t + (1-k) k x_{t-1}) +
# (1-k)^2 e_{t-2} (e_{t-1} expanded; a few ulps from the one-step form). Its loop-carried
# chain is a multiply and an add every *two* bars (the even and odd bars form two chains), which
# without FMA (the pure-Python twins in ``stream_py`` repeat these operations exactly) is the
# only way to shorten it; each EMA needs its two last values (and the last close: history 1).


@njit(cache=True)
def dema_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    k = 2.0 / (n + 1)
    c = x[0]
    o = out[0]
    i = start
    # st[1..4]: the two ``ema_step`` states; st[5], st[6]: each EMA's value one bar back
    while i < stop and st[3] < n + 1:  # warm-up: both EMAs seeded by ema_step
        e1 = _ema_warm(st, 1, n, k, c[i], 5)
        r = NAN
        if st[1] >= n:
            e2 = _ema_warm(st, 3, n, k, e1, 6)
            if st[3] >= n:
                r = 2.0 * e1 - e2
        o[i - start] = r
        i += 1
    if i < stop:
        omk = 1.0 - k
        kk = omk * k
        oo = omk * omk
        a1, b1, a2, b2 = st[2], st[5], st[4], st[6]
        cs, ps, dst = c[i:stop], c[i - 1 : stop - 1], o[i - start :]
        for j in range(stop - i):
            e1 = (k * cs[j] + kk * ps[j]) + oo * b1
            e2 = (k * e1 + kk * a1) + oo * b2
            b1, a1, b2, a2 = a1, e1, a2, e2
            dst[j] = 2.0 * e1 - e2
        st[2], st[5], st[4], st[6] = a1, b1, a2, b2
        st[1] += stop - i
        st[3] += stop - i
    st[0] += stop - start


register(
    Indicator(
        "dema",
        "overlap",
        ("close",),
        ("dema",),
        DEMAConfig,
        dema_kernel,
        lambda c: 7,
        lambda c: 2 * (c.timeperiod - 1),
        history=lambda c: 1,
        talib="DEMA",
        row_inputs=True,
    )
)


class TEMAConfig(PeriodConfig):
    """Triple EMA: 3*E1 - 3*E2 + E3 with E2 = EMA(E1), E3 = EMA(E2) (TA-Lib TEMA).

    Warm-up: ``3*(timeperiod-1)`` leading NaNs. Units: price.
    """


@njit(cache=True)
def tema_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    k = 2.0 / (n + 1)
    c = x[0]
    o = out[0]
    i = start
    # st[1..6]: the three ``ema_step`` states; st[7..9]: each EMA's value one bar back
    while i < stop and st[5] < n + 1:  # warm-up: the three EMAs seeded by ema_step
        e1 = _ema_warm(st, 1, n, k, c[i], 7)
        r = NAN
        if st[1] >= n:
            e2 = _ema_warm(st, 3, n, k, e1, 8)
            if st[3] >= n:
                e3 = _ema_warm(st, 5, n, k, e2, 9)
                if st[5] >= n:
                    r = 3.0 * e1 - 3.0 * e2 + e3
        o[i - start] = r
        i += 1
    if i < stop:
        omk = 1.0 - k
        kk = omk * k
        oo = omk * omk
        a1, b1, a2, b2, a3, b3 = st[2], st[7], st[4], st[8], st[6], st[9]
        cs, ps, dst = c[i:stop], c[i - 1 : stop - 1], o[i - start :]
        for j in range(stop - i):
            e1 = (k * cs[j] + kk * ps[j]) + oo * b1
            e2 = (k * e1 + kk * a1) + oo * b2
            e3 = (k * e2 + kk * a2) + oo * b3
            b1, a1, b2, a2, b3, a3 = a1, e1, a2, e2, a3, e3
            dst[j] = 3.0 * (e1 - e2) + e3
        st[2], st[7], st[4], st[8], st[6], st[9] = a1, b1, a2, b2, a3, b3
        st[1] += stop - i
        st[3] += stop - i
        st[5] += stop - i
    st[0] += stop - start


register(
    Indicator(
        "tema",
        "overlap",
        ("close",),
        ("tema",),
        TEMAConfig,
        tema_kernel,
        lambda c: 10,
        lambda c: 3 * (c.timeperiod - 1),
        history=lambda c: 1,
        talib="TEMA",
        row_inputs=True,
    )
)


# --- TRIMA ---------------------------------------------------------------------------------


class TRIMAConfig(PeriodConfig):
    """Triangular moving average of ``close``: an SMA of an SMA with window lengths
    ``ceil((n+1)/2)`` and ``floor((n+1)/2)`` (the triangular weights TA-Lib TRIMA uses).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """


@njit(cache=True)
def trima_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    if n % 2 == 0:
        a = n // 2
        b = n // 2 + 1
    else:
        a = (n + 1) // 2
        b = a
    c = x[0]
    o = out[0]
    t0 = int(st[0]) - start
    total = st[1]
    i = start
    # warm-up until the outer ring is full (st[2] counts inner values, ring at st[4:4+b])
    while i < stop and st[2] < b:
        t = t0 + i
        total += c[i]
        r = NAN
        if t >= a - 1:
            inner = total / a
            total -= c[i - a + 1]
            r = sma_ring_step(st, 2, b, inner)
        o[i - start] = r
        i += 1
    if i < stop:
        # sma_ring_step inlined: the ring position advances by one without a modulo
        cnt = int(st[2])
        pos = cnt % b
        outer = st[3]
        inv_a = 1.0 / a
        inv_b = 1.0 / b
        cs, old, dst, ring = c[i:stop], c[i - a + 1 : stop - a + 1], o[i - start :], st[4 : 4 + b]
        for j in range(stop - i):
            total += cs[j]
            inner = total * inv_a
            total -= old[j]
            ring[pos] = inner
            outer += inner
            r = outer * inv_b
            pos += 1
            if pos == b:
                pos = 0
            outer -= ring[pos]
            dst[j] = r
        st[2] = cnt + stop - i
        st[3] = outer
    st[1] = total
    st[0] += stop - start


register(
    Indicator(
        "trima",
        "overlap",
        ("close",),
        ("trima",),
        TRIMAConfig,
        trima_kernel,
        lambda c: 4 + c.timeperiod,
        lambda c: c.timeperiod - 1,
        history=lambda c: (c.timeperiod + 1) // 2,
        talib="TRIMA",
        row_inputs=True,
    )
)


# --- T3 ------------------------------------------------------------------------------------


class T3Config(FrozenConfig):
    """Tillson T3 of ``close``: six chained EMAs combined with the volume factor (TA-Lib T3;
    each EMA stage is seeded with the average of its first ``timeperiod`` inputs).

    Warm-up: ``6*(timeperiod-1)`` leading NaNs. Units: price.
    """

    timeperiod: int = Field(5, ge=2, le=PERIOD_MAX, description="window length in bars")
    vfactor: float = Field(0.7, ge=0.0, le=1.0, description="volume factor")


@njit(cache=True, fastmath={"contract"})  # each EMA step one fused multiply-add
def t3_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    vf = p[1]
    k = 2.0 / (n + 1.0)
    omk = 1.0 - k
    nk = n * k
    pm1 = n - 1
    tr = vf * vf
    c1 = -(tr * vf)
    c2 = 3.0 * (tr - c1)
    c3 = -6.0 * tr - 3.0 * (vf - c1)
    c4 = 1.0 + 3.0 * vf - c1 + 3.0 * tr
    # the EMAs are kept scaled, g_s = e_s / k**s: then e_s = k e_{s-1} + (1-k) e_s reads
    # g_s = g_{s-1} + (1-k) g_s, one FMA per EMA and bar (instead of a multiply and an FMA), a
    # seed (the SMA of n values of e_{s-1}) is sum(g_{s-1}) / (n k), and the output weights
    # take the powers of k (values a few ulps from TA-Lib's)
    d1, d2, d3, d4 = c1 * k**6, c2 * k**5, c3 * k**4, c4 * k**3
    t0 = int(st[0]) - start
    c = x[0]
    o = out[0]
    # st[1] = running seed sum, st[2..7] = g1..g6; once all six run, they stay in registers
    steady = min(stop, max(start, start + 6 * pm1 + 1 - int(st[0])))
    for i in range(start, steady):
        t = t0 + i
        v = c[i]
        r = NAN
        if t < n:
            st[1] += v
            if t == n - 1:
                st[2] = st[1] / nk
                st[1] = st[2]
        else:
            s = (t - 1) // pm1 + 1 if t <= 6 * pm1 else 7
            prev = v
            for j in range(min(s - 1, 6)):
                st[2 + j] = fma(omk, st[2 + j], prev)
                prev = st[2 + j]
            if s <= 6:
                st[1] += prev
                if t == s * pm1:
                    st[1 + s] = st[1] / nk
                    st[1] = st[1 + s]
            if t >= 6 * pm1:
                r = d1 * st[7] + d2 * st[6] + d3 * st[5] + d4 * st[4]
        o[i - start] = r
    if steady < stop:
        g1, g2, g3, g4, g5, g6 = st[2], st[3], st[4], st[5], st[6], st[7]
        cs, dst = c[steady:stop], o[steady - start :]
        for j in range(stop - steady):
            g1 = fma(omk, g1, cs[j])
            g2 = fma(omk, g2, g1)
            g3 = fma(omk, g3, g2)
            g4 = fma(omk, g4, g3)
            g5 = fma(omk, g5, g4)
            g6 = fma(omk, g6, g5)
            dst[j] = d1 * g6 + d2 * g5 + d3 * g4 + d4 * g3
        st[2], st[3], st[4], st[5], st[6], st[7] = g1, g2, g3, g4, g5, g6
    st[0] += stop - start


register(
    Indicator(
        "t3",
        "overlap",
        ("close",),
        ("t3",),
        T3Config,
        t3_kernel,
        lambda c: 8,
        lambda c: 6 * (c.timeperiod - 1),
        history=lambda c: 0,
        talib="T3",
        row_inputs=True,
    )
)


# --- HMA -----------------------------------------------------------------------------------


class HMAConfig(FrozenConfig):
    """Hull moving average of ``close``: WMA(2*WMA(n//2) - WMA(n), floor(sqrt(n))).

    Warm-up: ``timeperiod - 1 + floor(sqrt(timeperiod)) - 1`` leading NaNs. Units: price.
    """

    timeperiod: int = Field(20, ge=4, le=PERIOD_MAX, description="window length in bars")


@njit(cache=True)
def hma_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    half = n // 2
    sq = int(math.sqrt(n))
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        wh = wma_raw_step(x[0], i, t, half, st, 1)
        wf = wma_raw_step(x[0], i, t, n, st, 4)
        r = NAN
        if t >= n - 1:
            cnt = ring_push(st, 7, sq, 2.0 * wh - wf)
            if cnt >= sq:
                r = ring_wma(st, 7, sq)
        out[0, i - start] = r
    st[0] += stop - start


register(
    Indicator(
        "hma",
        "overlap",
        ("close",),
        ("hma",),
        HMAConfig,
        hma_kernel,
        lambda c: 8 + int(math.sqrt(c.timeperiod)),
        lambda c: c.timeperiod - 1 + int(math.sqrt(c.timeperiod)) - 1,
        history=lambda c: c.timeperiod - 1,
        row_inputs=True,
    )
)
