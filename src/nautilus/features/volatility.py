"""Volatility: true range, ATR/NATR, Bollinger/Keltner/Donchian bands and range-based
realized-volatility estimators (close-to-close, Parkinson, Garman-Klass, Rogers-Satchell,
Yang-Zhang).

Range estimators return *annualised* volatility as a fraction (0.20 = 20 %/year):
``sqrt(variance per bar * periods_per_year)``; a negative variance estimate (possible for
Garman-Klass over a short window) gives NaN.
"""

from __future__ import annotations

import math

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import (
    NAN,
    PIPE_BLOCK,
    block_extremes,
    ema_step,
    fma,
    is_zero,
    is_zero_or_neg,
    nonfinite,
    true_range,
)

PERIOD_MAX = 100_000
_HLC = ("high", "low", "close")


def _period(default: int, lo: int = 2) -> int:
    return Field(default, ge=lo, le=PERIOD_MAX, description="window length in bars")  # type: ignore[no-any-return]


def _ppy() -> float:
    return Field(252.0, gt=0.0, le=1e8, description="bars per year used to annualise")  # type: ignore[no-any-return]


# --- True range / ATR / NATR ---------------------------------------------------------------


class TRangeConfig(FrozenConfig):
    """True range max(high - low, |high - prev close|, |low - prev close|) (TA-Lib TRANGE).

    Warm-up: 1 leading NaN. Units: price.
    """


@njit(cache=True)
def trange_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    o = out[0]
    first = start
    bad = False
    if st[0] == 0 and stop > start:
        o[0] = NAN
        first = start + 1
        bad = nonfinite(x[0][start] + x[1][start])
    hi, lo, pc = x[0][first:stop], x[1][first:stop], x[2][first - 1 : stop - 1]
    dst = o[first - start :]
    for j in range(stop - first):
        c = pc[j]
        r = true_range(hi[j], lo[j], c)
        # a NaN high or low gives a NaN true range; a NaN previous close alone may not
        bad |= nonfinite(r + c)
        dst[j] = r
    st[0] += stop - start
    return bad or (stop > start and nonfinite(x[2][stop - 1]))


register(
    Indicator(
        "trange",
        "volatility",
        _HLC,
        ("trange",),
        TRangeConfig,
        trange_kernel,
        lambda c: 1,
        lambda c: 1,
        talib="TRANGE",
        row_inputs=True,
        checks_finite=True,
    )
)


class ATRConfig(FrozenConfig):
    """Average true range, Wilder-smoothed and seeded with the SMA of the first
    ``timeperiod`` true ranges (TA-Lib ATR). Warm-up: ``timeperiod`` leading NaNs.
    Units: price.
    """

    timeperiod: int = _period(14, 1)


@njit(cache=True, inline="always")
def _tr_into(h, lo, c, b, o, start, b1, b2):  # type: ignore[no-untyped-def]
    """``o[i - start]`` = true range of bar ``i`` times ``b`` for the bars ``b1..b2-1``."""
    hs, ls, pcs, dst = h[b1:b2], lo[b1:b2], c[b1 - 1 : b2 - 1], o[b1 - start : b2 - start]
    for j in range(b2 - b1):
        dst[j] = true_range(hs[j], ls[j], pcs[j]) * b


