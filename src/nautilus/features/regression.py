"""Rolling linear regression on bar offsets: TA-Lib's LINEARREG, LINEARREG_SLOPE,
LINEARREG_INTERCEPT, LINEARREG_ANGLE and TSF, from anchored running sums (O(1) per bar).

Windows include the current bar.
"""

from __future__ import annotations

import math

from numba import njit
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.features.base import Indicator, register
from nautilus.features.primitives import NAN, fast_atan, first_full, reset_period

PERIOD_MAX = 100_000


def _period(default: int, lo: int = 2) -> int:
    return Field(default, ge=lo, le=PERIOD_MAX, description="window length in bars")  # type: ignore[no-any-return]


@njit(cache=True)
def _linreg(x, start, stop, p, st, out, mode):  # type: ignore[no-untyped-def]
    """mode 0 value at the last bar, 1 slope, 2 intercept, 3 angle, 4 one-bar forecast.

    TA-Lib's regression on bar offsets (weight 0 on the newest close, ``n - 1`` on the oldest)
    from running sums of deviations d = close - K: st[2] = sum(d), st[3] = sum(offset * d).
    Sliding one bar ages every offset by one, so sum(offset * d) gains sum(d) and loses
    ``n`` times the close that leaves. The anchor K (st[1]) is reset to the current close and
    both sums recomputed exactly every ``reset_period(n)`` bars, as for the rolling variance
    (``statistics._var``). The slope does not depend on K; the line's level is ``K +`` the
    level fitted to d.
    """
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
            ph, sums = _linreg_span(c[:n], c[:0], o[first - start :], ph, r, sums, n, mode)
            first += 1
        ph, sums = _linreg_span(
            c[first - n + 1 : stop],
            c[first - n : stop - n],
            o[first - start :],
            ph,
            r,
            sums,
            n,
            mode,
        )
        st[1], st[2], st[3] = sums
    st[0] += stop - start


@njit(cache=True, inline="always")
def _linreg_value(k, sy, sxy, n, sum_x, inv_div, inv_n, deg, mode):  # type: ignore[no-untyped-def]
    m = sxy * (n * inv_div) - sy * (sum_x * inv_div)
    b = (sy - m * sum_x) * inv_n
    if mode == 0:
        return k + (b + m * (n - 1))
    if mode == 1:
        return m
    if mode == 2:
        return k + b
    if mode == 3:
        return fast_atan(m) * deg
    return k + (b + m * n)


@njit(cache=True, fastmath={"contract"})
def _linreg_span(win, old, dst, ph, r, sums, n, mode):  # type: ignore[no-untyped-def]
    """The bars of ``_linreg`` over zero-based slices (as ``statistics._var_span``)."""
    k, sy, sxy = sums
    sum_x = n * (n - 1) * 0.5
    sum_x2 = float(n * (n - 1) * (n * 2 - 1) // 6)
    inv_div = 1.0 / (sum_x * sum_x - n * sum_x2)
    inv_n = 1.0 / n
    deg = 180.0 / math.pi
    m = len(win) - n + 1
    j = 0
    while j < m:
        if ph == 0:
            k = win[j + n - 1]
            sy = 0.0
            sxy = 0.0
            for q in range(n):
                d = win[j + n - 1 - q] - k
                sy += d
                sxy += q * d
            dst[j] = _linreg_value(k, sy, sxy, n, sum_x, inv_div, inv_n, deg, mode)
            j += 1
            ph = 1 % r
            continue
        # the bars up to the next re-summation: no branch inside
        # (the anchor cancels from the change of sum(d); sum(offset * d) gains n K)
        run = min(m - j, r - ph)
        nk = n * k
        fn = float(n)
        # zero-based views indexed by the loop variable only (no wraparound checks)
        olds, news, dsts = old[j : j + run], win[j + n - 1 : j + n - 1 + run], dst[j : j + run]
        if mode == 3:
            # the slopes, then their angles in a separate pass (which vectorises)
            for q in range(run):
                w = olds[q]
                sxy += (sy + nk) - fn * w
                sy += news[q] - w
                dsts[q] = _linreg_value(k, sy, sxy, n, sum_x, inv_div, inv_n, deg, 1)
            for q in range(run):
                dsts[q] = fast_atan(dsts[q]) * deg
        else:
            for q in range(run):
                w = olds[q]
                sxy += (sy + nk) - fn * w
                sy += news[q] - w
                dsts[q] = _linreg_value(k, sy, sxy, n, sum_x, inv_div, inv_n, deg, mode)
        j += run
        ph = (ph + run) % r
    return ph, (k, sy, sxy)


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
            lambda c: 4,
            lambda c: c.timeperiod - 1,
            history=lambda c: c.timeperiod,
            talib=_ta,
            row_inputs=True,
        )
    )
