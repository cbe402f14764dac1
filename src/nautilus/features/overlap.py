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
    t0 = int(st[0]) - start
    total = st[1]
    for i in range(start, stop):
        t = t0 + i
        total += c[i]
        if t >= n - 1:
            out[0, i - start] = total / n
            total -= c[i - n + 1]
        else:
            out[0, i - start] = NAN
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
    t0 = int(st[0]) - start
    for i in range(start, stop):
        out[0, i - start] = wma_raw_step(x[0], i, t0 + i, n, st, 1)
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
        talib="WMA",
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
    for i in range(start, stop):
        e1 = ema_step(st, 1, n, k, x[0, i])
        r = NAN
        if st[1] >= n:
            e2 = ema_step(st, 3, n, k, e1)
            if st[3] >= n:
                r = 2.0 * e1 - e2
        out[0, i - start] = r
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
    for i in range(start, stop):
        e1 = ema_step(st, 1, n, k, x[0, i])
        r = NAN
        if st[1] >= n:
            e2 = ema_step(st, 3, n, k, e1)
            if st[3] >= n:
                e3 = ema_step(st, 5, n, k, e2)
                if st[5] >= n:
                    r = 3.0 * e1 - 3.0 * e2 + e3
        out[0, i - start] = r
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
    t0 = int(st[0]) - start
    total = st[1]
    for i in range(start, stop):
        t = t0 + i
        total += c[i]
        r = NAN
        if t >= a - 1:
            inner = total / a
            total -= c[i - a + 1]
            r = sma_ring_step(st, 2, b, inner)
        out[0, i - start] = r
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
    for i in range(start, stop):
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


@njit(cache=True)
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
    # st[1] = running seed sum, st[2..7] = e1..e6
    for i in range(start, stop):
        t = t0 + i
        v = x[0, i]
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
        out[0, i - start] = r
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
    )
)
