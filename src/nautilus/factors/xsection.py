"""Cross-sectional operators: per date (row) across instruments (columns).

NaN rule: NaN values take no part in a row's statistics and stay NaN in the output; a row with
too few valid values (fewer than 2 for ``zscore``, fewer than the regressors + 1 for
``neutralize``) is all NaN.

>>> import numpy as np
>>> rank(np.array([[3.0, 1.0, np.nan, 2.0]])).tolist()
[[1.0, 0.3333333333333333, nan, 0.6666666666666666]]
"""

from __future__ import annotations

import warnings

import numba as nb
import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError

Array = npt.NDArray[np.float64]


@nb.njit(cache=True)
def _rank_rows(x: Array) -> Array:
    t_len, n = x.shape
    out = np.full((t_len, n), np.nan)
    idx = np.empty(n, dtype=np.int64)
    vals = np.empty(n)
    for t in range(t_len):
        m = 0
        for j in range(n):
            v = x[t, j]
            if v == v:
                idx[m] = j
                vals[m] = v
                m += 1
        if m == 0:
            continue
        order = np.argsort(vals[:m], kind="mergesort")
        i = 0
        while i < m:
            k = i
            while k + 1 < m and vals[order[k + 1]] == vals[order[i]]:
                k += 1
            avg = (i + k) / 2.0 + 1.0
            for r in range(i, k + 1):
                out[t, idx[order[r]]] = avg / m
            i = k + 1
    return out


def _as2d(x: Array) -> Array:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValidationError("cross-sectional ops take a 2-D (dates, instruments) array",
                              code="bad_shape")
    return np.ascontiguousarray(a)


def rank(x: Array) -> Array:
    """Percentile rank per row: average rank of ties / valid count, in (0, 1].

    Same as ``DataFrame.rank(axis=1, pct=True)``.
    """
    return _rank_rows(_as2d(x))


def demean(x: Array) -> Array:
    """Subtract the row mean of the valid values."""
    a = _as2d(x)
    valid = ~np.isnan(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(valid, a, 0.0).sum(axis=1, keepdims=True) / valid.sum(axis=1, keepdims=True)
    return a - mu


def zscore(x: Array) -> Array:
    """``(x - row mean) / row sample std (ddof 1)``; NaN where the std is zero or undefined."""
    a = _as2d(x)
    valid = ~np.isnan(a)
    cnt = valid.sum(axis=1, keepdims=True)
    s = np.where(valid, a, 0.0).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = s / cnt
        dev = np.where(valid, a - mu, 0.0)
        sd = np.sqrt((dev * dev).sum(axis=1, keepdims=True) / (cnt - 1))
        z = (a - mu) / sd
    z[~np.isfinite(z)] = np.nan
    return z


def winsorize(x: Array, q: float = 0.01) -> Array:
    """Clip each row to its ``[q, 1-q]`` quantiles (linear interpolation), ``0 <= q < 0.5``."""
    if not 0.0 <= q < 0.5:
        raise ValidationError(f"winsorize quantile must be in [0, 0.5), got {q}",
                              code="bad_argument")
    a = _as2d(x)
    out = a.copy()
    with warnings.catch_warnings():
        # an all-NaN row warns and yields NaN bounds, which leave the row NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanquantile(a, q, axis=1, keepdims=True)
        hi = np.nanquantile(a, 1.0 - q, axis=1, keepdims=True)
    out = np.minimum(np.maximum(out, lo), hi)
    out[np.isnan(a)] = np.nan
    return out


def neutralize(x: Array, groups: list[Array] | None = None,
               regressors: list[Array] | None = None) -> Array:
    """Residual of ``x`` per row after regressing on group indicators and numeric regressors.

    ``groups`` are arrays of integer-valued group codes (e.g. sector); each adds one indicator
    column per code present in the row (the first group set spans the intercept, so with
    groups only the result is ``x`` minus its group mean). ``regressors`` are other factors; an
    intercept is always included. Instruments with any NaN input are NaN in the output.
    """
    a = _as2d(x)
    groups = [_as2d(g) for g in groups or []]
    regressors = [_as2d(r) for r in regressors or []]
    for other in (*groups, *regressors):
        if other.shape != a.shape:
            raise ValidationError(
                f"neutralize inputs must share a shape: {other.shape} != {a.shape}",
                code="bad_shape",
            )
    out = np.full_like(a, np.nan)
    valid = ~np.isnan(a)
    for other in (*groups, *regressors):
        valid &= ~np.isnan(other)
    for t in range(a.shape[0]):
        cols = np.flatnonzero(valid[t])
        if cols.size == 0:
            continue
        design = [np.ones(cols.size)] if not groups else []
        for g in groups:
            codes = g[t, cols]
            uniq = np.unique(codes)
            # With an intercept (or an earlier group) present, drop one indicator column so
            # the design keeps full rank.
            start = 1 if design else 0
            design.extend((codes == u).astype(np.float64) for u in uniq[start:])
        design.extend(r[t, cols] for r in regressors)
        mat = np.column_stack(design)
        if cols.size < mat.shape[1] + (1 if regressors else 0):
            continue
        y = a[t, cols]
        beta, *_ = np.linalg.lstsq(mat, y, rcond=None)
        out[t, cols] = y - mat @ beta
    return out
