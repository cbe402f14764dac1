"""Rolling statistics: stdev/variance, correlation, beta, z-score, quantile (the linear
regression family is in :mod:`nautilus.features.regression`).

Windows include the current bar. TA-Lib formulas (population moments via E[x^2] - E[x]^2) are
kept where TA-Lib has the function so values match it.
"""

from __future__ import annotations

import math

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import (
    NAN,
    anchored_moments,
    first_full,
    is_zero,
    is_zero_or_neg,
    nonfinite,
    reset_period,
)

PERIOD_MAX = 100_000


def _period(default: int, lo: int = 2) -> int:
    return Field(default, ge=lo, le=PERIOD_MAX, description="window length in bars")  # type: ignore[no-any-return]


# --- STDDEV / VAR --------------------------------------------------------------------------


class StdDevConfig(FrozenConfig):
    """Rolling population standard deviation * ``nbdev`` (TA-Lib STDDEV; 0 when the variance is
    below 1e-8). The variance comes from anchored running sums (see
    ``primitives.anchored_moments``), which keep the cancellation error of E[x^2] - E[x]^2 out
    (TA-Lib 0.6 is equally accurate).
    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """

    timeperiod: int = _period(5)
    nbdev: float = Field(1.0, ge=-1e6, le=1e6, description="multiplier")


class VarConfig(StdDevConfig):
    """Rolling population variance (TA-Lib VAR; ``nbdev`` is ignored, as in TA-Lib), from
    anchored running sums. Warm-up: ``timeperiod - 1`` leading NaNs. Units: price^2.
    """


@njit(cache=True)
def _var(x, start, stop, p, st, out, sd):  # type: ignore[no-untyped-def]
    """Population variance from sums of deviations from an anchor K (st[1]): st[2] = sum(x-K),
    st[3] = sum((x-K)^2). Every ``reset_period(n)`` bars K is set to the current close and the
    sums are recomputed exactly over the window, which bounds the rounding error of the running
    updates; the position in that cycle follows from the bar count, so any chunking of the bars
    gives the same values."""
    n = int(p[0])
    c = x[0]
    o = out[0]
    seen = int(st[0])
    first = first_full(start, stop, seen, n)
    for i in range(start, first):
        o[i - start] = NAN
    if first < stop:
        r = reset_period(n)
        ph = (seen + first - start - n + 1) % r
        sums = (st[1], st[2], st[3])
        if first < n:
            # the first full window of the series (a reset bar): there is no bar before it
            ph, sums = _var_span(c[:n], c[:0], o[first - start :], ph, r, sums, n, p[1], sd)
            first += 1
        ph, sums = _var_span(
            c[first - n + 1 : stop],
            c[first - n : stop - n],
            o[first - start :],
            ph,
            r,
            sums,
            n,
            p[1],
            sd,
        )
        st[1], st[2], st[3] = sums
    st[0] += stop - start


@njit(cache=True, inline="always")
def _var_value(s1, s2, inv, nb, sd):  # type: ignore[no-untyped-def]
    mean = s1 * inv
    var = s2 * inv - mean * mean
    if sd:
        return math.sqrt(var) * nb if not is_zero_or_neg(var) else 0.0
    return var


@njit(cache=True)
def _var_span(win, old, dst, ph, r, sums, n, nb, sd):  # type: ignore[no-untyped-def]
    """The bars of ``_var`` over zero-based slices (``win[j : j + n]`` is the window of bar
    ``j``, ``old[j]`` the bar that leaves it; no index arithmetic that could be negative, so the
    loop compiles tight). Each update adds one precomputed difference to each sum: the
    loop-carried chain is a single addition."""
    k, s1, s2 = sums
    inv = 1.0 / n
    m = len(win) - n + 1
    j = 0
    while j < m:
        if ph == 0:
            k = win[j + n - 1]
            s1 = 0.0
            s2 = 0.0
            for q in range(j, j + n):
                d = win[q] - k
                s1 += d
                s2 += d * d
            dst[j] = _var_value(s1, s2, inv, nb, sd)
            j += 1
            ph = 1 % r
            continue
        # the bars up to the next re-summation: no branch inside
        # (d^2 - e^2 = (d - e)(d + e) with d, e the deviations of the new and the leaving bar;
        # the anchor cancels from d - e)
        run = min(m - j, r - ph)
        k2 = k + k
        for q in range(j, j + run):
            v = win[q + n - 1]
            w = old[q]
            diff = v - w
            s1 += diff
            s2 += diff * ((v + w) - k2)
            dst[q] = _var_value(s1, s2, inv, nb, sd)
        j += run
        ph = (ph + run) % r
    return ph, (k, s1, s2)


@njit(cache=True)
def stddev_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _var(x, start, stop, p, st, out, True)


@njit(cache=True)
def var_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _var(x, start, stop, p, st, out, False)