@njit(cache=True, fastmath={"contract"})
def _atr(x, start, stop, p, st, out, natr):  # type: ignore[no-untyped-def]
    n = int(p[0])
    a = (n - 1) / n
    b = 1.0 / n
    h, lo, c = x[0], x[1], x[2]
    t0 = int(st[0]) - start
    prev = st[1]
    bad = False
    # warm-up and seed bars here, the smoothed bars in blocks below
    steady = min(stop, max(start, start + n + 1 - int(st[0])))
    for i in range(start, steady):
        t = t0 + i
        bad |= nonfinite(h[i] + lo[i] + c[i])
        if t == 0:
            out[0, i - start] = NAN
            continue
        tr = true_range(h[i], lo[i], c[i - 1])
        if t > n:
            # (prev*(n-1) + tr)/n as prev*a + tr*b: no division on the dependency chain
            prev = prev * a + tr * b
        elif t == n:
            prev = (prev + tr) / n
        else:
            prev += tr
            out[0, i - start] = NAN
            continue
        if natr:
            out[0, i - start] = (prev * 100.0) / c[i] if not is_zero(c[i]) else 0.0
        else:
            out[0, i - start] = prev
    # software-pipelined blocks (see PIPE_BLOCK): true range * b of the next block into the
    # output, then the smoothing chain over the current one (one fused multiply-add per bar,
    # as ``prev * a + tr * b`` contracts), then NATR's divisions (vectorised)
    o = out[0]
    closes = 0.0
    b0, b1 = steady, min(stop, steady + PIPE_BLOCK)
    _tr_into(h, lo, c, b, o, start, b0, b1)
    while b0 < stop:
        b2 = min(stop, b1 + PIPE_BLOCK)
        _tr_into(h, lo, c, b, o, start, b1, b2)
        dst = o[b0 - start : b1 - start]
        cs = c[b0:b1]
        for j in range(b1 - b0):
            prev = fma(prev, a, dst[j])
            closes += cs[j]  # a second chain, shorter than the first: the finiteness check
            dst[j] = prev
        if natr:
            for j in range(b1 - b0):
                # (TA-Lib: (atr / close) * 100; the product first is an ulp apart, and faster)
                dst[j] = (dst[j] * 100.0) / cs[j] if not is_zero(cs[j]) else 0.0
        b0, b1 = b1, b2
    st[1] = prev
    st[0] += stop - start
    # a non-finite high or low makes the true range, and from then on ``prev``, non-finite
    # (a NaN previous close alone may not: the closes are summed instead)
    return bad or nonfinite(closes) or nonfinite(prev)


@njit(cache=True)
def atr_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    return _atr(x, start, stop, p, st, out, False)


@njit(cache=True)
def natr_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    return _atr(x, start, stop, p, st, out, True)


class NATRConfig(ATRConfig):
    """Normalised ATR = 100 * ATR / close (TA-Lib NATR; 0 if close is 0).

    Warm-up: ``timeperiod`` leading NaNs. Units: percent of price.
    """


register(
    Indicator(
        "atr",
        "volatility",
        _HLC,
        ("atr",),
        ATRConfig,
        atr_kernel,
        lambda c: 2,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="ATR",
        row_inputs=True,
        checks_finite=True,
    )
)
register(
    Indicator(
        "natr",
        "volatility",
        _HLC,
        ("natr",),
        NATRConfig,
        natr_kernel,
        lambda c: 2,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="NATR",
        row_inputs=True,
        checks_finite=True,
    )
)


# --- Bollinger bands -----------------------------------------------------------------------


class BBandsConfig(FrozenConfig):
    """Bollinger bands (TA-Lib BBANDS with SMA): middle = SMA(close), bands = middle +/- k *
    population stdev over the same window, computed as sqrt(E[x^2] - SMA^2) like TA-Lib (0 when
    that difference is below 1e-8). Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """

    timeperiod: int = _period(5)
    nbdevup: float = Field(2.0, ge=-1e6, le=1e6, description="upper band width in stdevs")
    nbdevdn: float = Field(2.0, ge=-1e6, le=1e6, description="lower band width in stdevs")


@njit(cache=True)
def bbands_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    inv = 1.0 / n
    up, dn = p[1], p[2]
    c = x[0]
    t0 = int(st[0]) - start
    s1, s2 = st[1], st[2]
    for i in range(start, stop):
        t = t0 + i
        v = c[i]
        s1 += v
        s2 += v * v
        if t < n - 1:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            out[2, i - start] = NAN
            continue
        mid = s1 * inv
        m2 = s2 * inv
        old = c[i - n + 1]
        s1 -= old
        s2 -= old * old
        m2 -= mid * mid
        sd = math.sqrt(m2) if not is_zero_or_neg(m2) else 0.0
        out[0, i - start] = mid + sd * up
        out[1, i - start] = mid
        out[2, i - start] = mid - sd * dn
    st[1], st[2] = s1, s2
    st[0] += stop - start


register(
    Indicator(
        "bbands",
        "volatility",
        ("close",),
        ("upperband", "middleband", "lowerband"),
        BBandsConfig,
        bbands_kernel,
        lambda c: 3,
        lambda c: c.timeperiod - 1,
        talib="BBANDS",
        row_inputs=True,
    )
)


# --- Keltner / Donchian --------------------------------------------------------------------


class KeltnerConfig(FrozenConfig):
    """Keltner channel: middle = EMA(close, ``timeperiod``), bands = middle +/- ``multiplier``
    * ATR(``atr_period``) (SMA-seeded EMA, Wilder ATR as in TA-Lib).

    Warm-up: ``max(timeperiod - 1, atr_period)`` leading NaNs. Units: price.
    """

    timeperiod: int = _period(20)
    atr_period: int = _period(10, 1)
    multiplier: float = Field(2.0, gt=0.0, le=100.0, description="band width in ATRs")


