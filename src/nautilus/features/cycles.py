"""Cycle-adaptive averages built on Ehlers' Hilbert transform (TA-Lib MAMA).

Kernels follow the contract in :mod:`nautilus.features.base`; the whole Hilbert-transform
state (the odd/even three-slot delay lines, the smoothed in-phase/quadrature components, the
measured period and phase) lives in the state vector, so the streaming twin resumes it bar by
bar and the batch and streaming values agree exactly.
"""

from __future__ import annotations

import math

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import NAN

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


@njit(cache=True, inline="always")
def _hilbert(st, o, idx, v, adj):  # type: ignore[no-untyped-def]
    """One TA-Lib Hilbert filter step: st[o..o+2] delay line, st[o+3] prev, st[o+4] input."""
    tmp = _A * v
    r = 0.0 - st[o + idx]
    st[o + idx] = tmp
    r += tmp
    r -= st[o + 3]
    st[o + 3] = _B * st[o + 4]
    r += st[o + 3]
    st[o + 4] = v
    return r * adj


@njit(cache=True)
def mama_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    fast = p[0]
    slow = p[1]
    c = x[0]
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        v = c[i]
        if t < 3:
            st[1] += v
            st[2] += v * (t + 1.0)
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            continue
        adj = 0.075 * st[_PERIOD] + 0.54
        sub = st[1] + v
        sub -= st[3]
        wsum = st[2] + v * 4.0
        st[3] = c[i - 3]
        smoothed = wsum * 0.1
        st[1] = sub
        st[2] = wsum - sub
        if t < 12:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
            continue
        idx = int(st[_IDX])
        if t % 2 == 0:
            i1p3 = st[_I1E3]
            det = _hilbert(st, _EVEN, idx, smoothed, adj)
            q1 = _hilbert(st, _EVEN + 5, idx, det, adj)
            ji = _hilbert(st, _EVEN + 10, idx, i1p3, adj)
            jq = _hilbert(st, _EVEN + 15, idx, q1, adj)
            st[_IDX] = 0.0 if idx == 2 else idx + 1.0
            st[_I1O3] = st[_I1O2]
            st[_I1O2] = det
        else:
            i1p3 = st[_I1O3]
            det = _hilbert(st, _ODD, idx, smoothed, adj)
            q1 = _hilbert(st, _ODD + 5, idx, det, adj)
            ji = _hilbert(st, _ODD + 10, idx, i1p3, adj)
            jq = _hilbert(st, _ODD + 15, idx, q1, adj)
            st[_I1E3] = st[_I1E2]
            st[_I1E2] = det
        pq2 = st[_PQ2]
        pi2 = st[_PI2]
        q2 = 0.2 * (q1 + ji) + 0.8 * pq2
        i2 = 0.2 * (i1p3 - jq) + 0.8 * pi2
        phase = math.atan(q1 / i1p3) * _RAD2DEG if i1p3 != 0.0 else 0.0
        dphase = st[_PHASE] - phase
        st[_PHASE] = phase
        if dphase < 1.0:
            dphase = 1.0
        if dphase > 1.0:
            alpha = fast / dphase
            if alpha < slow:
                alpha = slow
        else:
            alpha = fast
        mama = alpha * v + (1 - alpha) * st[_MAMA]
        alpha *= 0.5
        fama = alpha * mama + (1 - alpha) * st[_FAMA]
        st[_MAMA] = mama
        st[_FAMA] = fama
        if t >= MAMA_LOOKBACK:
            out[0, i - start] = mama
            out[1, i - start] = fama
        else:
            out[0, i - start] = NAN
            out[1, i - start] = NAN
        re = 0.2 * (i2 * pi2 + q2 * pq2) + 0.8 * st[_RE]
        im = 0.2 * (i2 * pq2 - q2 * pi2) + 0.8 * st[_IM]
        st[_RE] = re
        st[_IM] = im
        st[_PQ2] = q2
        st[_PI2] = i2
        prev = st[_PERIOD]
        period = prev
        if im != 0.0 and re != 0.0:
            period = 360.0 / (math.atan(im / re) * _RAD2DEG)
        if period > 1.5 * prev:
            period = 1.5 * prev
        if period < 0.67 * prev:
            period = 0.67 * prev
        if period < 6:
            period = 6.0
        elif period > 50:
            period = 50.0
        st[_PERIOD] = 0.2 * period + 0.8 * prev
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