register(
    Indicator(
        "stddev",
        "statistics",
        ("close",),
        ("stddev",),
        StdDevConfig,
        stddev_kernel,
        lambda c: 4,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        talib="STDDEV",
        row_inputs=True,
    )
)
register(
    Indicator(
        "var",
        "statistics",
        ("close",),
        ("var",),
        VarConfig,
        var_kernel,
        lambda c: 4,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        talib="VAR",
        row_inputs=True,
    )
)


# --- Correlation / beta --------------------------------------------------------------------


class CorrelConfig(FrozenConfig):
    """Rolling Pearson correlation of inputs ``x`` and ``y`` (TA-Lib CORREL; 0 when the
    product of the two variance sums is below 1e-8). Sums of deviations from anchors that are
    reset (and the sums recomputed exactly) every ``primitives.reset_period(timeperiod)`` bars
    keep rounding error at the level of TA-Lib 0.6. Warm-up: ``timeperiod - 1`` leading NaNs.
    Units: -1..1.
    """

    timeperiod: int = _period(30)


@njit(cache=True)
def correl_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    a, b = x[0], x[1]
    o = out[0]
    seen = int(st[0])
    bad = False
    first = first_full(start, stop, seen, n)
    for i in range(start, first):
        bad |= nonfinite(a[i] + b[i])
        o[i - start] = NAN
    if first < stop:
        r = reset_period(n)
        ph = (seen + first - start - n + 1) % r
        sums = (st[1], st[2], st[3], st[4], st[5], st[6], st[7])
        if first < n:
            # the first full window of the series (a reset bar): there is no bar before it
            ph, sums, flag = _correl_span(
                a[:n], b[:n], a[:0], b[:0], o[first - start :], ph, r, sums, n
            )
            bad |= flag
            first += 1
        ph, sums, flag = _correl_span(
            a[first - n + 1 : stop],
            b[first - n + 1 : stop],
            a[first - n : stop - n],
            b[first - n : stop - n],
            o[first - start :],
            ph,
            r,
            sums,
            n,
        )
        st[1], st[2], st[3], st[4], st[5], st[6], st[7] = sums
        # every bar entered the sums of x and y, non-finite from then to the next reset
        bad |= flag or nonfinite(sums[2] + sums[3])
    st[0] += stop - start
    return bad


@njit(cache=True, inline="always")
def _correl_value(sx, sy, sxy, sx2, sy2, inv):  # type: ignore[no-untyped-def]
    tmp = (sx2 - sx * sx * inv) * (sy2 - sy * sy * inv)
    if is_zero_or_neg(tmp):
        return 0.0
    return (sxy - sx * sy * inv) / math.sqrt(tmp)


@njit(cache=True, fastmath={"contract"})
def _correl_span(wa, wb, oa, ob, dst, ph, r, sums, n):  # type: ignore[no-untyped-def]
    """The bars of ``correl_kernel`` over zero-based slices (as :func:`_var_span`): sums of
    deviations from anchors (st[1], st[2]) that are reset, and the sums recomputed exactly,
    every ``reset_period(n)`` bars; also whether the sums of x and y were non-finite before a
    reset (a non-finite input entered them)."""
    ka, kb, sx, sy, sxy, sx2, sy2 = sums
    bad = False
    inv = 1.0 / n
    m = len(wa) - n + 1
    j = 0
    while j < m:
        if ph == 0:
            bad |= nonfinite(sx + sy)
            ka, kb = wa[j + n - 1], wb[j + n - 1]
            sx = sy = sxy = sx2 = sy2 = 0.0
            for q in range(j, j + n):
                u, v = wa[q] - ka, wb[q] - kb
                sx += u
                sy += v
                sxy += u * v
                sx2 += u * u
                sy2 += v * v
            dst[j] = _correl_value(sx, sy, sxy, sx2, sy2, inv)
            j += 1
            ph = 1 % r
            continue
        run = min(m - j, r - ph)
        # zero-based views indexed by the loop variable only (no wraparound checks)
        na, nb = wa[j + n - 1 : j + n - 1 + run], wb[j + n - 1 : j + n - 1 + run]
        pa, pb, ds = oa[j : j + run], ob[j : j + run], dst[j : j + run]
        for q in range(run):
            u, v = na[q] - ka, nb[q] - kb
            e, f = pa[q] - ka, pb[q] - kb
            sx += u - e
            sy += v - f
            sxy += u * v - e * f
            sx2 += (u - e) * (u + e)
            sy2 += (v - f) * (v + f)
            ds[q] = _correl_value(sx, sy, sxy, sx2, sy2, inv)
        j += run
        ph = (ph + run) % r
    return ph, (ka, kb, sx, sy, sxy, sx2, sy2), bad


