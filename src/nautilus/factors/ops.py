"""Time-series operators: numba kernels over axis 0 of ``(dates, instruments)`` float64 arrays.

NaN rule (every ``ts_*`` function here): a result at row ``t`` is computed from the non-NaN
values among rows ``t-window+1 .. t`` (the current row included; rows before the start of the
data do not exist) and is NaN when fewer than ``min_periods`` of them are valid.
``min_periods`` defaults to ``window``, which is the pandas ``rolling(window)`` default: the
first ``window-1`` rows are NaN, one NaN input blanks the next ``window`` results, and a window
longer than the data gives an all-NaN result. Statistics that need two points (std, var, cov,
corr, slope) are NaN with fewer than two valid values whatever ``min_periods`` says.

>>> import numpy as np
>>> ts_mean(np.arange(4.0).reshape(4, 1), 2)[:, 0].tolist()
[nan, 0.5, 1.5, 2.5]
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError

Array = npt.NDArray[np.float64]


@nb.njit(cache=True)
def _extreme_1d(x: Array, window: int, min_periods: int, kind: int, out: Array) -> None:
    # kind 0 = max, 1 = min, 2 = argmax, 3 = argmin (1-based position from the window start,
    # first occurrence on ties): a monotone deque of row indices, O(T).
    want_max = kind % 2 == 0
    dq = np.empty(x.size, dtype=np.int64)
    head = 0
    tail = 0
    cnt = 0
    for t in range(x.size):
        lo = max(0, t - window + 1)
        if t >= window and x[t - window] == x[t - window]:
            cnt -= 1
        while head < tail and dq[head] < lo:
            head += 1
        v = x[t]
        if v == v:
            cnt += 1
            # strict comparison keeps the earlier of equal values at the front
            while head < tail and ((want_max and x[dq[tail - 1]] < v)
                                   or (not want_max and x[dq[tail - 1]] > v)):
                tail -= 1
            dq[tail] = t
            tail += 1
        if cnt < min_periods or cnt == 0:
            continue
        i = dq[head]
        out[t] = x[i] if kind <= 1 else i - lo + 1


@nb.njit(cache=True)
def _rank_1d(x: Array, window: int, min_periods: int, out: Array) -> None:
    # Average rank of the current value among the window's valid values, over their count.
    for t in range(x.size):
        lo = max(0, t - window + 1)
        cur = x[t]
        cnt = 0
        less = 0
        equal = 0
        for k in range(lo, t + 1):
            v = x[k]
            if v == v:
                cnt += 1
                if v < cur:
                    less += 1
                elif v == cur:
                    equal += 1
        if cnt >= min_periods and cnt > 0 and cur == cur:
            out[t] = (less + (equal + 1) / 2.0) / cnt


@nb.njit(cache=True)
def _quantile_1d(x: Array, window: int, min_periods: int, q: float, out: Array) -> None:
    # A sorted buffer of the window's valid values, updated by insertion and removal, with
    # linear interpolation between order statistics (numpy/pandas default).
    buf = np.empty(window)
    cnt = 0
    for t in range(x.size):
        if t >= window:
            old = x[t - window]
            if old == old:
                i = np.searchsorted(buf[:cnt], old)
                for k in range(i, cnt - 1):
                    buf[k] = buf[k + 1]
                cnt -= 1
        v = x[t]
        if v == v:
            i = np.searchsorted(buf[:cnt], v)
            for k in range(cnt, i, -1):
                buf[k] = buf[k - 1]
            buf[i] = v
            cnt += 1
        if cnt < min_periods or cnt == 0:
            continue
        h = (cnt - 1) * q
        i = int(np.floor(h))
        if i >= cnt - 1:
            out[t] = buf[cnt - 1]
        else:
            out[t] = buf[i] + (h - i) * (buf[i + 1] - buf[i])


@nb.njit(cache=True)
def _decay_1d(x: Array, window: int, min_periods: int, out: Array) -> None:
    # Weight `window` for the current row down to 1 for the oldest; weights of NaN rows are
    # dropped and the rest renormalised.
    for t in range(x.size):
        lo = max(0, t - window + 1)
        cnt = 0
        sw = 0.0
        swx = 0.0
        for k in range(lo, t + 1):
            v = x[k]
            if v == v:
                w = window - (t - k)
                cnt += 1
                sw += w
                swx += w * v
        if cnt >= min_periods and cnt > 0:
            out[t] = swx / sw


@nb.njit(cache=True)
def _rolling_sum_fast(x: Array, window: int, min_periods: int, mean: bool) -> Array:
    # O(T) running sums, row-major over (dates, instruments) with per-column state. Values are
    # centred on the column's first valid value so the running total stays small and taking
    # out the leaving value loses little precision.
    t_len, n = x.shape
    out = np.full((t_len, n), np.nan)
    ref = np.zeros(n)
    found = np.zeros(n, dtype=np.bool_)
    s = np.zeros(n)
    cnt = np.zeros(n, dtype=np.int64)
    for t in range(t_len):
        for j in range(n):
            v = x[t, j]
            if v == v:
                if not found[j]:
                    found[j] = True
                    ref[j] = v
                s[j] += v - ref[j]
                cnt[j] += 1
            if t >= window:
                w = x[t - window, j]
                if w == w:
                    s[j] -= w - ref[j]
                    cnt[j] -= 1
            c = cnt[j]
            if c >= min_periods and c > 0:
                out[t, j] = (s[j] / c + ref[j]) if mean else (s[j] + c * ref[j])
    return out


@nb.njit(cache=True)
def _rolling_comoments(x: Array, y: Array, window: int, min_periods: int, kind: int) -> Array:
    # Running centred co-moments of (x, y) over rows where both are valid, row-major with
    # per-column state. Every `window` rows the references are reset to the window means and
    # the sums rebuilt from scratch: O(T) cost without the drift of plain running sums.
    # kind 0 = covariance (ddof 1), 1 = correlation, 2 = trend slope, 3 = trend R squared,
    # 4 = trend residual (x = row index, y = values), 5 = variance of y, 6 = std of y.
    t_len, n = x.shape
    out = np.full((t_len, n), np.nan)
    rx = np.zeros(n)
    ry = np.zeros(n)
    sx = np.zeros(n)
    sy = np.zeros(n)
    sxx = np.zeros(n)
    syy = np.zeros(n)
    sxy = np.zeros(n)
    cnt = np.zeros(n, dtype=np.int64)
    for t in range(t_len):
        lo = max(0, t - window + 1)
        if t % window == 0:
            sx[:] = 0.0
            sy[:] = 0.0
            cnt[:] = 0
            for k in range(lo, t + 1):
                for j in range(n):
                    a = x[k, j]
                    b = y[k, j]
                    if a == a and b == b:
                        sx[j] += a
                        sy[j] += b
                        cnt[j] += 1
            for j in range(n):
                rx[j] = sx[j] / cnt[j] if cnt[j] > 0 else 0.0
                ry[j] = sy[j] / cnt[j] if cnt[j] > 0 else 0.0
            sx[:] = 0.0
            sy[:] = 0.0
            sxx[:] = 0.0
            syy[:] = 0.0
            sxy[:] = 0.0
            cnt[:] = 0
            first = lo
        else:
            first = t
            if t >= window:
                for j in range(n):
                    a = x[t - window, j]
                    b = y[t - window, j]
                    if a == a and b == b:
                        a -= rx[j]
                        b -= ry[j]
                        sx[j] -= a
                        sy[j] -= b
                        sxx[j] -= a * a
                        syy[j] -= b * b
                        sxy[j] -= a * b
                        cnt[j] -= 1
        for k in range(first, t + 1):
            for j in range(n):
                a = x[k, j]
                b = y[k, j]
                if a == a and b == b:
                    a -= rx[j]
                    b -= ry[j]
                    sx[j] += a
                    sy[j] += b
                    sxx[j] += a * a
                    syy[j] += b * b
                    sxy[j] += a * b
                    cnt[j] += 1
        for j in range(n):
            c = cnt[j]
            if c < min_periods or c < 2:
                continue
            mx = sx[j] / c
            my = sy[j] / c
            cxy = sxy[j] - sx[j] * my
            cxx = max(sxx[j] - sx[j] * mx, 0.0)
            cyy = max(syy[j] - sy[j] * my, 0.0)
            # a (numerically) constant side has no correlation or trend fit
            flat_x = cxx <= 1e-13 * max(sxx[j], 1e-300)
            flat_y = cyy <= 1e-13 * max(syy[j], 1e-300)
            if kind == 0:
                out[t, j] = cxy / (c - 1)
            elif kind == 1:
                if not (flat_x or flat_y):
                    out[t, j] = cxy / np.sqrt(cxx * cyy)
            elif kind == 2:
                out[t, j] = cxy / cxx
            elif kind == 3:
                if not flat_y:
                    out[t, j] = cxy * cxy / (cxx * cyy)
            elif kind == 4:
                if y[t, j] == y[t, j]:
                    out[t, j] = (y[t, j] - ry[j]) - (my + cxy / cxx * (x[t, j] - rx[j] - mx))
            elif kind == 5:
                out[t, j] = cyy / (c - 1)
            else:
                out[t, j] = np.sqrt(cyy / (c - 1))
    return out


def _rolling_moments(x: Array, window: int, min_periods: int, kind: int) -> Array:
    # kind 2 = variance, 3 = std; the x side is the values themselves (same valid rows)
    return _rolling_comoments(x, x, window, min_periods, 3 + kind)


def _rolling_pair(x: Array, y: Array, window: int, min_periods: int, kind: int) -> Array:
    return _rolling_comoments(x, y, window, min_periods, kind)


# Column drivers: these kernels scan a window per row, so they run on one contiguous column
# at a time (instrument-major), which keeps the inner loops in cache.

@nb.njit(cache=True)
def _rolling_extreme(x: Array, window: int, min_periods: int, kind: int) -> Array:
    xt = np.ascontiguousarray(x.T)
    out = np.full(xt.shape, np.nan)
    for j in range(xt.shape[0]):
        if kind == 4:
            _rank_1d(xt[j], window, min_periods, out[j])
        else:
            _extreme_1d(xt[j], window, min_periods, kind, out[j])
    return np.ascontiguousarray(out.T)


def _rolling_trend(x: Array, window: int, min_periods: int, kind: int) -> Array:
    rows = np.broadcast_to(np.arange(x.shape[0], dtype=np.float64)[:, None], x.shape)
    return _rolling_pair(np.ascontiguousarray(rows), x, window, min_periods, 2 + kind)


@nb.njit(cache=True)
def _rolling_quantile(x: Array, window: int, min_periods: int, q: float) -> Array:
    xt = np.ascontiguousarray(x.T)
    out = np.full(xt.shape, np.nan)
    for j in range(xt.shape[0]):
        _quantile_1d(xt[j], window, min_periods, q, out[j])
    return np.ascontiguousarray(out.T)


@nb.njit(cache=True)
def _decay_linear(x: Array, window: int, min_periods: int) -> Array:
    xt = np.ascontiguousarray(x.T)
    out = np.full(xt.shape, np.nan)
    for j in range(xt.shape[0]):
        _decay_1d(xt[j], window, min_periods, out[j])
    return np.ascontiguousarray(out.T)


def _shift(x: Array, periods: int) -> Array:
    out = np.full_like(x, np.nan)
    if periods < x.shape[0]:
        out[periods:] = x[:-periods]
    return out


def _prep(x: Array, window: int, min_periods: int | None) -> tuple[Array, int, int]:
    if isinstance(window, bool) or int(window) != window or window < 1:
        raise ValidationError(f"window must be a positive integer, got {window!r}",
                              code="bad_window")
    mp = int(window) if min_periods is None else int(min_periods)
    if mp < 1:
        raise ValidationError(f"min_periods must be >= 1, got {min_periods!r}", code="bad_window")
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValidationError("time-series ops take a 2-D (dates, instruments) array",
                              code="bad_shape")
    return np.ascontiguousarray(arr), int(window), mp


def ts_sum(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling sum of the valid values."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_sum_fast(a, w, mp, False)


def ts_mean(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling mean of the valid values."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_sum_fast(a, w, mp, True)


def ts_var(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling sample variance (ddof 1), two-pass per window for accuracy."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_moments(a, w, mp, 2)


def ts_std(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling sample standard deviation (ddof 1)."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_moments(a, w, mp, 3)


def ts_max(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling maximum."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_extreme(a, w, mp, 0)


def ts_min(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling minimum."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_extreme(a, w, mp, 1)


def ts_argmax(x: Array, window: int, min_periods: int | None = None) -> Array:
    """1-based position of the window maximum counted from the oldest row (Qlib ``IdxMax``).

    With a full window the value is in ``1..window``; ``window`` means the maximum is today.
    """
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_extreme(a, w, mp, 2)


def ts_argmin(x: Array, window: int, min_periods: int | None = None) -> Array:
    """1-based position of the window minimum counted from the oldest row (Qlib ``IdxMin``)."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_extreme(a, w, mp, 3)


