"""Trend-following momentum: MACD, APO/PPO, TRIX, the directional movement family (Aroon
lives with the range-position oscillators in :mod:`nautilus.features.stochastic`).

EMA-based indicators follow TA-Lib: every EMA is seeded with the SMA of its first inputs. In
MACD the fast EMA is started late so that both EMAs produce their first value on the same bar
(TA-Lib's MACD alignment); APO/PPO with EMA seed both EMAs from the first bar, as TA-Lib does.
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
    is_zero,
    true_range,
)

PERIOD_MAX = 100_000


def _period(default: int, lo: int = 2) -> int:
    return Field(default, ge=lo, le=PERIOD_MAX, description="window length in bars")  # type: ignore[no-any-return]


# --- MACD ----------------------------------------------------------------------------------


class MACDConfig(FrozenConfig):
    """MACD (TA-Lib MACD): EMA(fast) - EMA(slow), its EMA signal line and the histogram.

    The fast EMA is seeded on the ``fastperiod`` bars that end where the slow EMA's seed ends
    (TA-Lib alignment); periods are swapped if ``fastperiod > slowperiod``. Warm-up:
    ``slowperiod + signalperiod - 2`` leading NaNs. Units: price.
    """

    fastperiod: int = _period(12)
    slowperiod: int = _period(26)
    signalperiod: int = _period(9, 1)


@njit(cache=True, fastmath={"contract"})
def macd_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fast, slow, sig = int(p[0]), int(p[1]), int(p[2])
    if slow < fast:
        fast, slow = slow, fast
    kf, ks, kg = 2.0 / (fast + 1), 2.0 / (slow + 1), 2.0 / (sig + 1)
    of, os_, og = 1.0 - kf, 1.0 - ks, 1.0 - kg
    c = x[0]
    t0 = int(st[0]) - start
    es, ef, sg = st[1], st[2], st[3]
    fstart = slow - fast  # TA-Lib seeds the fast EMA on the bars ending at slow - 1
    sg_end = slow + sig - 2
    steady = min(stop, max(start, start + sg_end + 1 - int(st[0])))
    for i in range(start, steady):
        t = t0 + i
        v = c[i]
        if t >= slow:
            es = v * ks + es * os_
            ef = v * kf + ef * of
            m = ef - es
            if t > sg_end:
                sg = m * kg + sg * og
            elif t == sg_end:
                sg = (sg + m) / sig
            else:
                sg += m
        else:
            es += v
            if t >= fstart:
                ef += v
            if t == slow - 1:
                es /= slow
                ef /= fast
                m = ef - es
                sg = m  # first term of the signal's seed sum (the seed itself if sig == 1)
            else:
                out[0, i - start] = NAN
                out[1, i - start] = NAN
                out[2, i - start] = NAN
                continue
        if t >= sg_end:
            out[0, i - start] = m
            out[1, i - start] = sg
            out[2, i - start] = m - sg
        else:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            out[2, i - start] = NAN
    # past the warm-up: zero-based slices, the three EMAs in registers, one explicit FMA on
    # each loop-carried chain
    cs = c[steady:stop]
    o0, o1, o2 = out[0, steady - start :], out[1, steady - start :], out[2, steady - start :]
    for j in range(stop - steady):
        v = cs[j]
        es = fma(es, os_, v * ks)
        ef = fma(ef, of, v * kf)
        m = ef - es
        sg = fma(sg, og, m * kg)
        o0[j] = m
        o1[j] = sg
        o2[j] = m - sg
    st[1], st[2], st[3] = es, ef, sg
    st[0] += stop - start


register(
    Indicator(
        "macd",
        "trend",
        ("close",),
        ("macd", "macdsignal", "macdhist"),
        MACDConfig,
        macd_kernel,
        lambda c: 7,
        lambda c: max(c.fastperiod, c.slowperiod) + c.signalperiod - 2,
        history=lambda c: 0,
        talib="MACD",
        row_inputs=True,
    )
)


# --- APO / PPO -----------------------------------------------------------------------------


class APOConfig(FrozenConfig):
    """Absolute price oscillator MA(fast) - MA(slow) (TA-Lib APO; ``matype`` 0 = SMA,
    1 = EMA, both seeded from the first bar). Warm-up: ``max(fast, slow) - 1`` leading NaNs.
    Units: price.
    """

    fastperiod: int = _period(12)
    slowperiod: int = _period(26)
    matype: int = Field(0, ge=0, le=1, description="0 = SMA, 1 = EMA")


class PPOConfig(APOConfig):
    """Percentage price oscillator 100*(MA(fast) - MA(slow))/MA(slow) (TA-Lib PPO; 0 when the
    slow MA is zero). Warm-up: ``max(fast, slow) - 1`` leading NaNs. Units: percent.
    """


@njit(cache=True)
def _po_kernel(x, start, stop, p, st, out, pct):  # type: ignore[no-untyped-def]
    fast, slow, ema = int(p[0]), int(p[1]), int(p[2]) == 1
    if slow < fast:
        fast, slow = slow, fast
    c = x[0]
    t0 = int(st[0]) - start
    sf, ss = st[1], st[2]
    # SMAs past the first full window: the loop over zero-based slices below
    steady = stop if ema else min(stop, max(start, start + slow - int(st[0])))
    for i in range(start, steady):
        t = t0 + i
        v = c[i]
        if ema:
            ms = ema_step(st, 3, slow, 2.0 / (slow + 1), v)
            mf = ema_step(st, 5, fast, 2.0 / (fast + 1), v)
        else:
            sf += v if t >= slow - fast else 0.0
            ss += v
            mf = ms = NAN
            if t >= slow - 1:
                mf = sf / fast
                ms = ss / slow
                sf -= c[i - fast + 1]
                ss -= c[i - slow + 1]
        if t < slow - 1:
            out[0, i - start] = NAN
        elif not pct:
            out[0, i - start] = mf - ms
        else:
            out[0, i - start] = ((mf - ms) / ms) * 100.0 if not is_zero(ms) else 0.0
    if steady < stop:
        # the averages as sums times 1/n (TA-Lib divides: a few ulps apart), so the only
        # division left is PPO's
        inv_f, inv_s = 1.0 / fast, 1.0 / slow
        cs, dst = c[steady:stop], out[0, steady - start :]
        olds_f = c[steady - fast + 1 : stop - fast + 1]
        olds_s = c[steady - slow + 1 : stop - slow + 1]
        for j in range(stop - steady):
            v = cs[j]
            sf += v
            ss += v
            mf = sf * inv_f
            ms = ss * inv_s
            sf -= olds_f[j]
            ss -= olds_s[j]
            if not pct:
                dst[j] = mf - ms
            else:
                dst[j] = ((mf - ms) / ms) * 100.0 if not is_zero(ms) else 0.0
    st[1], st[2] = sf, ss
    st[0] += stop - start


@njit(cache=True)
def apo_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _po_kernel(x, start, stop, p, st, out, False)


@njit(cache=True)
def ppo_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _po_kernel(x, start, stop, p, st, out, True)


register(
    Indicator(
        "apo",
        "trend",
        ("close",),
        ("apo",),
        APOConfig,
        apo_kernel,
        lambda c: 7,
        lambda c: max(c.fastperiod, c.slowperiod) - 1,
        talib="APO",
        row_inputs=True,
    )
)
register(
    Indicator(
        "ppo",
        "trend",
        ("close",),
        ("ppo",),
        PPOConfig,
        ppo_kernel,
        lambda c: 7,
        lambda c: max(c.fastperiod, c.slowperiod) - 1,
        talib="PPO",
        row_inputs=True,
    )
)


# --- TRIX ----------------------------------------------------------------------------------


class TRIXConfig(FrozenConfig):
    """TRIX: 1-bar rate of change of a triple EMA (TA-Lib TRIX; 0 if the previous value is 0).

    Warm-up: ``3*(timeperiod-1) + 1`` leading NaNs. Units: percent.
    """

    timeperiod: int = _period(30, 1)


@njit(cache=True, fastmath={"contract"})
def trix_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    k = 2.0 / (n + 1)
    c = x[0]
    o = out[0]
    i = start
    while i < stop and st[5] < n + 1:  # warm-up: the three EMAs seeded by ema_step
        r = NAN
        e1 = ema_step(st, 1, n, k, c[i])
        if st[1] >= n:
            e2 = ema_step(st, 3, n, k, e1)
            if st[3] >= n:
                e3 = ema_step(st, 5, n, k, e2)
                if st[5] >= n + 1:
                    prev = st[7]
                    r = ((e3 / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0
                if st[5] >= n:
                    st[7] = e3
        o[i - start] = r
        i += 1
    if i < stop:
        # all three EMAs running: ema_step's recurrence with the values in registers
        # v*k + e*(1-k), contracted to one fused multiply-add on each EMA's chain
        e1, e2, e3 = st[2], st[4], st[6]
        omk = 1.0 - k
        cs, dst = c[i:stop], o[i - start :]
        for j in range(stop - i):
            e1 = cs[j] * k + e1 * omk
            e2 = e1 * k + e2 * omk
            prev = e3
            e3 = e2 * k + e3 * omk
            dst[j] = ((e3 / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0
        st[2], st[4], st[6], st[7] = e1, e2, e3, e3
        st[1] += stop - i
        st[3] += stop - i
        st[5] += stop - i
    st[0] += stop - start


register(
    Indicator(
        "trix",
        "trend",
        ("close",),
        ("trix",),
        TRIXConfig,
        trix_kernel,
        lambda c: 8,
        lambda c: 3 * (c.timeperiod - 1) + 1,
        history=lambda c: 0,
        talib="TRIX",
        row_inputs=True,
    )
)


# --- Directional movement ------------------------------------------------------------------


@njit(cache=True)
def _dmi_kernel(x, start, stop, p, st, out, mode):  # type: ignore[no-untyped-def]
    """mode 0: ADX, 1: +DI, 2: -DI, 3: DX, 4: ADXR (TA-Lib's ADX/DI recurrences).

    Wilder sums of +DM, -DM and TR (``s - s/n + new``, with ``s/n`` as ``s * (1/n)``) are kept
    in locals; st[1..3] hold them between calls, st[4] the DX sum / ADX, st[5] the last DX and
    st[6:6+n] a ring of ADX values for ADXR.
    """
    n = int(p[0])
    inv = 1.0 / n
    h, lo, c = x[0], x[1], x[2]
    t0 = int(st[0]) - start
    pdm, mdm, tr, adx, last_dx = st[1], st[2], st[3], st[4], st[5]
    for i in range(start, stop):
        t = t0 + i
        out[0, i - start] = NAN
        if t == 0:
            continue
        dp = h[i] - h[i - 1]
        dm = lo[i - 1] - lo[i]
        r = true_range(h[i], lo[i], c[i - 1])
        if t >= n:
            mdm -= mdm * inv
            pdm -= pdm * inv
            tr = tr - (tr * inv) + r
        else:
            tr += r
        # the two conditions exclude each other; selected without a branch, since they flip
        # at random from bar to bar (adding 0.0 leaves a sum unchanged)
        mdm += dm if (dm > 0 and dp < dm) else 0.0
        pdm += dp if (dp > 0 and dp > dm) else 0.0
        if t < n:
            continue
        if mode == 1:
            out[0, i - start] = 100.0 * (pdm / tr) if not is_zero(tr) else 0.0
            continue
        if mode == 2:
            out[0, i - start] = 100.0 * (mdm / tr) if not is_zero(tr) else 0.0
            continue
        dx = NAN
        if not is_zero(tr):
            mdi = 100.0 * (mdm / tr)
            pdi = 100.0 * (pdm / tr)
            s = mdi + pdi
            if not is_zero(s):
                dx = 100.0 * (math.fabs(mdi - pdi) / s)
        if mode == 3:
            if math.isnan(dx):
                dx = last_dx if t > n else 0.0
            last_dx = dx
            out[0, i - start] = dx
            continue
        if t < 2 * n - 1:
            if not math.isnan(dx):
                adx += dx
            continue
        if t == 2 * n - 1:
            if not math.isnan(dx):
                adx += dx
            adx = adx / n
        elif not math.isnan(dx):
            adx = ((adx * (n - 1)) + dx) * inv
        if mode == 0:
            out[0, i - start] = adx
            continue
        # ADXR: average of ADX now and ADX n-1 bars ago (ring of n ADX values)
        j = t - (2 * n - 1)
        st[6 + j % n] = adx
        if j >= n - 1:
            out[0, i - start] = (adx + st[6 + (j - (n - 1)) % n]) / 2.0
    st[1], st[2], st[3], st[4], st[5] = pdm, mdm, tr, adx, last_dx
    st[0] += stop - start


@njit(cache=True)
def adx_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _dmi_kernel(x, start, stop, p, st, out, 0)


@njit(cache=True)
def plus_di_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _dmi_kernel(x, start, stop, p, st, out, 1)


@njit(cache=True)
def minus_di_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _dmi_kernel(x, start, stop, p, st, out, 2)


@njit(cache=True)
def dx_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _dmi_kernel(x, start, stop, p, st, out, 3)


@njit(cache=True)
def adxr_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _dmi_kernel(x, start, stop, p, st, out, 4)


class ADXConfig(FrozenConfig):
    """Average directional index (TA-Lib ADX): Wilder average of DX after Wilder-smoothed
    +DM, -DM and true range. Warm-up: ``2*timeperiod - 1`` leading NaNs. Units: 0..100.
    """

    timeperiod: int = _period(14)


class PlusDIConfig(ADXConfig):
    """Plus directional indicator 100 * smoothed +DM / smoothed TR (TA-Lib PLUS_DI; 0 if TR
    is 0). Warm-up: ``timeperiod`` leading NaNs. Units: 0..100.
    """


class MinusDIConfig(ADXConfig):
    """Minus directional indicator 100 * smoothed -DM / smoothed TR (TA-Lib MINUS_DI).

    Warm-up: ``timeperiod`` leading NaNs. Units: 0..100.
    """


class DXConfig(ADXConfig):
    """Directional movement index 100*|+DI - -DI|/(+DI + -DI) (TA-Lib DX; a zero denominator
    repeats the previous value). Warm-up: ``timeperiod`` leading NaNs. Units: 0..100.
    """


class ADXRConfig(ADXConfig):
    """ADX rating (ADX_t + ADX_{t-n+1})/2 (TA-Lib ADXR).

    Warm-up: ``3*timeperiod - 2`` leading NaNs. Units: 0..100.
    """


_HLC = ("high", "low", "close")
register(
    Indicator(
        "adx",
        "trend",
        _HLC,
        ("adx",),
        ADXConfig,
        adx_kernel,
        lambda c: 6,
        lambda c: 2 * c.timeperiod - 1,
        history=lambda c: 1,
        talib="ADX",
        row_inputs=True,
    )
)
register(
    Indicator(
        "plus_di",
        "trend",
        _HLC,
        ("plus_di",),
        PlusDIConfig,
        plus_di_kernel,
        lambda c: 6,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="PLUS_DI",
        row_inputs=True,
    )
)
register(
    Indicator(
        "minus_di",
        "trend",
        _HLC,
        ("minus_di",),
        MinusDIConfig,
        minus_di_kernel,
        lambda c: 6,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="MINUS_DI",
        row_inputs=True,
    )
)
register(
    Indicator(
        "dx",
        "trend",
        _HLC,
        ("dx",),
        DXConfig,
        dx_kernel,
        lambda c: 6,
        lambda c: c.timeperiod,
        history=lambda c: 1,
        talib="DX",
        row_inputs=True,
    )
)
register(
    Indicator(
        "adxr",
        "trend",
        _HLC,
        ("adxr",),
        ADXRConfig,
        adxr_kernel,
        lambda c: 6 + c.timeperiod,
        lambda c: 3 * c.timeperiod - 2,
        history=lambda c: 1,
        talib="ADXR",
        row_inputs=True,
    )
)
