"""Adaptive moving averages: Ehlers' cycle-adaptive MAMA (Hilbert transform) and Kaufman's
KAMA (efficiency ratio) (TA-Lib MAMA, KAMA).

Kernels follow the contract in :mod:`nautilus.features.base`; the whole Hilbert-transform
state (the odd/even three-slot delay lines, the smoothed in-phase/quadrature components, the
measured period and phase) lives in the state vector, so the streaming twin resumes it bar by
bar and the batch and streaming values agree exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import NAN, fast_atan, fast_atan_ratio, fma, is_zero

PERIOD_MAX = 100_000

_A = 0.0962
_B = 0.5769
_RAD2DEG = 180.0 / (4.0 * math.atan(1.0))
MAMA_LOOKBACK = 32

# state layout: st[0] bars seen; st[1..3] 4-bar WMA (sub, sum, trailing value); eight Hilbert
# filters of 5 slots (3-slot delay line, previous output, previous input): even bars detrender,
# Q1, jI, jQ at 4, 9, 14, 19 and odd bars at 24, 29, 34, 39; then the scalars below.
_EVEN, _ODD = 4, 24
_IDX, _PERIOD, _PQ2, _PI2, _RE, _IM, _MAMA, _FAMA = 44, 45, 46, 47, 48, 49, 50, 51
_I1E3, _I1O3, _I1E2, _I1O2, _PHASE = 52, 53, 54, 55, 56
MAMA_STATE = 57


class MAMAConfig(FrozenConfig):
    """MESA adaptive moving average of ``close`` and its following average FAMA (TA-Lib MAMA).

    The smoothing constant follows the Hilbert-transform phase rate: ``fastlimit / dphase``
    clipped to ``[slowlimit, fastlimit]``; FAMA uses half of it on MAMA. Operation order is
    TA-Lib's (including its odd/even bar split of the Hilbert filters), so values match it.
    Warm-up: 32 leading NaNs. Units: price.
    """

    fastlimit: float = Field(0.5, ge=0.01, le=0.99, description="upper limit of alpha")
    slowlimit: float = Field(0.05, ge=0.01, le=0.99, description="lower limit of alpha")


@njit(cache=True, inline="always", fastmath={"contract"})
def _hilbert(st, o, idx, v, adj):  # type: ignore[no-untyped-def]
    """One TA-Lib Hilbert filter step: st[o..o+2] delay line, st[o+3] prev, st[o+4] input.

    TA-Lib sums ``-old + a*v - prev + b*input``; here the terms that do not depend on ``v``
    are summed first, so the bar-to-bar dependency chain through ``v`` is one fused
    multiply-add (values differ from TA-Lib's by a few ulps)."""
    tmp = _A * v
    rest = (_B * st[o + 4] - st[o + idx]) - st[o + 3]
    st[o + idx] = tmp
    st[o + 3] = _B * st[o + 4]
    st[o + 4] = v
    return (_A * v + rest) * adj


@njit(cache=True, fastmath={"contract"})
def mama_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fast = p[0]
    slow = p[1]
    c = x[0]
    t0 = int(st[0]) - start
    # the scalars of the bar-to-bar chain in registers (stored back once at the end); the
    # Hilbert delay lines stay in the state vector
    period, pq2, pi2, re, im = st[_PERIOD], st[_PQ2], st[_PI2], st[_RE], st[_IM]
    mama, fama, phase = st[_MAMA], st[_FAMA], st[_PHASE]
    i1e3, i1o3, i1e2, i1o2 = st[_I1E3], st[_I1O3], st[_I1E2], st[_I1O2]
    wsub, wsum, wtrail = st[1], st[2], st[3]
    idx = int(st[_IDX])
    for i in range(start, stop):
        t = t0 + i
        v = c[i]
        if t < 3:
            wsub += v
            wsum += v * (t + 1.0)
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            continue
        adj = 0.075 * period + 0.54
        sub = wsub + v
        sub -= wtrail
        ws = wsum + v * 4.0
        wtrail = c[i - 3]
        smoothed = ws * 0.1
        wsub = sub
        wsum = ws - sub
        if t < 12:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            continue
        if t % 2 == 0:
            i1p3 = i1e3
            det = _hilbert(st, _EVEN, idx, smoothed, adj)
            q1 = _hilbert(st, _EVEN + 5, idx, det, adj)
            ji = _hilbert(st, _EVEN + 10, idx, i1p3, adj)
            jq = _hilbert(st, _EVEN + 15, idx, q1, adj)
            idx = 0 if idx == 2 else idx + 1
            i1o3 = i1o2
            i1o2 = det
        else:
            i1p3 = i1o3
            det = _hilbert(st, _ODD, idx, smoothed, adj)
            q1 = _hilbert(st, _ODD + 5, idx, det, adj)
            ji = _hilbert(st, _ODD + 10, idx, i1p3, adj)
            jq = _hilbert(st, _ODD + 15, idx, q1, adj)
            i1e3 = i1e2
            i1e2 = det
        q2 = 0.2 * (q1 + ji) + 0.8 * pq2
        i2 = 0.2 * (i1p3 - jq) + 0.8 * pi2
        ph = fast_atan(q1 / i1p3) * _RAD2DEG if i1p3 != 0.0 else 0.0
        dphase = phase - ph
        phase = ph
        if dphase < 1.0:
            dphase = 1.0
        if dphase > 1.0:
            alpha = fast / dphase
            if alpha < slow:
                alpha = slow
        else:
            alpha = fast
        mama = alpha * v + (1 - alpha) * mama
        alpha *= 0.5
        fama = alpha * mama + (1 - alpha) * fama
        if t >= MAMA_LOOKBACK:
            out[0, i - start] = mama
            out[1, i - start] = fama
        else:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
        re = 0.2 * (i2 * pi2 + q2 * pq2) + 0.8 * re
        im = 0.2 * (i2 * pq2 - q2 * pi2) + 0.8 * im
        pq2 = q2
        pi2 = i2
        prev = period
        per = prev
        if im != 0.0 and re != 0.0:
            per = 360.0 / (fast_atan_ratio(im, re) * _RAD2DEG)
        if per > 1.5 * prev:
            per = 1.5 * prev
        if per < 0.67 * prev:
            per = 0.67 * prev
        if per < 6:
            per = 6.0
        elif per > 50:
            per = 50.0
        period = 0.2 * per + 0.8 * prev
    st[_PERIOD], st[_PQ2], st[_PI2], st[_RE], st[_IM] = period, pq2, pi2, re, im
    st[_MAMA], st[_FAMA], st[_PHASE] = mama, fama, phase
    st[_I1E3], st[_I1O3], st[_I1E2], st[_I1O2] = i1e3, i1o3, i1e2, i1o2
    st[1], st[2], st[3] = wsub, wsum, wtrail
    st[_IDX] = idx
    st[0] += stop - start


register(
    Indicator(
        "mama",
        "overlap",
        ("close",),
        ("mama", "fama"),
        MAMAConfig,
        mama_kernel,
        lambda c: MAMA_STATE,
        lambda c: MAMA_LOOKBACK,
        history=lambda c: 3,
        talib="MAMA",
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


@njit(cache=True, fastmath={"contract"})
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
        # per block: the bar-to-bar moves |dc| in a vectorised pass (scratch), then the chains
        # over zero-based slices; one add on the path-length chain, one FMA on KAMA's
        m = min(stop - steady, 1024)
        d = np.empty(m + n)
        for b0 in range(steady, stop, m):
            w = min(b0 + m, stop) - b0
            cur, prv = c[b0 - n : b0 + w], c[b0 - n - 1 : b0 + w - 1]
            for q in range(w + n):
                d[q] = math.fabs(cur[q] - prv[q])
            cs, olds = c[b0 : b0 + w], c[b0 - n : b0 + w - n]
            dn, dst = d[n:], out[0][b0 - start : b0 - start + w]
            for j in range(w):
                cj = cs[j]
                roc = cj - olds[j]
                sum_roc += dn[j] - d[j]
                if sum_roc <= roc or is_zero(sum_roc):
                    er = 1.0
                else:
                    er = math.fabs(roc / sum_roc)
                sc = er * const_diff + const_max
                sc *= sc
                kama = fma(kama, 1.0 - sc, cj * sc)  # one fused operation on the chain
                dst[j] = kama
        trailing = c[stop - n - 1]
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
        history=lambda c: c.timeperiod + 1,  # the move of the bar leaving the window
        talib="KAMA",
        row_inputs=True,
    )
)