def ts_rank(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Percentile of the current value in its window: average rank / valid count, in (0, 1].

    Equals ``scipy.stats.percentileofscore(window, current, kind="rank") / 100``; NaN when the
    current value is NaN.
    """
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_extreme(a, w, mp, 4)


def ts_corr(x: Array, y: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling Pearson correlation over rows where both are valid; NaN if either is constant."""
    a, w, mp = _prep(x, window, min_periods)
    b, _, _ = _prep(y, window, min_periods)
    a, b = np.broadcast_arrays(a, b)
    return _rolling_pair(np.ascontiguousarray(a), np.ascontiguousarray(b), w, mp, 1)


def ts_cov(x: Array, y: Array, window: int, min_periods: int | None = None) -> Array:
    """Rolling sample covariance (ddof 1) over rows where both are valid."""
    a, w, mp = _prep(x, window, min_periods)
    b, _, _ = _prep(y, window, min_periods)
    a, b = np.broadcast_arrays(a, b)
    return _rolling_pair(np.ascontiguousarray(a), np.ascontiguousarray(b), w, mp, 0)


def ts_slope(x: Array, window: int, min_periods: int | None = None) -> Array:
    """OLS slope of the values on their position in the window (units of x per row)."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_trend(a, w, mp, 0)


def ts_rsquare(x: Array, window: int, min_periods: int | None = None) -> Array:
    """R squared of the in-window linear trend; NaN for a constant window."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_trend(a, w, mp, 1)


def ts_resi(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Residual of the current row from the in-window linear trend."""
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_trend(a, w, mp, 2)


def ts_quantile(x: Array, window: int, q: float, min_periods: int | None = None) -> Array:
    """Rolling ``q`` quantile (``0 <= q <= 1``) with linear interpolation."""
    if not 0.0 <= q <= 1.0:
        raise ValidationError(f"quantile must be in [0, 1], got {q}", code="bad_argument")
    a, w, mp = _prep(x, window, min_periods)
    return _rolling_quantile(a, w, mp, float(q))


def decay_linear(x: Array, window: int, min_periods: int | None = None) -> Array:
    """Linearly decaying weighted mean: weight ``window`` today down to 1 for the oldest row."""
    a, w, mp = _prep(x, window, min_periods)
    return _decay_linear(a, w, mp)


def ts_zscore(x: Array, window: int, min_periods: int | None = None) -> Array:
    """``(x - ts_mean) / ts_std`` over the window; NaN where the std is zero."""
    a, w, mp = _prep(x, window, min_periods)
    sd = _rolling_moments(a, w, mp, 3)
    mu = _rolling_sum_fast(a, w, mp, True)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (a - mu) / sd
    z[~np.isfinite(z)] = np.nan
    return z


def delay(x: Array, periods: int) -> Array:
    """Value ``periods`` rows earlier (NaN for the first ``periods`` rows)."""
    a, p, _ = _prep(x, periods, None)
    return _shift(a, p)


def delta(x: Array, periods: int) -> Array:
    """``x - delay(x, periods)``."""
    a, p, _ = _prep(x, periods, None)
    return a - _shift(a, p)
