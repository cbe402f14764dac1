"""Range-position oscillators: stochastics (slow, fast, of RSI) and Williams %R.

Outputs are in percent points. A flat window (highest == lowest) gives 0, as in TA-Lib.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.momentum import _wilder_osc
from nautilus.features.primitives import (
    EXTREMES_BLOCK,
    NAN,
    first_full,
    ring_max,
    ring_min,
    ring_push,
    sma_ring_step,
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


@njit(cache=True)
def _fastk_into(x, first, stop, n, k):  # type: ignore[no-untyped-def]
    """Fast %K of the bars ``first..stop`` (all with a full window) into ``k[0:stop-first]``."""
    h, lo, c = x[0], x[1], x[2]
    m = min(stop - first, EXTREMES_BLOCK)
    if m <= 0:
        return
    hi, ll = np.empty(m), np.empty(m)
    t1, t2 = np.empty(m + n), np.empty(m + n)
    for b0 in range(first, stop, m):
        b1 = min(b0 + m, stop)
        window_extremes(h, lo, b0, b1, n, hi, ll, t1, t2)
        for j in range(b1 - b0):
            diff = (hi[j] - ll[j]) / 100.0
            k[b0 - first + j] = (c[b0 + j] - ll[j]) / diff if diff != 0.0 else 0.0


@njit(cache=True)
def stoch_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fk, sk, sd = int(p[0]), int(p[1]), int(p[2])
    o2 = 5 + 2 + sk
    t0 = int(st[0]) - start
    first = first_full(start, stop, int(st[0]), fk)
    for i in range(start, first):
        out[0, i - start] = NAN
        out[1, i - start] = NAN
    # fast %K (window extremes, vectorised) first, into the slow %K row, which the smoothing
    # loop then overwrites bar by bar
    _fastk_into(x, first, stop, fk, out[0][first - start :])
    for i in range(first, stop):
        t = t0 + i
        k = sma_ring_step(st, 5, sk, out[0, i - start])
        out[0, i - start] = NAN
        out[1, i - start] = NAN
        if t < fk + sk - 2:
            continue
        d = sma_ring_step(st, o2, sd, k)
        if t >= fk + sk + sd - 3:
            out[0, i - start] = k
            out[1, i - start] = d
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
    t0 = int(st[0]) - start
    first = first_full(start, stop, int(st[0]), fk)
    for i in range(start, first):
        out[0, i - start] = NAN
        out[1, i - start] = NAN
    _fastk_into(x, first, stop, fk, out[0][first - start :])
    for i in range(first, stop):
        t = t0 + i
        d = sma_ring_step(st, 5, fd, out[0, i - start])
        if t < fk + fd - 2:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
        else:
            out[1, i - start] = d
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


@njit(cache=True)
def stochrsi_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n, fk, fd = int(p[0]), int(p[1]), int(p[2])
    rsi = st[1:4]
    tmp = out[:1, :]
    t0 = int(st[0]) - start
    rs = 5  # ring of RSI values: st[4] count, st[5:5+fk]
    od = 5 + fk
    # RSI of every bar in one call (into the %K row, read back before it is overwritten)
    rsi[0] = t0 + start
    _wilder_osc(x, start, stop, p, rsi, tmp, False)
    for i in range(start, stop):
        t = t0 + i
        r = tmp[0, i - start]
        out[0, i - start] = NAN
        out[1, i - start] = NAN
        if t < n:
            continue
        cnt = ring_push(st, rs - 1, fk, r)
        if cnt < fk:
            continue
        hh = ring_max(st, rs - 1, fk)
        ll = ring_min(st, rs - 1, fk)
        diff = (hh - ll) / 100.0
        k = (r - ll) / diff if diff != 0.0 else 0.0
        d = sma_ring_step(st, od, fd, k)
        if t >= n + fk + fd - 2:
            out[0, i - start] = k
            out[1, i - start] = d
    st[0] += stop - start


register(
    Indicator(
        "stochrsi",
        "momentum",
        ("close",),
        ("fastk", "fastd"),
        StochRSIConfig,
        stochrsi_kernel,
        lambda c: 7 + c.fastk_period + c.fastd_period,
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
    h, lo, c = x[0], x[1], x[2]
    o = out[0]
    first = first_full(start, stop, int(st[0]), n)
    for i in range(start, first):
        o[i - start] = NAN
    if first < stop:
        m = min(stop - first, EXTREMES_BLOCK)
        hi, ll = np.empty(m), np.empty(m)
        t1, t2 = np.empty(m + n), np.empty(m + n)
        for b0 in range(first, stop, m):
            b1 = min(b0 + m, stop)
            window_extremes(h, lo, b0, b1, n, hi, ll, t1, t2)
            for j in range(b1 - b0):
                diff = (hi[j] - ll[j]) / (-100.0)
                o[b0 - start + j] = (hi[j] - c[b0 + j]) / diff if diff != 0.0 else 0.0
    st[0] += stop - start


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
    )
)
