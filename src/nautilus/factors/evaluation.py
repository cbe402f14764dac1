"""Factor evaluation: forward returns, IC, quantile portfolios, turnover, decay, exposures.

Conventions: inputs are (dates, instruments) float64 arrays; the factor value at row ``t`` is
known at the close of ``t`` and is scored against the forward return from the close of ``t`` to
the close of ``t+h`` (``close[t+h] / close[t] - 1``, simple, not annualised). IC is the
per-date cross-sectional Pearson correlation over instruments where both values are valid;
rank IC is the Spearman correlation (Pearson of average ranks of those same instruments).
Dates with fewer than ``min_obs`` valid pairs get NaN and are left out of summaries.
Quantiles are assigned per date on the factor alone, like ``pandas.qcut`` of the ordinal rank
(ties broken by column order); label 0 is the lowest factor value. Bin edges are exact (a
rank on an edge goes to the lower bin), where ``qcut``'s float edges can round either way.
Tables come back as pandas objects indexed by UTC dates.

>>> import numpy as np
>>> from nautilus.factors.panel import synthetic_panel
>>> p = synthetic_panel(60, 20, seed=3)
>>> ic = ic_series(-p["close"], forward_returns(p["close"], 1), p.dates)
>>> len(ic)
60
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.factors import xsection

Array = npt.NDArray[np.float64]


def _index(dates: npt.ArrayLike | None, n: int) -> pd.Index:
    if dates is None:
        return pd.RangeIndex(n, name="date")
    d = np.asarray(dates, dtype=np.int64)
    if d.size != n:
        raise ValidationError(f"{d.size} dates for {n} rows", code="bad_shape")
    return pd.DatetimeIndex(pd.to_datetime(d, unit="ns", utc=True), name="date")


def _pair(a: Array, b: Array) -> tuple[Array, Array]:
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 2:
        raise ValidationError(f"shapes differ or are not 2-D: {x.shape} vs {y.shape}",
                              code="bad_shape")
    return x, y


def forward_returns(close: Array, horizon: int) -> Array:
    """``close[t+h] / close[t] - 1``; the last ``h`` rows are NaN."""
    if horizon < 1:
        raise ValidationError("horizon must be >= 1", code="bad_argument")
    c = np.asarray(close, dtype=np.float64)
    out = np.full_like(c, np.nan)
    if horizon < c.shape[0]:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:-horizon] = c[horizon:] / c[:-horizon] - 1.0
    out[~np.isfinite(out)] = np.nan
    return out


def _row_corr(x: Array, y: Array, min_obs: int) -> Array:
    valid = ~(np.isnan(x) | np.isnan(y))
    cnt = valid.sum(axis=1)
    xv = np.where(valid, x, 0.0)
    yv = np.where(valid, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = xv.sum(axis=1) / cnt
        my = yv.sum(axis=1) / cnt
        dx = np.where(valid, x - mx[:, None], 0.0)
        dy = np.where(valid, y - my[:, None], 0.0)
        out = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    out[(cnt < min_obs) | ~np.isfinite(out)] = np.nan
    return out


def cross_sectional_corr(x: Array, y: Array, *, method: str = "pearson",
                         min_obs: int = 5) -> Array:
    """Per-row correlation over instruments valid in both; ``method`` pearson or spearman."""
    a, b = _pair(x, y)
    if method == "spearman":
        both = np.isnan(a) | np.isnan(b)
        a = xsection.rank(np.where(both, np.nan, a))
        b = xsection.rank(np.where(both, np.nan, b))
    elif method != "pearson":
        raise ValidationError(f"unknown correlation method {method!r}", code="bad_argument")
    return _row_corr(a, b, min_obs)


def ic_series(factor: Array, fwd: Array, dates: npt.ArrayLike | None = None, *,
              method: str = "pearson", min_obs: int = 5) -> pd.Series:
    """IC per date (``method="spearman"`` for rank IC)."""
    values = cross_sectional_corr(factor, fwd, method=method, min_obs=min_obs)
    name = "rank_ic" if method == "spearman" else "ic"
    return pd.Series(values, index=_index(dates, values.size), name=name)


def ic_summary(ic: pd.Series, periods_per_year: float = 252.0) -> dict[str, float]:
    """Mean IC, its std, IR (mean / std), annualised IR, t-stat (mean / std * sqrt(n)),
    the count of dates and the share of dates with a positive IC."""
    v = ic.dropna().to_numpy()
    n = v.size
    mean = float(v.mean()) if n else float("nan")
    std = float(v.std(ddof=1)) if n > 1 else float("nan")
    ir = mean / std if n > 1 and std > 0 else float("nan")
    return {
        "mean": mean, "std": std, "ir": ir, "ir_annualised": ir * float(np.sqrt(periods_per_year)),
        "t_stat": ir * float(np.sqrt(n)), "n": float(n),
        "hit_rate": float((v > 0).mean()) if n else float("nan"),
    }


@nb.njit(cache=True)
def _labels(x: Array, n_q: int) -> npt.NDArray[np.int64]:
    t_len, n = x.shape
    out = np.full((t_len, n), -1, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    vals = np.empty(n)
    for t in range(t_len):
        m = 0
        for j in range(n):
            if x[t, j] == x[t, j]:
                idx[m] = j
                vals[m] = x[t, j]
                m += 1
        if m < n_q or m == 0:
            continue
        order = np.argsort(vals[:m], kind="mergesort")
        for r0 in range(m):
            # Bin of ordinal rank r among m by the edges 1 + (m-1)k/n_q (right-closed, as
            # pandas.qcut on the ranks), in exact integer arithmetic.
            if m == 1:
                b = 0
            else:
                b = (r0 * n_q + (m - 1) - 1) // (m - 1) - 1
                b = max(b, 0)
            out[t, idx[order[r0]]] = b
    return out


def quantile_labels(factor: Array, n_quantiles: int = 5) -> npt.NDArray[np.int64]:
    """Quantile label per cell, 0 (lowest) .. n-1; -1 where the factor is NaN or the date has
    fewer valid values than quantiles."""
    if n_quantiles < 2:
        raise ValidationError("n_quantiles must be >= 2", code="bad_argument")
    return _labels(np.ascontiguousarray(factor, dtype=np.float64), int(n_quantiles))


def quantile_returns(factor: Array, fwd: Array, dates: npt.ArrayLike | None = None, *,
                     n_quantiles: int = 5) -> pd.DataFrame:
    """Equal-weighted mean forward return of each quantile per date (columns ``q1``..``qN``)."""
    f, r = _pair(factor, fwd)
    labels = quantile_labels(f, n_quantiles)
    cols = {}
    for q in range(n_quantiles):
        m = (labels == q) & ~np.isnan(r)
        with np.errstate(invalid="ignore", divide="ignore"):
            cols[f"q{q + 1}"] = np.where(m, r, 0.0).sum(axis=1) / m.sum(axis=1)
    return pd.DataFrame(cols, index=_index(dates, f.shape[0]))


def top_minus_bottom(qret: pd.DataFrame) -> pd.Series:
    """Spread of the top quantile's mean return over the bottom one's, per date."""
    return (qret.iloc[:, -1] - qret.iloc[:, 0]).rename("top_minus_bottom")


def quantile_turnover(labels: npt.NDArray[np.int64], quantile: int,
                      dates: npt.ArrayLike | None = None) -> pd.Series:
    """Share of names in ``quantile`` (0-based) at t that were not in it at t-1 (first row
    and dates with an empty quantile are NaN)."""
    cur = labels == quantile
    prev = np.vstack([np.zeros((1, labels.shape[1]), dtype=bool), cur[:-1]])
    size = cur.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - (cur & prev).sum(axis=1) / size
    out = np.where(size > 0, out, np.nan)
    out[0] = np.nan
    return pd.Series(out, index=_index(dates, labels.shape[0]), name=f"turnover_q{quantile + 1}")


def rank_autocorrelation(factor: Array, dates: npt.ArrayLike | None = None, *, lag: int = 1,
                         min_obs: int = 5) -> pd.Series:
    """Spearman correlation across instruments of the factor at t with itself at t-lag."""
    f = np.asarray(factor, dtype=np.float64)
    lagged = np.full_like(f, np.nan)
    lagged[lag:] = f[:-lag]
    out = cross_sectional_corr(f, lagged, method="spearman", min_obs=min_obs)
    return pd.Series(out, index=_index(dates, f.shape[0]), name="rank_autocorrelation")


def ic_decay(factor: Array, close: Array, horizons: Sequence[int] = tuple(range(1, 21)), *,
             min_obs: int = 5) -> pd.DataFrame:
    """Mean IC and mean rank IC of the factor against forward returns at each horizon."""
    rows = []
    for h in horizons:
        fwd = forward_returns(close, h)
        rows.append({
            "horizon": h,
            "ic": float(np.nanmean(cross_sectional_corr(factor, fwd, min_obs=min_obs))),
            "rank_ic": float(np.nanmean(cross_sectional_corr(factor, fwd, method="spearman",
                                                             min_obs=min_obs))),
        })
    return pd.DataFrame(rows).set_index("horizon")


def factor_correlation(factors: Mapping[str, Array], *, method: str = "spearman",
                       min_obs: int = 5) -> pd.DataFrame:
    """Time-mean of the per-date cross-sectional correlation between each pair of factors."""
    names = list(factors)
    mat = np.eye(len(names))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            c = cross_sectional_corr(factors[a], factors[names[j]], method=method,
                                     min_obs=min_obs)
            mat[i, j] = mat[j, i] = float(np.nanmean(c)) if np.any(~np.isnan(c)) else np.nan
    return pd.DataFrame(mat, index=names, columns=names)


def exposures(weights: Array, factors: Mapping[str, Array],
              dates: npt.ArrayLike | None = None) -> pd.DataFrame:
    """Portfolio exposure to each factor: ``sum_i w_i * z_i`` with z the cross-sectional
    z-score of the factor (ddof 1). Weights are (dates, instruments) (or (instruments,) for
    one set of weights held on every date); names with a NaN z-score add nothing."""
    w = np.asarray(weights, dtype=np.float64)
    cols = {}
    for name, f in factors.items():
        z = xsection.zscore(f)
        ww = np.broadcast_to(w, z.shape) if w.ndim == 1 else w
        if ww.shape != z.shape:
            raise ValidationError(f"weights shape {w.shape} does not fit factor {z.shape}",
                                  code="bad_shape")
        cols[name] = np.nansum(ww * z, axis=1)
        cols[name][np.all(np.isnan(z), axis=1)] = np.nan
    first = next(iter(factors.values()))
    return pd.DataFrame(cols, index=_index(dates, np.asarray(first).shape[0]))


def evaluate_factor(factor: Array, close: Array, dates: npt.ArrayLike | None = None, *,
                    horizon: int = 1, n_quantiles: int = 5, decay_horizons: int = 10,
                    min_obs: int = 5) -> dict[str, Any]:
    """The usual tear sheet numbers for one factor, as pandas objects and a summary dict."""
    fwd = forward_returns(close, horizon)
    ic = ic_series(factor, fwd, dates, min_obs=min_obs)
    ric = ic_series(factor, fwd, dates, method="spearman", min_obs=min_obs)
    qret = quantile_returns(factor, fwd, dates, n_quantiles=n_quantiles)
    labels = quantile_labels(factor, n_quantiles)
    spread = top_minus_bottom(qret)
    return {
        "ic": ic,
        "rank_ic": ric,
        "ic_summary": ic_summary(ic),
        "rank_ic_summary": ic_summary(ric),
        "quantile_returns": qret,
        "quantile_mean": qret.mean(),
        "spread": spread,
        "turnover_top": quantile_turnover(labels, n_quantiles - 1, dates),
        "turnover_bottom": quantile_turnover(labels, 0, dates),
        "rank_autocorrelation": rank_autocorrelation(factor, dates, min_obs=min_obs),
        "decay": ic_decay(factor, close, tuple(range(1, decay_horizons + 1)), min_obs=min_obs),
        "horizon": horizon,
    }
