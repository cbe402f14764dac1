"""One fused numba kernel per candlestick pattern (TA-Lib CDL* semantics).

Every kernel follows the indicator contract ``kernel(x, start, stop, p, st, out)`` of
:mod:`nautilus.features.base` with ``x`` rows open, high, low, close, given either as a
``(4, n)`` array or as a tuple of four rows (``row_inputs``: the batch path passes the caller's
columns without stacking them); kernels only ever take a row with ``x[k]``. Each running
average of TA-Lib's candle settings is a local running total: primed over the ``avg_period``
bars before the first scored bar, then updated by adding the bar entering and subtracting the
bar leaving the window, in TA-Lib's order of floating-point operations, so every comparison
matches TA-Lib bit for bit. One pass over the bars, no intermediate arrays; the totals go back
into ``st`` (``st[0]`` bars seen, ``st[1:]`` totals) so the streaming twin continues them bar
by bar.

Speed (1M bars, see ``benchmarks/bench_patterns_vs_talib.py``): the conditions of a pattern
are combined with ``&`` rather than ``and`` and the score is built with integer arithmetic,
because random bars make short-circuit branches unpredictable; inside the loop bar
``first + k`` sits at index ``k + lookback`` of row views that start ``lookback`` bars back, so
every index is a constant non-negative offset and numba's negative-index checks fold away; the
multi-candle patterns carry the previous bars' prices and ranges in local variables instead of
reloading and recomputing them every bar.

The settings used here (TA-Lib defaults; range kind, period, factor): body long (body, 10,
1.0), body short (body, 10, 1.0), body doji (high-low, 10, 0.1), shadow long (body, 0, 1.0),
shadow very short (high-low, 10, 0.1), near (high-low, 5, 0.2), far (high-low, 5, 0.6). An
average is ``factor * (total / period)``; a period of 0 means the range of the bar itself.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from nautilus.features.primitives import NAN, nonfinite

# lookbacks as in TA-Lib's *_Lookback functions
LB_DOJI = 10
LB_HAMMER = 11
LB_STAR1 = 11  # shooting star, inverted hammer
LB_SPINNINGTOP = 10
LB_MARUBOZU = 10
LB_ENGULFING = 2
LB_HARAMI = 11
LB_STAR3 = 12  # morning star, evening star
LB_WHITESOLDIERS = 12
LB_BLACKCROWS = 13
STATE_SIZE = 7  # bars seen + at most 6 running totals (three white soldiers)


@njit(cache=True, inline="always")
def _body(o, c, j):  # type: ignore[no-untyped-def]
    return math.fabs(c[j] - o[j])


@njit(cache=True, inline="always")
def _hl(h, lo, j):  # type: ignore[no-untyped-def]
    return h[j] - lo[j]


# max/min rather than a conditional on the candle colour (the same value for finite prices):
# the conditional compiled to branches that made the tuple-of-rows kernels ten times slower
@njit(cache=True, inline="always")
def _upper(o, h, c, j):  # type: ignore[no-untyped-def]
    return h[j] - max(o[j], c[j])


@njit(cache=True, inline="always")
def _lower(o, lo, c, j):  # type: ignore[no-untyped-def]
    return min(o[j], c[j]) - lo[j]


@njit(cache=True, inline="always")
def _white(o, c, j):  # type: ignore[no-untyped-def]
    return c[j] >= o[j]


@njit(cache=True, inline="always")
def _sign(white):  # type: ignore[no-untyped-def]
    """+1 for a white (close >= open) candle, -1 for a black one, as an integer."""
    return np.int64(white) * 2 - 1


@njit(cache=True, inline="always")
def _score(v):  # type: ignore[no-untyped-def]
    return np.float64(v)


@njit(cache=True, inline="always")
def _sum_body(x, a, b):  # type: ignore[no-untyped-def]
    o, c = x[0], x[3]
    tot = 0.0
    for j in range(a, b):
        tot += math.fabs(c[j] - o[j])
    return tot


@njit(cache=True, inline="always")
def _sum_hl(x, a, b):  # type: ignore[no-untyped-def]
    h, lo = x[1], x[2]
    tot = 0.0
    for j in range(a, b):
        tot += h[j] - lo[j]
    return tot


@njit(cache=True, inline="always")
def _warmup(st, start, stop, lb, res):  # type: ignore[no-untyped-def]
    """Write NaN for the warm-up bars; return the first scored bar and whether the running
    totals are primed there (bar number ``lb``, reached in this call)."""
    n0 = int(st[0]) - start
    first = min(stop, max(start, lb - n0))
    for i in range(start, first):
        res[i - start] = NAN
    return first, first < stop and n0 + first == lb


@njit(cache=True, inline="always")
def _window(x, first, stop, back):  # type: ignore[no-untyped-def]
    """Open, high, low, close views from bar ``first - back`` to ``stop``; empty when no bar is
    scored (the lookback guarantees ``back`` bars of history before a scored bar)."""
    a = first - back if first < stop else stop
    return x[0][a:stop], x[1][a:stop], x[2][a:stop], x[3][a:stop]


@njit(cache=True)
def cdl_doji(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    """Returns True if an input of the bars ``start..stop-1`` may be non-finite: the scored
    bars' high - low enter the running total (non-finite from then on), close - open is
    checked per bar, the warm-up bars directly."""
    res = out[0]
    first, prime = _warmup(st, start, stop, LB_DOJI, res)
    bad = False
    for i in range(start, first):
        bad |= nonfinite(x[0][i] + x[1][i] + x[2][i] + x[3][i])
    doji = _sum_hl(x, first - 10, first) if prime else st[1]
    o, h, lo, c = _window(x, first, stop, LB_DOJI)
    r = res[first - start :]
    for k in range(stop - first):
        i = k + LB_DOJI
        d = c[i] - o[i]
        bad |= nonfinite(d)
        r[k] = _score(np.int64(math.fabs(d) <= 0.1 * (doji / 10.0)) * 100)
        doji += _hl(h, lo, i) - _hl(h, lo, i - 10)
    st[1] = doji
    st[0] += stop - start
    return bad or nonfinite(doji)


@njit(cache=True, inline="always")
def _hammer_shape(x, start, stop, st, out, hanging):  # type: ignore[no-untyped-def]
    res = out[0]
    first, prime = _warmup(st, start, stop, LB_HAMMER, res)
    if prime:
        short = _sum_body(x, first - 10, first)
        vshort = _sum_hl(x, first - 10, first)
        near = _sum_hl(x, first - 6, first - 1)
    else:
        short, vshort, near = st[1], st[2], st[3]
    o, h, lo, c = _window(x, first, stop, LB_HAMMER)
    r = res[first - start :]
    for k in range(stop - first):
        i = k + LB_HAMMER
        b = _body(o, c, i)
        bot = min(c[i], o[i])
        hit = (
            (b < 1.0 * (short / 10.0))
            & (_lower(o, lo, c, i) > b)
            & (_upper(o, h, c, i) < 0.1 * (vshort / 10.0))
        )
        if hanging:
            r[k] = _score(np.int64(hit & (bot >= h[i - 1] - 0.2 * (near / 5.0))) * -100)
        else:
            r[k] = _score(np.int64(hit & (bot <= lo[i - 1] + 0.2 * (near / 5.0))) * 100)
        short += b - _body(o, c, i - 10)
        vshort += _hl(h, lo, i) - _hl(h, lo, i - 10)
        near += _hl(h, lo, i - 1) - _hl(h, lo, i - 6)
    st[1], st[2], st[3] = short, vshort, near
    st[0] += stop - start


@njit(cache=True)
def cdl_hammer(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _hammer_shape(x, start, stop, st, out, False)


@njit(cache=True)
def cdl_hangingman(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _hammer_shape(x, start, stop, st, out, True)


@njit(cache=True, inline="always")
def _star_shape(x, start, stop, st, out, shooting):  # type: ignore[no-untyped-def]
    res = out[0]
    first, prime = _warmup(st, start, stop, LB_STAR1, res)
    if prime:
        short = _sum_body(x, first - 10, first)
        vshort = _sum_hl(x, first - 10, first)
    else:
        short, vshort = st[1], st[2]
    o, h, lo, c = _window(x, first, stop, LB_STAR1)
    r = res[first - start :]
    for k in range(stop - first):
        i = k + LB_STAR1
        b = _body(o, c, i)
        hit = (
            (b < 1.0 * (short / 10.0))
            & (_upper(o, h, c, i) > b)
            & (_lower(o, lo, c, i) < 0.1 * (vshort / 10.0))
        )
        if shooting:
            gap = min(o[i], c[i]) > max(o[i - 1], c[i - 1])
            r[k] = _score(np.int64(hit & gap) * -100)
        else:
            gap = max(o[i], c[i]) < min(o[i - 1], c[i - 1])
            r[k] = _score(np.int64(hit & gap) * 100)
        short += b - _body(o, c, i - 10)
        vshort += _hl(h, lo, i) - _hl(h, lo, i - 10)
    st[1], st[2] = short, vshort
    st[0] += stop - start


@njit(cache=True)
def cdl_shootingstar(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _star_shape(x, start, stop, st, out, True)


@njit(cache=True)
def cdl_invertedhammer(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _star_shape(x, start, stop, st, out, False)


@njit(cache=True)
def cdl_spinningtop(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    res = out[0]
    first, prime = _warmup(st, start, stop, LB_SPINNINGTOP, res)
    short = _sum_body(x, first - 10, first) if prime else st[1]
    o, h, lo, c = _window(x, first, stop, LB_SPINNINGTOP)
    r = res[first - start :]
    for k in range(stop - first):
        i = k + LB_SPINNINGTOP
        b = _body(o, c, i)
        hit = (b < 1.0 * (short / 10.0)) & (_upper(o, h, c, i) > b) & (_lower(o, lo, c, i) > b)
        r[k] = _score(np.int64(hit) * _sign(_white(o, c, i)) * 100)
        short += b - _body(o, c, i - 10)
    st[1] = short
    st[0] += stop - start


@njit(cache=True)
def cdl_marubozu(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    res = out[0]
    first, prime = _warmup(st, start, stop, LB_MARUBOZU, res)
    if prime:
        long_ = _sum_body(x, first - 10, first)
        vshort = _sum_hl(x, first - 10, first)
    else:
        long_, vshort = st[1], st[2]
    o, h, lo, c = _window(x, first, stop, LB_MARUBOZU)
    r = res[first - start :]
    for k in range(stop - first):
        i = k + LB_MARUBOZU
        b = _body(o, c, i)
        vs = 0.1 * (vshort / 10.0)
        hit = (b > 1.0 * (long_ / 10.0)) & (_upper(o, h, c, i) < vs) & (_lower(o, lo, c, i) < vs)
        r[k] = _score(np.int64(hit) * _sign(_white(o, c, i)) * 100)
        long_ += b - _body(o, c, i - 10)
        vshort += _hl(h, lo, i) - _hl(h, lo, i - 10)
    st[1], st[2] = long_, vshort
    st[0] += stop - start


@njit(cache=True)
def cdl_engulfing(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    res = out[0]
    first, _ = _warmup(st, start, stop, LB_ENGULFING, res)
    o, _h, _lo, c = _window(x, first, stop, LB_ENGULFING)
    r = res[first - start :]
    for k in range(stop - first):
        i = k + LB_ENGULFING
        o0, c0, o1, c1 = o[i], c[i], o[i - 1], c[i - 1]
        white, white1 = c0 >= o0, c1 >= o1
        bull = white & (not white1) & (((c0 >= o1) & (o0 < c1)) | ((c0 > o1) & (o0 <= c1)))
        bear = (not white) & white1 & (((o0 >= c1) & (c0 < o1)) | ((o0 > c1) & (c0 <= o1)))
        full = (o0 != c1) & (c0 != o1)
        r[k] = _score(np.int64(bull | bear) * _sign(white) * (80 + 20 * np.int64(full)))
    st[0] += stop - start


@njit(cache=True)
def cdl_harami(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    res = out[0]
    first, prime = _warmup(st, start, stop, LB_HARAMI, res)
    if prime:
        long_ = _sum_body(x, first - 11, first - 1)
        short = _sum_body(x, first - 10, first)
    else:
        long_, short = st[1], st[2]
    o, _h, _lo, c = _window(x, first, stop, LB_HARAMI)
    r = res[first - start :]
    for k in range(stop - first):
        i = k + LB_HARAMI
        b0, b1 = _body(o, c, i), _body(o, c, i - 1)
        hi0, lo0 = max(c[i], o[i]), min(c[i], o[i])
        hi1, lo1 = max(c[i - 1], o[i - 1]), min(c[i - 1], o[i - 1])
        hit = (b1 > 1.0 * (long_ / 10.0)) & (b0 <= 1.0 * (short / 10.0))
        inside = (hi0 <= hi1) & (lo0 >= lo1)
        strict = (hi0 < hi1) & (lo0 > lo1)
        sign = -_sign(_white(o, c, i - 1))
        r[k] = _score(np.int64(hit & inside) * sign * (80 + 20 * np.int64(strict)))
        long_ += b1 - _body(o, c, i - 11)
        short += b0 - _body(o, c, i - 10)
    st[1], st[2] = long_, short
    st[0] += stop - start


@njit(cache=True, inline="always")
def _three_star(x, start, stop, pen, st, out, evening):  # type: ignore[no-untyped-def]
    res = out[0]
    first, prime = _warmup(st, start, stop, LB_STAR3, res)
    if prime:
        long_ = _sum_body(x, first - 12, first - 2)
        short1 = _sum_body(x, first - 11, first - 1)
        short0 = _sum_body(x, first - 10, first)
    else:
        long_, short1, short0 = st[1], st[2], st[3]
    o, _h, _lo, c = _window(x, first, stop, LB_STAR3)
    r = res[first - start :]
    L = LB_STAR3
    # the previous two bars and the bodies leaving the windows ride along in registers
    o2 = o1 = c2 = c1 = b2 = b1 = t11 = t10 = 0.0
    if stop > first:
        o2, o1, c2, c1 = o[L - 2], o[L - 1], c[L - 2], c[L - 1]
        b2, b1 = _body(o, c, L - 2), _body(o, c, L - 1)
        t11, t10 = _body(o, c, L - 12), _body(o, c, L - 11)
    for k in range(stop - first):
        i = k + L
        o0, c0 = o[i], c[i]
        b0 = math.fabs(c0 - o0)
        t12, t11, t10 = t11, t10, _body(o, c, i - 10)
        hit = (
            (b2 > 1.0 * (long_ / 10.0))
            & (b1 <= 1.0 * (short1 / 10.0))
            & (b0 > 1.0 * (short0 / 10.0))
        )
        if evening:
            hit &= (c2 >= o2) & (min(o1, c1) > max(o2, c2)) & (c0 < o0) & (c0 < c2 - b2 * pen)
            r[k] = _score(np.int64(hit) * -100)
        else:
            hit &= (c2 < o2) & (c0 >= o0) & (max(o1, c1) < min(o2, c2)) & (c0 > c2 + b2 * pen)
            r[k] = _score(np.int64(hit) * 100)
        long_ += b2 - t12
        short1 += b1 - t11
        short0 += b0 - t10
        o2, o1, c2, c1, b2, b1 = o1, o0, c1, c0, b1, b0
    st[1], st[2], st[3] = long_, short1, short0
    st[0] += stop - start


@njit(cache=True)
def cdl_morningstar(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _three_star(x, start, stop, p[0], st, out, False)


@njit(cache=True)
def cdl_eveningstar(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    _three_star(x, start, stop, p[0], st, out, True)


@njit(cache=True)
def cdl_3whitesoldiers(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    res = out[0]
    L = LB_WHITESOLDIERS
    first, prime = _warmup(st, start, stop, L, res)
    # TA-Lib keeps separate near and far totals; both sum high-low over the same five bars in
    # the same order, so they are the same numbers and one total serves both factors
    if prime:
        vs2 = _sum_hl(x, first - 12, first - 2)
        vs1 = _sum_hl(x, first - 11, first - 1)
        vs0 = _sum_hl(x, first - 10, first)
        near2 = _sum_hl(x, first - 7, first - 2)
        near1 = _sum_hl(x, first - 6, first - 1)
        short = _sum_body(x, first - 10, first)
    else:
        vs2, vs1, vs0, near2, near1, short = st[1], st[2], st[3], st[4], st[5], st[6]
    o, h, lo, c = _window(x, first, stop, L)
    r = res[first - start :]
    # the previous two bars' values ride along in registers instead of being reloaded and
    # recomputed every bar; suffix n is bar i - n, t<n> the high-low range n bars back
    o2 = o1 = c2 = c1 = h2 = h1 = r2 = r1 = b2 = b1 = t11 = t10 = t6 = 0.0
    if stop > first:
        o2, o1, c2, c1, h2, h1 = o[L - 2], o[L - 1], c[L - 2], c[L - 1], h[L - 2], h[L - 1]
        r2, r1 = _hl(h, lo, L - 2), _hl(h, lo, L - 1)
        b2, b1 = _body(o, c, L - 2), _body(o, c, L - 1)
        t11, t10, t6 = _hl(h, lo, L - 12), _hl(h, lo, L - 11), _hl(h, lo, L - 7)
    for k in range(stop - first):
        i = k + L
        o0, c0, h0 = o[i], c[i], h[i]
        r0 = h0 - lo[i]
        b0 = _body(o, c, i)
        t12, t11, t10 = t11, t10, _hl(h, lo, i - 10)
        t7, t6 = t6, _hl(h, lo, i - 6)
        # all three candles white, so each upper shadow is high - close
        hit = (
            (c2 >= o2)
            & (c1 >= o1)
            & (c0 >= o0)
            & (c0 > c1)
            & (c1 > c2)
            & (o1 > o2)
            & (o0 > o1)
            & (h2 - c2 < 0.1 * (vs2 / 10.0))
            & (h1 - c1 < 0.1 * (vs1 / 10.0))
            & (h0 - c0 < 0.1 * (vs0 / 10.0))
            & (o1 <= c2 + 0.2 * (near2 / 5.0))
            & (o0 <= c1 + 0.2 * (near1 / 5.0))
            & (b1 > b2 - 0.6 * (near2 / 5.0))
            & (b0 > b1 - 0.6 * (near1 / 5.0))
            & (b0 > 1.0 * (short / 10.0))
        )
        r[k] = _score(np.int64(hit) * 100)
        vs2 += r2 - t12
        vs1 += r1 - t11
        vs0 += r0 - t10
        near2 += r2 - t7
        near1 += r1 - t6
        short += b0 - _body(o, c, i - 10)
        o2, o1, c2, c1, h2, h1 = o1, o0, c1, c0, h1, h0
        r2, r1, b2, b1 = r1, r0, b1, b0
    st[1], st[2], st[3], st[4], st[5], st[6] = vs2, vs1, vs0, near2, near1, short
    st[0] += stop - start


@njit(cache=True)
def cdl_3blackcrows(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    res = out[0]
    L = LB_BLACKCROWS
    first, prime = _warmup(st, start, stop, L, res)
    if prime:
        vs2 = _sum_hl(x, first - 12, first - 2)
        vs1 = _sum_hl(x, first - 11, first - 1)
        vs0 = _sum_hl(x, first - 10, first)
    else:
        vs2, vs1, vs0 = st[1], st[2], st[3]
    o, h, lo, c = _window(x, first, stop, L)
    r = res[first - start :]
    # values of the previous three bars ride along in registers (suffix n is bar i - n)
    o3 = o2 = o1 = c3 = c2 = c1 = h3 = l2 = l1 = r2 = r1 = t11 = t10 = 0.0
    if stop > first:
        o3, o2, o1 = o[L - 3], o[L - 2], o[L - 1]
        c3, c2, c1 = c[L - 3], c[L - 2], c[L - 1]
        h3, l2, l1 = h[L - 3], lo[L - 2], lo[L - 1]
        r2, r1 = _hl(h, lo, L - 2), _hl(h, lo, L - 1)
        t11, t10 = _hl(h, lo, L - 12), _hl(h, lo, L - 11)
    for k in range(stop - first):
        i = k + L
        o0, c0, l0 = o[i], c[i], lo[i]
        r0 = h[i] - l0
        t12, t11, t10 = t11, t10, _hl(h, lo, i - 10)
        # the last three candles black, so each lower shadow is close - low
        hit = (
            (c3 >= o3)
            & (c2 < o2)
            & (c1 < o1)
            & (c0 < o0)
            & (o1 < o2)
            & (o1 > c2)
            & (o0 < o1)
            & (o0 > c1)
            & (h3 > c2)
            & (c2 > c1)
            & (c1 > c0)
            & (c2 - l2 < 0.1 * (vs2 / 10.0))
            & (c1 - l1 < 0.1 * (vs1 / 10.0))
            & (c0 - l0 < 0.1 * (vs0 / 10.0))
        )
        r[k] = _score(np.int64(hit) * -100)
        vs2 += r2 - t12
        vs1 += r1 - t11
        vs0 += r0 - t10
        o3, o2, o1, c3, c2, c1 = o2, o1, o0, c2, c1, c0
        h3, l2, l1, r2, r1 = h[i - 2], l1, l0, r1, r0
    st[1], st[2], st[3] = vs2, vs1, vs0
    st[0] += stop - start


# one registered kernel for all patterns, chosen once per call by the pattern id in the last
# parameter: the per-bar streaming step is then compiled once for every pattern, while each
# pattern's loop stays its own specialised function
PATTERN_KERNELS = (
    cdl_doji,
    cdl_hammer,
    cdl_hangingman,
    cdl_shootingstar,
    cdl_invertedhammer,
    cdl_spinningtop,
    cdl_marubozu,
    cdl_engulfing,
    cdl_harami,
    cdl_morningstar,
    cdl_eveningstar,
    cdl_3whitesoldiers,
    cdl_3blackcrows,
)


@njit(cache=True)
def pattern_kernel(x, start, stop, p, st, out):  # type: ignore[no-untyped-def]
    """Run the pattern whose index in ``PATTERN_KERNELS`` is ``p[-1]``; returns the doji's
    non-finite flag (``checks_finite``), True (unchecked) for the other patterns."""
    pat = int(p[p.shape[0] - 1])
    if pat == 0:
        return cdl_doji(x, start, stop, p, st, out)
    if pat == 1:
        cdl_hammer(x, start, stop, p, st, out)
    elif pat == 2:
        cdl_hangingman(x, start, stop, p, st, out)
    elif pat == 3:
        cdl_shootingstar(x, start, stop, p, st, out)
    elif pat == 4:
        cdl_invertedhammer(x, start, stop, p, st, out)
    elif pat == 5:
        cdl_spinningtop(x, start, stop, p, st, out)
    elif pat == 6:
        cdl_marubozu(x, start, stop, p, st, out)
    elif pat == 7:
        cdl_engulfing(x, start, stop, p, st, out)
    elif pat == 8:
        cdl_harami(x, start, stop, p, st, out)
    elif pat == 9:
        cdl_morningstar(x, start, stop, p, st, out)
    elif pat == 10:
        cdl_eveningstar(x, start, stop, p, st, out)
    elif pat == 11:
        cdl_3whitesoldiers(x, start, stop, p, st, out)
    else:
        cdl_3blackcrows(x, start, stop, p, st, out)
    return True  # (the other patterns do not check their inputs)