@njit(cache=True)
def keltner_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n, na, m = int(p[0]), int(p[1]), p[2]
    k = 2.0 / (n + 1)
    lb = max(n - 1, na)
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        mid = ema_step(st, 1, n, k, x[2][i])
        if t >= 1:
            tr = true_range(x[0][i], x[1][i], x[2][i - 1])
            if t > na:
                st[3] = (st[3] * (na - 1) + tr) / na
            elif t == na:
                st[3] = (st[3] + tr) / na
            else:
                st[3] += tr
        if t < lb:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            out[2, i - start] = NAN
        else:
            out[0, i - start] = mid + m * st[3]
            out[1, i - start] = mid
            out[2, i - start] = mid - m * st[3]
    st[0] += stop - start


register(
    Indicator(
        "keltner",
        "volatility",
        _HLC,
        ("upper", "middle", "lower"),
        KeltnerConfig,
        keltner_kernel,
        lambda c: 4,
        lambda c: max(c.timeperiod - 1, c.atr_period),
        history=lambda c: 1,
        row_inputs=True,
    )
)


class DonchianConfig(FrozenConfig):
    """Donchian channel: highest high, lowest low and their midpoint over ``timeperiod`` bars
    (the current bar included). Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """

    timeperiod: int = _period(20, 1)


@njit(cache=True)
def donchian_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    t0 = int(st[0]) - start
    pos = (t0 + start) % n
    for i in range(start, stop):
        t = t0 + i
        hi, lo = block_extremes(x[0], x[1], i, t, pos, n, st, 1)
        pos = 0 if pos == n - 1 else pos + 1
        if t < n - 1:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            out[2, i - start] = NAN
            continue
        out[0, i - start] = hi
        out[1, i - start] = (hi + lo) / 2.0
        out[2, i - start] = lo
    st[0] += stop - start


register(
    Indicator(
        "donchian",
        "volatility",
        ("high", "low"),
        ("upper", "middle", "lower"),
        DonchianConfig,
        donchian_kernel,
        lambda c: 3 + 2 * c.timeperiod,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        row_inputs=True,
    )
)


# --- Realized volatility estimators --------------------------------------------------------


@njit(cache=True)
def _w_add(st, o, v):  # type: ignore[no-untyped-def]
    """Welford add: st[o]=count, st[o+1]=mean, st[o+2]=sum of squared deviations."""
    c = st[o] + 1.0
    d = v - st[o + 1]
    st[o + 1] += d / c
    st[o + 2] += d * (v - st[o + 1])
    st[o] = c


@njit(cache=True)
def _w_remove(st, o, v):  # type: ignore[no-untyped-def]
    c = st[o] - 1.0
    d = v - st[o + 1]
    st[o + 1] -= d / c
    st[o + 2] -= d * (v - st[o + 1])
    st[o] = c


@njit(cache=True)
def _annualised(var, ppy):  # type: ignore[no-untyped-def]
    if var < 0.0:
        if var > -1e-15:
            return 0.0
        return NAN
    return math.sqrt(var * ppy)


class RealizedVolConfig(FrozenConfig):
    """Close-to-close realized volatility: sample stdev (ddof 1) of log returns over the last
    ``timeperiod`` returns, annualised by ``sqrt(periods_per_year)``.

    Warm-up: ``timeperiod`` leading NaNs. Units: annualised fraction.
    """

    timeperiod: int = _period(20)
    periods_per_year: float = _ppy()


@njit(cache=True)
def realized_vol_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n, ppy = int(p[0]), p[1]
    c = x[0]
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        out[0, i - start] = NAN
        if t == 0:
            continue
        _w_add(st, 1, math.log(c[i] / c[i - 1]))
        if t > n:
            _w_remove(st, 1, math.log(c[i - n] / c[i - n - 1]))
        if t >= n:
            out[0, i - start] = _annualised(st[3] / (n - 1), ppy)
    st[0] += stop - start


register(
    Indicator(
        "realized_vol",
        "volatility",
        ("close",),
        ("realized_vol",),
        RealizedVolConfig,
        realized_vol_kernel,
        lambda c: 4,
        lambda c: c.timeperiod,
        history=lambda c: c.timeperiod + 1,
        row_inputs=True,
    )
)


class RangeVolConfig(FrozenConfig):
    """Window and annualisation of a range-based volatility estimator."""

    timeperiod: int = _period(20)
    periods_per_year: float = _ppy()


