"""Range-position oscillators: stochastics (slow, fast, of RSI) and Williams %R.

Outputs are in percent points. A flat window (highest == lowest) gives 0, as in TA-Lib.
"""

from __future__ import annotations

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.momentum import _wilder_osc
from nautilus.features.primitives import (
    NAN,
    block_extremes,
    ring_max,
    ring_min,
    ring_push,
    sma_ring_step,
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
def _fastk(x, i, t, pos, n, st, ob):  # type: ignore[no-untyped-def]
    hh, ll = block_extremes(x[0], x[1], i, t, pos, n, st, ob)
    diff = (hh - ll) / 100.0
    return (x[2, i] - ll) / diff if diff != 0.0 else 0.0


@njit(cache=True)
def stoch_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fk, sk, sd = int(p[0]), int(p[1]), int(p[2])
    o2 = 5 + 2 + sk
    ob = o2 + 2 + sd
    t0 = int(st[0]) - start
    pos = (t0 + start) % fk
    for i in range(start, stop):
        t = t0 + i
        out[0, i - start] = NAN
        out[1, i - start] = NAN
        fast = _fastk(x, i, t, pos, fk, st, ob)
        pos = 0 if pos == fk - 1 else pos + 1
        if t < fk - 1:
            continue
        k = sma_ring_step(st, 5, sk, fast)
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
        lambda c: 11 + c.slowk_period + c.slowd_period + 2 * c.fastk_period,
        lambda c: c.fastk_period + c.slowk_period + c.slowd_period - 3,
        history=lambda c: c.fastk_period,
        talib="STOCH",
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
    ob = 7 + fd
    t0 = int(st[0]) - start
    pos = (t0 + start) % fk
    for i in range(start, stop):
        t = t0 + i
        out[0, i - start] = NAN
        out[1, i - start] = NAN
        k = _fastk(x, i, t, pos, fk, st, ob)
        pos = 0 if pos == fk - 1 else pos + 1
        if t < fk - 1:
            continue
        d = sma_ring_step(st, 5, fd, k)
        if t >= fk + fd - 2:
            out[0, i - start] = k
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
        lambda c: 9 + c.fastd_period + 2 * c.fastk_period,
        lambda c: c.fastk_period + c.fastd_period - 2,
        history=lambda c: c.fastk_period,
        talib="STOCHF",
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
    for i in range(start, stop):
        t = t0 + i
        rsi[0] = t
        _wilder_osc(x, i, i + 1, p, rsi, tmp[:, i - start :], False)
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
    t0 = int(st[0]) - start
    pos = (t0 + start) % n
    for i in range(start, stop):
        t = t0 + i
        hh, ll = block_extremes(x[0], x[1], i, t, pos, n, st, 1)
        pos = 0 if pos == n - 1 else pos + 1
        if t < n - 1:
            out[0, i - start] = NAN
            continue
        diff = (hh - ll) / (-100.0)
        out[0, i - start] = (hh - x[2, i]) / diff if diff != 0.0 else 0.0
    st[0] += stop - start


register(
    Indicator(
        "willr",
        "momentum",
        ("high", "low", "close"),
        ("willr",),
        WillRConfig,
        willr_kernel,
        lambda c: 3 + 2 * c.timeperiod,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        talib="WILLR",
    )
)
