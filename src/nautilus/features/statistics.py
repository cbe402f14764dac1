"""Rolling statistics: stdev/variance, linear regression, correlation, beta, z-score, quantile.

Windows include the current bar. TA-Lib formulas (population moments via E[x^2] - E[x]^2,
regression on bar offsets) are kept where TA-Lib has the function so values match it.
"""

from __future__ import annotations

import math

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import NAN, anchored_moments, is_zero, is_zero_or_neg

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
    n = int(p[0])
    t0 = int(st[0]) - start
    for i in range(start, stop):
        t = t0 + i
        if t < n - 1:
            out[0, i - start] = NAN
            continue
        var = anchored_moments(x[0], i, t, n, st, 1)
        if sd:
            out[0, i - start] = math.sqrt(var) * p[1] if not is_zero_or_neg(var) else 0.0
        else:
            out[0, i - start] = var
    st[0] += stop - start


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
    )
)


# --- Linear regression ---------------------------------------------------------------------


@njit(cache=True)
def _linreg(x, start, stop, p, st, out, mode):  # type: ignore[no-untyped-def]
    """mode 0 value at the last bar, 1 slope, 2 intercept, 3 angle, 4 one-bar forecast."""
    n = int(p[0])
    c = x[0]
    sum_x = n * (n - 1) * 0.5
    sum_x2 = float(n * (n - 1) * (n * 2 - 1) // 6)
    div = sum_x * sum_x - n * sum_x2
    t0 = int(st[0]) - start
    for i in range(start, stop):
        if t0 + i < n - 1:
            out[0, i - start] = NAN
            continue
        sxy = 0.0
        sy = 0.0
        for k in range(n - 1, -1, -1):
            v = c[i - k]
            sy += v
            sxy += k * v
        m = (n * sxy - sum_x * sy) / div
        b = (sy - m * sum_x) / n
        if mode == 0:
            out[0, i - start] = b + m * (n - 1)
        elif mode == 1:
            out[0, i - start] = m
        elif mode == 2:
            out[0, i - start] = b
        elif mode == 3:
            out[0, i - start] = math.atan(m) * (180.0 / math.pi)
        else:
            out[0, i - start] = b + m * n
    st[0] += stop - start


@njit(cache=True)
def linearreg_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _linreg(x, start, stop, p, st, out, 0)


@njit(cache=True)
def linearreg_slope_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _linreg(x, start, stop, p, st, out, 1)


@njit(cache=True)
def linearreg_intercept_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _linreg(x, start, stop, p, st, out, 2)


@njit(cache=True)
def linearreg_angle_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _linreg(x, start, stop, p, st, out, 3)


@njit(cache=True)
def tsf_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _linreg(x, start, stop, p, st, out, 4)


class LinearRegConfig(FrozenConfig):
    """Least-squares line through the last ``timeperiod`` closes, evaluated at the current bar
    (TA-Lib LINEARREG). Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """

    timeperiod: int = _period(14)


class LinearRegSlopeConfig(LinearRegConfig):
    """Slope of the rolling least-squares line (TA-Lib LINEARREG_SLOPE, same formula).

    Rounding error is about 1e-16 x price level x window, like TA-Lib's (on a slope near zero
    that is large *relative* to the slope). Warm-up: ``timeperiod - 1`` leading NaNs.
    Units: price per bar.
    """


class LinearRegInterceptConfig(LinearRegConfig):
    """Value of the rolling least-squares line at the *oldest* bar of the window (TA-Lib
    LINEARREG_INTERCEPT). Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """


class LinearRegAngleConfig(LinearRegConfig):
    """atan(slope) of the rolling least-squares line (TA-Lib LINEARREG_ANGLE).

    Warm-up: ``timeperiod - 1`` leading NaNs. Units: degrees (price per bar taken as 1:1).
    """


class TSFConfig(LinearRegConfig):
    """Time-series forecast: the rolling least-squares line extended one bar ahead (TA-Lib
    TSF). Warm-up: ``timeperiod - 1`` leading NaNs. Units: price.
    """


for _name, _cfg, _k, _ta in (
    ("linearreg", LinearRegConfig, linearreg_kernel, "LINEARREG"),
    ("linearreg_slope", LinearRegSlopeConfig, linearreg_slope_kernel, "LINEARREG_SLOPE"),
    (
        "linearreg_intercept",
        LinearRegInterceptConfig,
        linearreg_intercept_kernel,
        "LINEARREG_INTERCEPT",
    ),
    ("linearreg_angle", LinearRegAngleConfig, linearreg_angle_kernel, "LINEARREG_ANGLE"),
    ("tsf", TSFConfig, tsf_kernel, "TSF"),
):
    register(
        Indicator(
            _name,
            "statistics",
            ("close",),
            (_name,),
            _cfg,
            _k,
            lambda c: 1,
            lambda c: c.timeperiod - 1,
            talib=_ta,
        )
    )


# --- Correlation / beta --------------------------------------------------------------------


class CorrelConfig(FrozenConfig):
    """Rolling Pearson correlation of inputs ``x`` and ``y`` (TA-Lib CORREL; 0 when the
    product of the two variance sums is below 1e-8). Sums of deviations from anchors that are
    reset (and the sums recomputed exactly) every ``timeperiod`` bars keep rounding error at
    the level of TA-Lib 0.6. Warm-up: ``timeperiod - 1`` leading NaNs. Units: -1..1.
    """

    timeperiod: int = _period(30)


@njit(cache=True)
def correl_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    n = int(p[0])
    a, b = x[0], x[1]
    t0 = int(st[0]) - start
    ka, kb, sx, sy, sxy, sx2, sy2 = st[1], st[2], st[3], st[4], st[5], st[6], st[7]
    for i in range(start, stop):
        t = t0 + i
        if t < n - 1:
            out[0, i - start] = NAN
            continue
        if (t - n + 1) % n == 0:
            ka, kb = a[i], b[i]
            sx = sy = sxy = sx2 = sy2 = 0.0
            for j in range(i - n + 1, i + 1):
                u, v = a[j] - ka, b[j] - kb
                sx += u
                sy += v
                sxy += u * v
                sx2 += u * u
                sy2 += v * v
        else:
            u, v = a[i] - ka, b[i] - kb
            e, f = a[i - n] - ka, b[i - n] - kb
            sx += u - e
            sy += v - f
            sxy += u * v - e * f
            sx2 += u * u - e * e
            sy2 += v * v - f * f
        tmp = (sx2 - ((sx * sx) / n)) * (sy2 - ((sy * sy) / n))
        if is_zero_or_neg(tmp):
            out[0, i - start] = 0.0
        else:
            out[0, i - start] = (sxy - ((sx * sy) / n)) / math.sqrt(tmp)
    st[1], st[2], st[3], st[4], st[5], st[6], st[7] = ka, kb, sx, sy, sxy, sx2, sy2
    st[0] += stop - start


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
        out[0, i - start] = (x[0, i] - mean) / math.sqrt(var) if var > 0.0 else NAN
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
    )
)