@njit(cache=True)
def _range_term(x, j, kind):  # type: ignore[no-untyped-def]
    o, h, lo, c = x[0][j], x[1][j], x[2][j], x[3][j]
    if kind == 0:  # Parkinson
        hl = math.log(h / lo)
        return hl * hl / (4.0 * math.log(2.0))
    if kind == 1:  # Garman-Klass
        hl = math.log(h / lo)
        co = math.log(c / o)
        return 0.5 * hl * hl - (2.0 * math.log(2.0) - 1.0) * co * co
    # Rogers-Satchell
    return math.log(h / c) * math.log(h / o) + math.log(lo / c) * math.log(lo / o)


@njit(cache=True)
def _range_vol(x, start, stop, p, st, out, kind):  # type: ignore[no-untyped-def]
    n, ppy = int(p[0]), p[1]
    t0 = int(st[0]) - start
    s = st[1]
    for i in range(start, stop):
        t = t0 + i
        s += _range_term(x, i, kind)
        if t >= n - 1:
            out[0, i - start] = _annualised(s / n, ppy)
            s -= _range_term(x, i - n + 1, kind)
        else:
            out[0, i - start] = NAN
    st[1] = s
    st[0] += stop - start


@njit(cache=True)
def parkinson_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _range_vol(x, start, stop, p, st, out, 0)


@njit(cache=True)
def garman_klass_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _range_vol(x, start, stop, p, st, out, 1)


@njit(cache=True)
def rogers_satchell_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _range_vol(x, start, stop, p, st, out, 2)


class ParkinsonConfig(RangeVolConfig):
    """Parkinson volatility: mean of ln(high/low)^2 / (4 ln 2) over the window, annualised.

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: annualised fraction.
    """


class GarmanKlassConfig(RangeVolConfig):
    """Garman-Klass volatility: mean of 0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2, annualised.

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: annualised fraction.
    """


class RogersSatchellConfig(RangeVolConfig):
    """Rogers-Satchell volatility: mean of ln(H/C)ln(H/O) + ln(L/C)ln(L/O), annualised
    (drift-independent). Warm-up: ``timeperiod - 1`` leading NaNs. Units: annualised fraction.
    """


_OHLC = ("open", "high", "low", "close")
for _name, _cfg, _k in (
    ("parkinson", ParkinsonConfig, parkinson_kernel),
    ("garman_klass", GarmanKlassConfig, garman_klass_kernel),
    ("rogers_satchell", RogersSatchellConfig, rogers_satchell_kernel),
):
    register(
        Indicator(
            _name,
            "volatility",
            _OHLC,
            (_name,),
            _cfg,
            _k,
            lambda c: 2,
            lambda c: c.timeperiod - 1,
            row_inputs=True,
        )
    )


class YangZhangConfig(RangeVolConfig):
    """Yang-Zhang volatility: var(overnight) + k var(open-to-close) + (1-k) mean(RS) with
    k = 0.34/(1.34 + (n+1)/(n-1)); variances are sample (ddof 1) over the last ``timeperiod``
    bars, overnight = ln(open_t / close_{t-1}). Warm-up: ``timeperiod`` leading NaNs.
    Units: annualised fraction.
    """


@njit(cache=True)
def yang_zhang_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n, ppy = int(p[0]), p[1]
    kk = 0.34 / (1.34 + (n + 1.0) / (n - 1.0))
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        out[0, i - start] = NAN
        if t == 0:
            continue
        _w_add(st, 1, math.log(x[0][i] / x[3][i - 1]))
        _w_add(st, 4, math.log(x[3][i] / x[0][i]))
        st[7] += _range_term(x, i, 2)
        if t > n:
            j = i - n
            _w_remove(st, 1, math.log(x[0][j] / x[3][j - 1]))
            _w_remove(st, 4, math.log(x[3][j] / x[0][j]))
            st[7] -= _range_term(x, j, 2)
        if t >= n:
            var = st[3] / (n - 1) + kk * st[6] / (n - 1) + (1.0 - kk) * st[7] / n
            out[0, i - start] = _annualised(var, ppy)
    st[0] += stop - start


register(
    Indicator(
        "yang_zhang",
        "volatility",
        _OHLC,
        ("yang_zhang",),
        YangZhangConfig,
        yang_zhang_kernel,
        lambda c: 8,
        lambda c: c.timeperiod,
        history=lambda c: c.timeperiod + 1,
        row_inputs=True,
    )
)