register(
    Indicator(
        "correl",
        "statistics",
        ("x", "y"),
        ("correl",),
        CorrelConfig,
        correl_kernel,
        lambda c: 8,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        talib="CORREL",
        row_inputs=True,
        checks_finite=True,
    )
)


class BetaConfig(FrozenConfig):
    """Rolling beta of the simple returns of ``y`` on those of ``x`` (the benchmark) over
    ``timeperiod`` returns (TA-Lib BETA(real0=x, real1=y); a previous price below 1e-8 gives a
    0 return, a variance term below 1e-8 gives 0). Warm-up: ``timeperiod`` leading NaNs.
    Units: dimensionless.
    """

    timeperiod: int = _period(5, 1)


@njit(cache=True)
def _ret(row, j):  # type: ignore[no-untyped-def]
    prev = row[j - 1]
    return (row[j] - prev) / prev if not is_zero(prev) else 0.0


@njit(cache=True)
def beta_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    a, b = x[0], x[1]
    t0 = int(st[0]) - start
    sxx, sx, sxy, sy = st[1], st[2], st[3], st[4]
    for i in range(start, stop):
        t = t0 + i
        out[0, i - start] = NAN
        if t == 0:
            continue
        u, v = _ret(a, i), _ret(b, i)
        sxx += u * u
        sx += u
        sxy += u * v
        sy += v
        if t < n:
            continue
        u, v = _ret(a, i - n + 1), _ret(b, i - n + 1)
        tmp = (n * sxx) - (sx * sx)
        out[0, i - start] = ((n * sxy) - (sx * sy)) / tmp if not is_zero(tmp) else 0.0
        sxx -= u * u
        sx -= u
        sxy -= u * v
        sy -= v
    st[1], st[2], st[3], st[4] = sxx, sx, sxy, sy
    st[0] += stop - start


register(
    Indicator(
        "beta",
        "statistics",
        ("x", "y"),
        ("beta",),
        BetaConfig,
        beta_kernel,
        lambda c: 5,
        lambda c: c.timeperiod,
        history=lambda c: c.timeperiod,
        talib="BETA",
        row_inputs=True,
    )
)


# --- z-score / quantile --------------------------------------------------------------------


class ZScoreConfig(FrozenConfig):
    """Rolling z-score (close - mean)/stdev over ``timeperiod`` bars, population stdev (ddof 0)
    from anchored running sums; a zero stdev gives NaN.
    Warm-up: ``timeperiod - 1`` leading NaNs. Units: standard deviations.
    """

    timeperiod: int = _period(20)


@njit(cache=True)
def zscore_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        if t < n - 1:
            out[0, i - start] = NAN
            continue
        var = anchored_moments(x[0], i, t, n, st, 1)
        mean = st[1] + st[2] / n
        out[0, i - start] = (x[0][i] - mean) / math.sqrt(var) if var > 0.0 else NAN
    st[0] += stop - start


register(
    Indicator(
        "zscore",
        "statistics",
        ("close",),
        ("zscore",),
        ZScoreConfig,
        zscore_kernel,
        lambda c: 4,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        row_inputs=True,
    )
)


class QuantileConfig(FrozenConfig):
    """Rolling quantile of ``close`` over ``timeperiod`` bars with linear interpolation between
    order statistics (the pandas/numpy "linear" rule); O(window) per bar via a sorted window.
    Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """

    timeperiod: int = _period(20, 1)
    quantile: float = Field(0.5, ge=0.0, le=1.0, description="quantile level in [0, 1]")


@njit(cache=True)
def quantile_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n, q = int(p[0]), p[1]
    c = x[0]
    t0 = int(st[0]) - start
    # st[1:1+n]: the window, sorted ascending
    for i in range(start, stop):
        t = t0 + i
        m = t if t < n else n
        if t >= n:
            old = c[i - n]
            j = 0
            while j < m - 1 and st[1 + j] != old:
                j += 1
            for k in range(j, m - 1):
                st[1 + k] = st[2 + k]
            m -= 1
        v = c[i]
        j = m
        while j > 0 and st[j] > v:
            st[1 + j] = st[j]
            j -= 1
        st[1 + j] = v
        m += 1
        if t < n - 1:
            out[0, i - start] = NAN
            continue
        pos = q * (n - 1)
        lo = math.floor(pos)
        frac = pos - lo
        if lo + 1 < n:
            out[0, i - start] = st[1 + lo] + (st[2 + lo] - st[1 + lo]) * frac
        else:
            out[0, i - start] = st[1 + lo]
    st[0] += stop - start


register(
    Indicator(
        "rolling_quantile",
        "statistics",
        ("close",),
        ("quantile",),
        QuantileConfig,
        quantile_kernel,
        lambda c: 1 + c.timeperiod,
        lambda c: c.timeperiod - 1,
        history=lambda c: c.timeperiod,
        row_inputs=True,
    )
)
