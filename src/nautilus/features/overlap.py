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
    is_zero,
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


@njit(cache=True)
def dema_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    k = 2.0 / (n + 1)
    c = x[0]
    o = out[0]
    i = start
    while i < stop and st[3] < n:  # warm-up: both EMAs seeded by ema_step
        e1 = ema_step(st, 1, n, k, c[i])
        r = NAN
        if st[1] >= n:
            e2 = ema_step(st, 3, n, k, e1)
            if st[3] >= n:
                r = 2.0 * e1 - e2
        o[i - start] = r
        i += 1
    if i < stop:
        # both EMAs running, in registers, as v*k + e*(1-k): two operations on each chain
        e1, e2 = st[2], st[4]
        omk = 1.0 - k
        cs, dst = c[i:stop], o[i - start :]
        for j in range(stop - i):
            e1 = cs[j] * k + e1 * omk
            e2 = e1 * k + e2 * omk
            dst[j] = 2.0 * e1 - e2
        st[2], st[4] = e1, e2
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
        lambda c: 5,
        lambda c: 2 * (c.timeperiod - 1),
        history=lambda c: 0,
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
    while i < stop and st[5] < n:  # warm-up: the three EMAs seeded by ema_step
        e1 = ema_step(st, 1, n, k, c[i])
        r = NAN
        if st[1] >= n:
            e2 = ema_step(st, 3, n, k, e1)
            if st[3] >= n:
                e3 = ema_step(st, 5, n, k, e2)
                if st[5] >= n:
                    r = 3.0 * e1 - 3.0 * e2 + e3
        o[i - start] = r
        i += 1
    if i < stop:
        # v*k + e*(1-k): two operations on each EMA's loop-carried chain (as in dema_kernel)
        e1, e2, e3 = st[2], st[4], st[6]
        omk = 1.0 - k
        cs, dst = c[i:stop], o[i - start :]
        for j in range(stop - i):
            e1 = cs[j] * k + e1 * omk
            e2 = e1 * k + e2 * omk
            e3 = e2 * k + e3 * omk
            dst[j] = 3.0 * (e1 - e2) + e3
        st[2], st[4], st[6] = e1, e2, e3
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
        lambda c: 7,
        lambda c: 3 * (c.timeperiod - 1),
        history=lambda c: 0,
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


# --- KAMA ----------------------------------------------------------------------------------


class KAMAConfig(FrozenConfig):
    """Kaufman adaptive moving average of ``close`` (fast 2, slow 30 constants; TA-Lib KAMA).

    Efficiency ratio ``|x_t - x_{t-n}| / sum |dx|``; a zero path length (``< 1e-8``) counts as
    full efficiency, as in TA-Lib. Warm-up: ``timeperiod`` leading NaNs. Units: price.
    """

    timeperiod: int = Field(30, ge=2, le=PERIOD_MAX, description="window length in bars")


@njit(cache=True)
def kama_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    const_max = 2.0 / (30.0 + 1.0)
    const_diff = 2.0 / (2.0 + 1.0) - const_max
    c = x[0]
    t0 = int(st[0]) - start
    sum_roc, kama, trailing = st[1], st[2], st[3]
    steady = min(stop, max(start, start + n + 1 - int(st[0])))
    for i in range(start, steady):
        t = t0 + i
        if t == 0:
            out[0, i - start] = NAN
            continue
        if t < n:
            sum_roc += math.fabs(c[i - 1] - c[i])
            out[0, i - start] = NAN
            continue
        roc = c[i] - c[i - n]
        if t == n:
            sum_roc += math.fabs(c[i - 1] - c[i])
            kama = c[i - 1]
        else:
            sum_roc -= math.fabs(trailing - c[i - n])
            sum_roc += math.fabs(c[i] - c[i - 1])
        trailing = c[i - n]
        if sum_roc <= roc or is_zero(sum_roc):
            er = 1.0
        else:
            er = math.fabs(roc / sum_roc)
        sc = er * const_diff + const_max
        sc *= sc
        kama = (c[i] - kama) * sc + kama
        out[0, i - start] = kama
    if steady < stop:
        # zero-based slices; one add (and one multiply) on each loop-carried chain
        cs, ps = c[steady:stop], c[steady - 1 : stop - 1]
        olds, dst = c[steady - n : stop - n], out[0][steady - start :]
        for j in range(stop - steady):
            cj = cs[j]
            old = olds[j]
            roc = cj - old
            sum_roc += math.fabs(cj - ps[j]) - math.fabs(trailing - old)
            trailing = old
            if sum_roc <= roc or is_zero(sum_roc):
                er = 1.0
            else:
                er = math.fabs(roc / sum_roc)
            sc = er * const_diff + const_max
            sc *= sc
            kama = cj * sc + kama * (1.0 - sc)
            dst[j] = kama
    st[1], st[2], st[3] = sum_roc, kama, trailing
    st[0] += stop - start


register(
    Indicator(
        "kama",
        "overlap",
        ("close",),
        ("kama",),
        KAMAConfig,
        kama_kernel,
        lambda c: 4,
        lambda c: c.timeperiod,
        talib="KAMA",
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
    pm1 = n - 1
    tr = vf * vf
    c1 = -(tr * vf)
    c2 = 3.0 * (tr - c1)
    c3 = -6.0 * tr - 3.0 * (vf - c1)
    c4 = 1.0 + 3.0 * vf - c1 + 3.0 * tr
    t0 = int(st[0]) - start
    c = x[0]
    o = out[0]
    # st[1] = running seed sum, st[2..7] = e1..e6; once all six run, they stay in registers
    steady = min(stop, max(start, start + 6 * pm1 + 1 - int(st[0])))
    for i in range(start, steady):
        t = t0 + i
        v = c[i]
        r = NAN
        if t < n:
            st[1] += v
            if t == n - 1:
                st[2] = st[1] / n
                st[1] = st[2]
        else:
            s = (t - 1) // pm1 + 1 if t <= 6 * pm1 else 7
            prev = v
            for j in range(min(s - 1, 6)):
                st[2 + j] = k * prev + omk * st[2 + j]
                prev = st[2 + j]
            if s <= 6:
                st[1] += prev
                if t == s * pm1:
                    st[1 + s] = st[1] / n
                    st[1] = st[1 + s]
            if t >= 6 * pm1:
                r = c1 * st[7] + c2 * st[6] + c3 * st[5] + c4 * st[4]
        o[i - start] = r
    if steady < stop:
        e1, e2, e3, e4, e5, e6 = st[2], st[3], st[4], st[5], st[6], st[7]
        cs, dst = c[steady:stop], o[steady - start :]
        for j in range(stop - steady):
            e1 = k * cs[j] + omk * e1
            e2 = k * e1 + omk * e2
            e3 = k * e2 + omk * e3
            e4 = k * e3 + omk * e4
            e5 = k * e4 + omk * e5
            e6 = k * e5 + omk * e6
            dst[j] = c1 * e6 + c2 * e5 + c3 * e4 + c4 * e3
        st[2], st[3], st[4], st[5], st[6], st[7] = e1, e2, e3, e4, e5, e6
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
