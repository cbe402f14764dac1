"""Fused numba kernel computing every return metric of a column in a few passes.

Conventions (they match empyrical-reloaded, which the tests check to 1e-10):
- ``returns`` are simple per-period returns (0.01 = +1 %), one column per series; NaN marks a
  missing period: it is skipped by means and deviations and compounds as 0.
- Annualisation multiplies by ``periods_per_year`` (means) or its square root (deviations).
- Drawdowns are measured from a peak that starts at the initial capital (1.0).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

METRIC_FIELDS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "downside_risk",
    "calmar",
    "omega",
    "max_drawdown",
    "max_drawdown_duration",
    "ulcer_index",
    "var",
    "cvar",
    "skew",
    "kurtosis",
    "hit_rate",
    "profit_factor",
    "expectancy",
    "alpha",
    "beta",
    "information_ratio",
    "tracking_error",
    "up_capture",
    "down_capture",
)
FIELD_INDEX = {name: i for i, name in enumerate(METRIC_FIELDS)}
N_FIELDS = len(METRIC_FIELDS)


@nb.njit(cache=True, inline="always")
def _cagr_of(growth: float, count: int, ppy: float) -> float:
    if count == 0:
        return np.nan
    return growth ** (ppy / count) - 1.0


@nb.njit(cache=True)
def _column_metrics(
    r: npt.NDArray[np.float64],
    f: npt.NDArray[np.float64],
    has_bench: bool,
    ppy: float,
    risk_free: float,
    required_return: float,
    cutoff: float,
    buf: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
) -> None:
    t_len = r.shape[0]
    # pass 1: counts, sums, compounding, drawdowns, win/loss statistics
    n = 0
    total = 0.0
    wealth = 1.0
    peak = 1.0
    min_dd = 0.0
    dd_sq = 0.0
    run = 0
    longest = 0
    wins = 0
    nonzero = 0
    gains = 0.0
    losses = 0.0
    for t in range(t_len):
        x = r[t]
        if not math.isnan(x):
            buf[n] = x
            n += 1
            total += x
            wealth *= 1.0 + x
            if x > 0.0:
                wins += 1
                nonzero += 1
                gains += x
            elif x < 0.0:
                nonzero += 1
                losses -= x
        # a missing period compounds as 0: the drawdown carries on unchanged
        if wealth > peak:
            peak = wealth
        dd = (wealth - peak) / peak
        if dd < min_dd:
            min_dd = dd
        dd_sq += dd * dd
        if dd < 0.0:
            run += 1
            if run > longest:
                longest = run
        else:
            run = 0
    for i in range(N_FIELDS):
        out[i] = np.nan
    if n == 0:
        return
    mean = total / n
    # pass 2: central moments and downside / omega sums over the valid values
    m2 = 0.0
    m3 = 0.0
    m4 = 0.0
    down_sq = 0.0
    thr = (1.0 + required_return) ** (1.0 / ppy) - 1.0 if ppy != 1.0 else required_return
    omega_pos = 0.0
    omega_neg = 0.0
    rf_mean_adj = mean - risk_free
    for i in range(n):
        d = buf[i] - mean
        d2 = d * d
        m2 += d2
        m3 += d2 * d
        m4 += d2 * d2
        a = buf[i] - required_return
        if a < 0.0:
            down_sq += a * a
        o = buf[i] - risk_free - thr
        if o > 0.0:
            omega_pos += o
        else:
            omega_neg -= o
    std = math.sqrt(m2 / (n - 1)) if n > 1 else np.nan
    out[0] = wealth - 1.0
    cagr = _cagr_of(wealth, t_len, ppy)
    out[1] = cagr
    out[2] = std * math.sqrt(ppy)
    out[3] = rf_mean_adj / std * math.sqrt(ppy) if std > 0.0 else np.nan
    downside = math.sqrt(down_sq / n) * math.sqrt(ppy)
    out[5] = downside
    out[4] = (mean - required_return) * ppy / downside if downside > 0.0 else np.nan
    out[6] = cagr / -min_dd if min_dd < 0.0 else np.nan
    out[7] = omega_pos / omega_neg if omega_neg > 0.0 else np.nan
    out[8] = min_dd
    out[9] = float(longest)
    out[10] = math.sqrt(dd_sq / t_len)
    # tail measures: two order statistics and the sum of the k+1 smallest, in O(n)
    pos = cutoff * (n - 1)
    k = int(pos)
    s = np.partition(buf[:n], k)
    lo_val = s[k]
    hi_val = lo_val
    if k + 1 < n:
        hi_val = s[k + 1]
        for i in range(k + 2, n):
            if s[i] < hi_val:
                hi_val = s[i]
    out[11] = lo_val + (hi_val - lo_val) * (pos - k)
    acc = 0.0
    for i in range(k + 1):
        acc += s[i]
    out[12] = acc / (k + 1)
    mm2 = m2 / n
    if mm2 > 0.0:
        out[13] = (m3 / n) / mm2**1.5
        out[14] = (m4 / n) / (mm2 * mm2) - 3.0
    if nonzero > 0:
        out[15] = wins / nonzero
        out[17] = (gains - losses) / nonzero
    out[16] = gains / losses if losses > 0.0 else np.nan
    if not has_bench:
        return
    # benchmark-relative: pairs where both are present
    nb_ = 0
    fsum = 0.0
    for t in range(t_len):
        if not math.isnan(r[t]) and not math.isnan(f[t]):
            nb_ += 1
            fsum += f[t]
    if nb_ < 2:
        return
    fmean = fsum / nb_
    cov = 0.0
    var = 0.0
    act_sum = 0.0
    up_r = 1.0
    up_f = 1.0
    up_n = 0
    dn_r = 1.0
    dn_f = 1.0
    dn_n = 0
    for t in range(t_len):
        x = r[t]
        y = f[t]
        if math.isnan(x) or math.isnan(y):
            continue
        e = y - fmean
        cov += e * x
        var += e * e
        act_sum += x - y
        if y > 0.0:
            up_r *= 1.0 + x
            up_f *= 1.0 + y
            up_n += 1
        elif y < 0.0:
            dn_r *= 1.0 + x
            dn_f *= 1.0 + y
            dn_n += 1
    cov /= nb_
    var /= nb_
    beta = cov / var if var >= 1e-30 else np.nan
    out[19] = beta
    alpha_sum = 0.0
    for t in range(t_len):
        x = r[t]
        y = f[t]
        if math.isnan(x) or math.isnan(y):
            continue
        alpha_sum += (x - risk_free) - beta * (y - risk_free)
    out[18] = (1.0 + alpha_sum / nb_) ** ppy - 1.0
    act_mean = act_sum / nb_
    act_var = 0.0
    for t in range(t_len):
        x = r[t]
        y = f[t]
        if math.isnan(x) or math.isnan(y):
            continue
        d = (x - y) - act_mean
        act_var += d * d
    te = math.sqrt(act_var / (nb_ - 1))
    out[21] = te * math.sqrt(ppy)
    out[20] = act_mean / te * math.sqrt(ppy) if te > 0.0 else np.nan
    if up_n > 0:
        denom = _cagr_of(up_f, up_n, ppy)
        out[22] = _cagr_of(up_r, up_n, ppy) / denom if denom != 0.0 else np.nan
    if dn_n > 0:
        denom = _cagr_of(dn_f, dn_n, ppy)
        out[23] = _cagr_of(dn_r, dn_n, ppy) / denom if denom != 0.0 else np.nan


column_metrics = _column_metrics
"""Public name of the per-column kernel, for other numba kernels (e.g. sweep grids)."""


@nb.njit(cache=True, parallel=True)
def metrics_matrix(
    returns: npt.NDArray[np.float64],
    bench: npt.NDArray[np.float64],
    has_bench: bool,
    ppy: float,
    risk_free: float,
    required_return: float,
    cutoff: float,
) -> npt.NDArray[np.float64]:
    """(fields, series) metrics for a (periods, series) return matrix."""
    t_len, n_series = returns.shape
    out = np.empty((N_FIELDS, n_series))
    for j in nb.prange(n_series):
        buf = np.empty(t_len)
        col = np.ascontiguousarray(returns[:, j])
        res = np.empty(N_FIELDS)
        _column_metrics(col, bench, has_bench, ppy, risk_free, required_return, cutoff, buf, res)
        out[:, j] = res
    return out
