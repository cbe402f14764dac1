"""Numba building blocks shared by the indicator kernels.

Every helper keeps its state in a slice of the kernel's state vector ``st`` starting at offset
``o`` so that composite indicators (MACD, Stochastic, TRIX, ...) can chain them and the
streaming twin can resume them bar by bar. Raw-input helpers read past bars directly from the
input row (the kernel's history); helpers over intermediate series keep a ring buffer in ``st``.
"""

from __future__ import annotations

import math

import llvmlite.ir as llir
import numpy as np
from numba import njit
from numba.core import types as nbtypes
from numba.extending import intrinsic

NAN = np.nan
EPS_ZERO = 1e-8
"""TA-Lib's ``TA_IS_ZERO`` threshold: ``|v| < 1e-8`` counts as zero (an absolute threshold)."""


@njit(cache=True)
def row_finite(row: np.ndarray) -> bool:
    """True if every element of the 1-D array is finite: a branch-free OR-reduction (``v - v``
    is 0 for finite ``v`` and NaN otherwise), which LLVM vectorises."""
    bad = False
    for j in range(row.shape[0]):
        v = row[j]
        bad |= (v - v) != 0.0
    return not bad


@njit(cache=True)
def rows_finite(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> bool:
    """True if the sum ``a + b + c + d`` of four rows of one length is finite at every bar: all
    rows then are (pass a row twice to check fewer). One pass streams four rows from memory
    faster than a pass per row; False also when finite values overflow (a false alarm)."""
    bad = False
    for j in range(a.shape[0]):
        s = a[j] + b[j] + c[j] + d[j]
        bad |= (s - s) != 0.0
    return not bad


@njit(cache=True, inline="always")
def nonfinite(v: float) -> bool:
    """True for NaN and +-inf (``v - v`` is 0 only for finite ``v``). On a sum of inputs it
    is the cheap check of :attr:`Indicator.checks_finite` kernels: a sum is non-finite if any
    term is (and, as a false alarm, if the finite terms overflow)."""
    return (v - v) != 0.0


@njit(cache=True, inline="always")
def lead_to_align(row: np.ndarray) -> int:
    """Elements before the first 64-byte aligned one of a float64 row (0..7): a memory-bound
    loop peels these so its vectorised (zmm) loads of ``row`` do not each cross a cache line."""
    return ((-row.ctypes.data) % 64) // 8


@intrinsic
def fma(typingctx, a, b, c):  # type: ignore[no-untyped-def]
    """``a * b + c`` rounded once (LLVM ``llvm.fma.f64``): an explicit fused multiply-add, so
    the kernel's arithmetic does not depend on which products LLVM chooses to contract. Kernels
    using it have no pure-Python streaming twin (Python 3.11 has no ``fma``)."""
    sig = nbtypes.float64(nbtypes.float64, nbtypes.float64, nbtypes.float64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        d = llir.DoubleType()
        f = builder.module.declare_intrinsic("llvm.fma", [d], llir.FunctionType(d, [d, d, d]))
        return builder.call(f, args)

    return sig, codegen


@njit(cache=True)
def is_zero(v: float) -> bool:
    """TA-Lib ``TA_IS_ZERO``."""
    return -EPS_ZERO < v < EPS_ZERO


@njit(cache=True)
def is_zero_or_neg(v: float) -> bool:
    """TA-Lib ``TA_IS_ZERO_OR_NEG``."""
    return v < EPS_ZERO


@njit(cache=True)
def true_range(h: float, low: float, prev_close: float) -> float:
    """TA-Lib ``TRUE_RANGE``: max(h - l, |h - prev close|, |l - prev close|).

    Written with ``max`` (branch-free); for finite inputs identical to TA-Lib's comparisons.
    """
    return max(max(h - low, math.fabs(prev_close - h)), math.fabs(low - prev_close))


@njit(cache=True, inline="always")
def roll_max(row: np.ndarray, i: int, t: int, n: int, st: np.ndarray, o: int) -> float:
    """Highest ``row`` over the bars ``t-n+1..t`` (``t >= n-1``); state: st[o]=value, st[o+1]=bar.

    TA-Lib's tracking scheme: rescan the window only when the highest bar leaves it; ties go to
    the latest bar. ``st[o+1]`` must start below 0 (the kernel initialises it to -1).
    """
    trailing = t - n + 1
    v = row[i]
    if st[o + 1] < trailing:
        hi_t = trailing
        hi = row[i - (t - trailing)]
        for j in range(trailing + 1, t + 1):
            w = row[i - (t - j)]
            if w >= hi:
                hi = w
                hi_t = j
        st[o] = hi
        st[o + 1] = hi_t
    elif v >= st[o]:
        st[o] = v
        st[o + 1] = t
    return st[o]


@njit(cache=True, inline="always")
def roll_min(row: np.ndarray, i: int, t: int, n: int, st: np.ndarray, o: int) -> float:
    """Lowest ``row`` over the bars ``t-n+1..t``; the mirror of :func:`roll_max`."""
    trailing = t - n + 1
    v = row[i]
    if st[o + 1] < trailing:
        lo_t = trailing
        lo = row[i - (t - trailing)]
        for j in range(trailing + 1, t + 1):
            w = row[i - (t - j)]
            if w <= lo:
                lo = w
                lo_t = j
        st[o] = lo
        st[o + 1] = lo_t
    elif v <= st[o]:
        st[o] = v
        st[o + 1] = t
    return st[o]


@njit(cache=True)
def ema_step(st: np.ndarray, o: int, n: int, k: float, v: float) -> float:
    """EMA seeded with the SMA of its first ``n`` inputs (TA-Lib default compatibility).

    State: st[o] = inputs seen, st[o+1] = running seed sum, then the EMA. NaN while warming up.
    """
    c = st[o]
    st[o] = c + 1.0
    if c < n - 1:
        st[o + 1] += v
        return NAN
    if c == n - 1:
        e = (st[o + 1] + v) / n
        st[o + 1] = e
        return e
    e = (v - st[o + 1]) * k + st[o + 1]
    st[o + 1] = e
    return e


@njit(cache=True)
def sma_ring_step(st: np.ndarray, o: int, n: int, v: float) -> float:
    """SMA over an intermediate series; state: st[o]=count, st[o+1]=sum, st[o+2:o+2+n]=ring.

    Same operation order as TA-Lib ``INT_SMA``: add the new value, divide, then drop the oldest.
    """
    c = int(st[o])
    st[o] = c + 1
    pos = c % n
    st[o + 2 + pos] = v
    st[o + 1] += v
    if c < n - 1:
        return NAN
    r = st[o + 1] / n
    tp = pos + 1
    if tp == n:
        tp = 0
    st[o + 1] -= st[o + 2 + tp]
    return r


@njit(cache=True)
def ring_push(st: np.ndarray, o: int, n: int, v: float) -> int:
    """Append ``v`` to the ring st[o+1:o+1+n] (st[o] = count); returns the new count."""
    c = int(st[o])
    st[o + 1 + c % n] = v
    st[o] = c + 1
    return c + 1


@njit(cache=True)
def ring_wma(st: np.ndarray, o: int, n: int) -> float:
    """Linearly weighted mean of a full ring, weight n on the newest value, 1 on the oldest."""
    c = int(st[o])
    num = 0.0
    for w in range(1, n + 1):
        num += w * st[o + 1 + (c - n + w - 1) % n]
    return num / (n * (n + 1) / 2.0)


@njit(cache=True)
def wma_raw_step(row: np.ndarray, i: int, t: int, n: int, st: np.ndarray, o: int) -> float:
    """TA-Lib WMA recurrence over a raw input row; state: st[o]=sum, st[o+1]=sub, st[o+2]=trail."""
    v = row[i]
    if t < n - 1:
        st[o + 1] += v
        st[o] += v * (t + 1)
        return NAN
    st[o + 1] += v
    st[o + 1] -= st[o + 2]
    st[o] += v * n
    st[o + 2] = row[i - (n - 1)]
    r = st[o] / ((n * (n + 1)) >> 1)
    st[o] -= st[o + 1]
    return r


@njit(cache=True)
def anchored_moments(row: np.ndarray, i: int, t: int, n: int, st: np.ndarray, o: int) -> float:
    """Population variance of ``row`` over the bars ``t-n+1..t`` (call for every ``t >= n-1``).

    Running sums of deviations from an anchor K (st[o]); every ``n`` bars K is reset to the
    current value and the sums are recomputed exactly over the window, so rounding error stays
    at O(n) operations on small numbers instead of growing with the series or cancelling in
    E[x^2] - E[x]^2. State: st[o]=K, st[o+1]=sum(x-K), st[o+2]=sum((x-K)^2); the window mean is
    ``K + st[o+1]/n``.
    """
    if (t - n + 1) % n == 0:
        k = row[i]
        s1 = 0.0
        s2 = 0.0
        for j in range(i - n + 1, i + 1):
            d = row[j] - k
            s1 += d
            s2 += d * d
        st[o] = k
    else:
        k = st[o]
        d = row[i] - k
        e = row[i - n] - k
        s1 = st[o + 1] + d - e
        s2 = st[o + 2] + d * d - e * e
    st[o + 1] = s1
    st[o + 2] = s2
    m = s1 / n
    return s2 / n - m * m


@njit(cache=True, inline="always")
def window_max(row: np.ndarray, i: int, t: int, n: int, st: np.ndarray, o: int) -> float:
    """Highest ``row`` over the bars ``t-n+1..t`` (value only; state as in :func:`roll_max`).

    The tracking scheme rescans only when the highest bar leaves the window, so on price data
    it costs O(1) amortised per bar (a direct scan of the window costs O(n) every bar).
    """
    return roll_max(row, i, t, n, st, o)


@njit(cache=True, inline="always")
def window_min(row: np.ndarray, i: int, t: int, n: int, st: np.ndarray, o: int) -> float:
    """Lowest ``row`` over the bars ``t-n+1..t`` (value only; state as in :func:`roll_min`)."""
    return roll_min(row, i, t, n, st, o)


@njit(cache=True, inline="always")
def block_extremes(
    hrow: np.ndarray, lrow: np.ndarray, i: int, t: int, pos: int, n: int, st: np.ndarray, o: int
) -> tuple[float, float]:
    """Highest ``hrow`` and lowest ``lrow`` over the bars ``t-n+1..t`` (van Herk/Gil-Werman).

    Bars are cut into blocks of ``n`` (``pos = t % n`` is the position in the current block,
    kept by the caller as a counter). The window is the tail of the previous block plus the head
    of the current one: a running prefix extreme of the current block and the suffix extremes of
    the previous block, recomputed from the input history once per block. Branch-free O(1)
    amortised per bar; the value is the exact window extreme. Call for *every* bar from the
    first one (the prefix must see the whole block); reads back ``n`` bars. State: st[o]/st[o+1]
    prefix max/min, st[o+2:o+2+n] suffix maxima, st[o+2+n:o+2+2n] suffix minima.
    """
    hv = hrow[i]
    lv = lrow[i]
    if pos == 0:
        if t >= n:
            hm = hrow[i - 1]
            lm = lrow[i - 1]
            st[o + 1 + n] = hm
            st[o + 1 + 2 * n] = lm
            for j in range(n - 2, -1, -1):
                w = hrow[i - n + j]
                hm = w if w > hm else hm
                st[o + 2 + j] = hm
                w = lrow[i - n + j]
                lm = w if w < lm else lm
                st[o + 2 + n + j] = lm
        hp = hv
        lp = lv
    else:
        hp = st[o]
        lp = st[o + 1]
        hp = hv if hv > hp else hp
        lp = lv if lv < lp else lp
    st[o] = hp
    st[o + 1] = lp
    if pos == n - 1:
        return hp, lp
    hs = st[o + 3 + pos]
    ls = st[o + 3 + n + pos]
    return (hs if hs > hp else hp), (ls if ls < lp else lp)


@njit(cache=True, inline="always")
def first_full(start: int, stop: int, seen: int, n: int) -> int:
    """Index of the first bar in ``start..stop`` whose window of ``n`` bars is complete
    (``seen`` bars came before ``start``); ``stop`` if there is none."""
    return min(stop, max(start, start + n - 1 - seen))


@njit(cache=True)
def reset_period(n: int) -> int:
    """Bars between exact re-summations of an anchored running sum over ``n`` bars: a multiple
    of the window of at least 32 bars, so the O(n) resum costs at most ~1 operation per bar."""
    return n * max(1, 32 // n)


EXTREMES_BLOCK = 1024
"""Bars per block of :func:`window_extremes` (its scratch stays in L1)."""

SHORT_CALL = 16
"""Calls of at most this many bars (streaming) take the kernels' scan path: a direct scan of
each bar's window, no scratch to allocate (the allocations would dominate a one-bar call)."""

PIPE_BLOCK = 32
"""Bars per block of a kernel whose loop-carried chain (a running sum, a smoothing) is fed by
a vectorised pass: the pass for the next block is issued before the chain of the current one,
so the out-of-order core runs it while the chain waits on its latency (with one pass over all
bars first, the two add up; with the work inside the chain loop, it competes for its ports)."""


@njit(cache=True, inline="always")
def scan_extremes(hrow: np.ndarray, lrow: np.ndarray, i: int, n: int) -> tuple[float, float]:
    """Highest ``hrow`` and lowest ``lrow`` over the ``n`` bars ending at bar ``i`` (a direct
    scan; the exact extremes, as :func:`window_extremes`)."""
    h = hrow[i - n + 1]
    low = lrow[i - n + 1]
    for j in range(i - n + 2, i + 1):
        v = hrow[j]
        h = v if v >= h else h
        v = lrow[j]
        low = v if v <= low else low
    return h, low


@njit(cache=True, inline="always")
def scan_arg_extreme(row: np.ndarray, i: int, n: int, highest: bool) -> int:
    """Bars before bar ``i`` of the highest (``highest``) or lowest ``row`` of the ``n`` bars
    ending there, the latest on ties (a direct scan; as :func:`window_arg_extreme`)."""
    best = row[i - n + 1]
    at = 0
    for q in range(1, n):
        v = row[i - n + 1 + q]
        if (v >= best) if highest else (v <= best):
            best = v
            at = q
    return n - 1 - at


@njit(cache=True, inline="always")
def _pair_max(a: np.ndarray, b: np.ndarray, out: np.ndarray, m: int) -> None:
    for j in range(m):
        x = a[j]
        y = b[j]
        out[j] = x if x >= y else y


@njit(cache=True, inline="always")
def _pair_min(a: np.ndarray, b: np.ndarray, out: np.ndarray, m: int) -> None:
    for j in range(m):
        x = a[j]
        y = b[j]
        out[j] = x if x <= y else y


@njit(cache=True)
def _window_extreme(
    row: np.ndarray,
    b0: int,
    b1: int,
    n: int,
    dst: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
    highest: bool,
) -> None:
    size = b1 - b0 + n - 1
    cur = row[b0 - n + 1 : b1]
    w = 1
    k = 0
    while 2 * w <= n:
        # nxt[j] = extreme of row over the 2w bars from cur's bar j (ping-pong buffers, so
        # the element-wise loop has no overlap and vectorises)
        nxt = t1 if k % 2 == 0 else t2
        if highest:
            _pair_max(cur, cur[w:], nxt, size - 2 * w + 1)
        else:
            _pair_min(cur, cur[w:], nxt, size - 2 * w + 1)
        cur = nxt
        w *= 2
        k += 1
    if highest:
        _pair_max(cur, cur[n - w :], dst, b1 - b0)
    else:
        _pair_min(cur, cur[n - w :], dst, b1 - b0)


@njit(cache=True)
def window_levels(row, b0, b1, n, t1, t2, highest):  # type: ignore[no-untyped-def]
    """The doubling of :func:`window_extremes` without its last pass: returns ``(cur, w)``,
    ``w`` the largest power of two ``<= n`` and ``cur[j]`` the extreme of ``row`` over the
    ``w`` bars from bar ``b0 - n + 1 + j``; the extreme over the ``n`` bars ending at bar
    ``b0 + j`` is then that of ``cur[j]`` and ``cur[j + n - w]``, which a caller can fuse into
    its own element-wise loop (``b1 - b0 > 8``; ``t1``/``t2`` as for :func:`window_extremes`)."""
    size = b1 - b0 + n - 1
    cur = row[b0 - n + 1 : b1]
    w = 1
    k = 0
    while 2 * w <= n:
        nxt = t1 if k % 2 == 0 else t2
        if highest:
            _pair_max(cur, cur[w:], nxt, size - 2 * w + 1)
        else:
            _pair_min(cur, cur[w:], nxt, size - 2 * w + 1)
        cur = nxt
        w *= 2
        k += 1
    return cur, w


@njit(cache=True)
def window_extremes(
    hrow: np.ndarray,
    lrow: np.ndarray,
    b0: int,
    b1: int,
    n: int,
    hi: np.ndarray,
    lo: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
) -> None:
    """``hi[j]`` = highest ``hrow`` and ``lo[j]`` = lowest ``lrow`` over the ``n`` bars ending at
    bar ``b0 + j``, for ``j < b1 - b0`` (reads ``n - 1`` bars before ``b0``).

    Extremes over windows of 1, 2, 4, ... bars by doubling, then the window of ``n`` as the
    larger of two overlapping power-of-two windows: ``log2(n) + 1`` element-wise passes that
    LLVM vectorises, instead of a data-dependent branch per bar. A few bars (a streaming call)
    are scanned directly. The values are exact extremes, so they do not depend on how the bars
    are cut into calls. ``t1``/``t2`` are scratch of at least ``b1 - b0 + n - 1`` values.
    """
    if b1 - b0 <= 8:
        for i in range(b0, b1):
            hi[i - b0], lo[i - b0] = scan_extremes(hrow, lrow, i, n)
        return
    _window_extreme(hrow, b0, b1, n, hi, t1, t2, True)
    _window_extreme(lrow, b0, b1, n, lo, t1, t2, False)


# Cephes' atan (range reduction to |x| <= 0.66, then a rational approximation; <= 1 ulp from
# the correctly rounded value), written without branches on the argument so a loop of it
# vectorises and an out-of-order core overlaps it with a loop-carried chain.
_AT_P = (
    -8.750608600031904122785e-1,
    -1.615753718733365076637e1,
    -7.500855792314704667340e1,
    -1.228866684490136173410e2,
    -6.485021904942025371773e1,
)
_AT_Q = (
    2.485846490142306297962e1,
    1.650270098316988542046e2,
    4.328810604912902668951e2,
    4.853903996359136964868e2,
    1.945506571482613964425e2,
)
_AT_T3P8 = 2.41421356237309504880
_AT_MOREBITS = 6.123233995736765886130e-17


@njit(cache=True, inline="always")
def _atan_reduced(num: float, den: float, big: bool, mid: bool) -> float:
    p0, p1, p2, p3, p4 = _AT_P
    q0, q1, q2, q3, q4 = _AT_Q
    y0 = math.pi / 2 if big else (math.pi / 4 if mid else 0.0)
    mb = _AT_MOREBITS if big else (0.5 * _AT_MOREBITS if mid else 0.0)
    xr = num / den
    z = xr * xr
    pz = (((p0 * z + p1) * z + p2) * z + p3) * z + p4
    qz = ((((z + q0) * z + q1) * z + q2) * z + q3) * z + q4
    return y0 + ((xr * (z * pz / qz) + xr) + mb)


@njit(cache=True, inline="always")
def fast_atan(v: float) -> float:
    """``atan(v)`` to within 1 ulp of ``math.atan`` (which calls libm, an opaque call per
    bar); NaN gives NaN, +-inf gives +-pi/2."""
    a = math.fabs(v)
    big = a > _AT_T3P8
    mid = a > 0.66
    num = -1.0 if big else (a - 1.0 if mid else a)
    den = a if big else (a + 1.0 if mid else 1.0)
    return math.copysign(_atan_reduced(num, den, big, mid), v)


@njit(cache=True, inline="always")
def fast_atan_ratio(y: float, x: float) -> float:
    """``atan(y / x)`` for ``x != 0`` without forming ``y / x`` first: the range reduction
    works on ``|y|`` and ``|x|``, so there is one division less on the way (a shorter latency
    where the angle feeds a loop-carried chain); within a few ulps of ``math.atan(y / x)``."""
    ay = math.fabs(y)
    ax = math.fabs(x)
    big = ay > _AT_T3P8 * ax
    mid = ay > 0.66 * ax
    num = -ax if big else (ay - ax if mid else ay)
    den = ay if big else (ay + ax if mid else ax)
    r = _atan_reduced(num, den, big, mid)
    return -r if (y < 0.0) != (x < 0.0) else r


@njit(cache=True, inline="always")
def _pair_arg(av, bv, ai, bi, oi, m, highest):  # type: ignore[no-untyped-def]
    """The bar of the pair's extreme (the later one on ties). A pass of its own (the values
    are :func:`_pair_max`/:func:`_pair_min`): with fewer arrays in one loop LLVM can check
    them for overlap and vectorise; both bars are loaded unconditionally for the same reason."""
    if highest:
        for j in range(m):
            x = av[j]
            y = bv[j]
            p = ai[j]
            q = bi[j]
            oi[j] = q if y >= x else p
    else:
        for j in range(m):
            x = av[j]
            y = bv[j]
            p = ai[j]
            q = bi[j]
            oi[j] = q if y <= x else p


@njit(cache=True)
def window_arg_extreme(row, b0, b1, n, dst, tv1, ti1, tv2, ti2, highest):  # type: ignore[no-untyped-def]
    """``dst[j]`` = how many bars before bar ``b0 + j`` the highest (``highest``) or lowest
    ``row`` of the ``n`` bars ending there lies, the latest bar on ties (TA-Lib's AROON
    tracking picks the same bar), for ``j < b1 - b0``; reads ``n - 1`` bars before ``b0``.

    The doubling of :func:`window_extremes` carrying each extreme's bar along (element-wise
    passes that vectorise). A later window's extreme wins ties, so every combined window keeps
    its latest extreme. Scratch: ``tv1``/``tv2`` float64, ``ti1``/``ti2`` int64, at least
    ``b1 - b0 + n - 1`` values each.
    """
    m = b1 - b0
    if m <= 8:
        for j in range(m):
            dst[j] = scan_arg_extreme(row, b0 + j, n, highest)
        return
    size = m + n - 1
    cv = row[b0 - n + 1 : b1]
    ci = ti2[:size]
    for q in range(size):
        ci[q] = q
    w = 1
    k = 0
    while 2 * w <= n:
        nv = tv1 if k % 2 == 0 else tv2
        ni = ti1 if k % 2 == 0 else ti2
        mm = size - 2 * w + 1
        _pair_arg(cv, cv[w:], ci, ci[w:], ni, mm, highest)
        if highest:
            _pair_max(cv, cv[w:], nv, mm)
        else:
            _pair_min(cv, cv[w:], nv, mm)
        cv = nv
        ci = ni
        w *= 2
        k += 1
    # the window of n as the earlier and the later power-of-two window (the later wins ties)
    oi = ti1 if k % 2 == 0 else ti2
    _pair_arg(cv, cv[n - w :], ci, ci[n - w :], oi, m, highest)
    for j in range(m):
        dst[j] = j + n - 1 - oi[j]
