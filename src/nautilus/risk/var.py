"""Value at risk and expected shortfall of a portfolio.

Conventions: ``positions`` are currency exposures per asset (value held; negative = short), so
P&L = positions · returns. VaR and ES are reported as positive losses in the same currency, at
``confidence`` (0.99 → the 1 % tail) over ``horizon`` periods (√h scaling of the one-period
distribution for parametric and Monte Carlo; overlapping h-period sums are not used).

Methods: parametric normal, parametric Cornish–Fisher (skew/kurtosis-adjusted quantile),
historical (optionally age-weighted, or volatility-filtered à la Hull–White), and Monte Carlo
(Cholesky-correlated normals or Student-t). Each returns a :class:`VarResult` with component
(Euler) contributions that sum to the total.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

from nautilus.core.errors import ValidationError
from nautilus.risk.covariance import Matrix

Vector = npt.NDArray[np.float64]


class VarResult(msgspec.Struct, frozen=True, kw_only=True):
    """VaR/ES (positive = loss, currency), with per-asset Euler contributions to VaR and ES."""

    method: str
    confidence: float
    horizon: int
    var: float
    es: float
    component_var: list[float]
    component_es: list[float]
    scenarios: int | None = None


def _check(positions: Any, confidence: float, horizon: int) -> Vector:
    w = np.asarray(positions, dtype=np.float64).reshape(-1)
    if not np.isfinite(w).all():
        raise ValidationError("positions must be finite", code="non_finite")
    if not 0.5 < confidence < 1.0:
        raise ValidationError(
            f"confidence must be in (0.5, 1), got {confidence}", code="out_of_range"
        )
    if horizon < 1:
        raise ValidationError(f"horizon must be >= 1 period, got {horizon}", code="out_of_range")
    return w


def _check_cov(cov: Matrix, n: int) -> Matrix:
    c = np.asarray(cov, dtype=np.float64)
    if c.shape != (n, n):
        raise ValidationError(f"covariance is {c.shape}, expected ({n}, {n})", code="misaligned")
    return c


def _cornish_fisher(z_left: Any, skew: float, kurt: float) -> Any:
    """Cornish–Fisher adjusted left-tail quantile(s) of a standardised return."""
    z = z_left
    return (
        z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24 - (2 * z**3 - 5 * z) * skew**2 / 36
    )


def parametric_var(
    positions: Any,
    cov: Matrix,
    *,
    mean: Any = None,
    confidence: float = 0.99,
    horizon: int = 1,
    skew: float | None = None,
    kurtosis: float | None = None,
) -> VarResult:
    """Normal VaR/ES, or Cornish–Fisher when ``skew`` / ``kurtosis`` (excess) are given.

    ``VaR = q σ_p √h − μ_p h`` with q the (adjusted) quantile multiplier. Component VaR is the
    Euler allocation ``w_i ∂VaR/∂w_i = w_i (q (Σw)_i h / σ_h − μ_i h)``; components sum to VaR.
    Cornish–Fisher ES averages the adjusted quantile over the tail numerically (2,001 points).
    """
    w = _check(positions, confidence, horizon)
    c = _check_cov(cov, w.size)
    mu = np.zeros_like(w) if mean is None else np.asarray(mean, dtype=np.float64).reshape(-1)
    sigma_w = c @ w
    sigma_h = math.sqrt(max(float(w @ sigma_w), 0.0) * horizon)
    mu_h = float(w @ mu) * horizon
    z = float(stats.norm.ppf(confidence))
    if skew is None and kurtosis is None:
        method = "parametric_normal"
        q_var = z
        q_es = float(stats.norm.pdf(z)) / (1 - confidence)
    else:
        method = "parametric_cornish_fisher"
        s, k = skew or 0.0, kurtosis or 0.0
        q_var = -float(_cornish_fisher(-z, s, k))
        tail = stats.norm.ppf(np.linspace(confidence, 1 - 1e-6, 2001))
        q_es = -float(np.mean(_cornish_fisher(-tail, s, k)))
    var = q_var * sigma_h - mu_h
    es = q_es * sigma_h - mu_h
    if sigma_h > 0:
        beta = sigma_w * horizon / sigma_h  # ∂σ_h/∂w_i
        comp_var = w * (q_var * beta - mu * horizon)
        comp_es = w * (q_es * beta - mu * horizon)
    else:
        comp_var = np.zeros_like(w)
        comp_es = np.zeros_like(w)
    return VarResult(
        method=method,
        confidence=confidence,
        horizon=horizon,
        var=float(var),
        es=float(es),
        component_var=comp_var.tolist(),
        component_es=comp_es.tolist(),
    )


def marginal_var(
    positions: Any, cov: Matrix, *, confidence: float = 0.99, horizon: int = 1
) -> Vector:
    """∂VaR/∂w_i for normal VaR: q (Σw)_i / σ_p · √h (currency VaR per unit of exposure)."""
    w = _check(positions, confidence, horizon)
    c = _check_cov(cov, w.size)
    sigma = math.sqrt(float(w @ c @ w))
    if sigma == 0:
        return np.zeros_like(w)
    return stats.norm.ppf(confidence) * (c @ w) / sigma * math.sqrt(horizon)


def incremental_var(
    positions: Any, change: Any, cov: Matrix, *, confidence: float = 0.99, horizon: int = 1
) -> float:
    """VaR(positions + change) − VaR(positions) under normal VaR (full revaluation)."""
    w = _check(positions, confidence, horizon)
    d = np.asarray(change, dtype=np.float64).reshape(-1)
    if d.shape != w.shape:
        raise ValidationError("change must have one entry per asset", code="misaligned")
    before = parametric_var(w, cov, confidence=confidence, horizon=horizon).var
    after = parametric_var(w + d, cov, confidence=confidence, horizon=horizon).var
    return after - before


def _weighted_tail(
    pnl: Vector, probs: Vector, confidence: float
) -> tuple[float, npt.NDArray[np.bool_], Vector]:
    """VaR threshold of a weighted P&L sample, the tail mask and normalised tail weights."""
    order = np.argsort(pnl)
    cum = np.cumsum(probs[order])
    alpha = 1.0 - confidence
    k = int(np.searchsorted(cum, alpha, side="left"))
    k = min(k, pnl.size - 1)
    tail_idx = order[: k + 1]
    mask = np.zeros(pnl.size, dtype=bool)
    mask[tail_idx] = True
    tw = probs[tail_idx] / probs[tail_idx].sum()
    return float(-pnl[order[k]]), mask, tw


def historical_var(
    positions: Any,
    returns: Any,
    *,
    confidence: float = 0.99,
    horizon: int = 1,
    weighting: Literal["equal", "age", "volatility"] = "equal",
    lam: float = 0.98,
) -> VarResult:
    """Historical-simulation VaR/ES from a (periods, assets) return history.

    ``age``: probability of the observation k periods back ∝ λ^k (Boudoukh et al.).
    ``volatility``: each asset's returns rescaled by σ_T / σ_t from a RiskMetrics EWMA (λ=0.94)
    (Hull–White filtered historical simulation). Equal weighting uses the empirical quantile
    with linear interpolation (numpy's default), ES the mean of the losses beyond it.
    """
    w = _check(positions, confidence, horizon)
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] != w.size:
        raise ValidationError(f"returns must be (periods, {w.size})", code="misaligned")
    if r.shape[0] < 20:
        raise ValidationError(f"need at least 20 periods, got {r.shape[0]}", code="too_few_periods")
    if weighting == "volatility":
        var_t = np.empty_like(r)
        v = r[: min(20, r.shape[0])].var(axis=0) + 1e-18
        for t in range(r.shape[0]):
            var_t[t] = v
            v = 0.94 * v + 0.06 * r[t] ** 2
        r = r * np.sqrt(v / var_t)
    scaled = r * math.sqrt(horizon)
    pnl = scaled @ w
    n = pnl.size
    if weighting == "age":
        if not 0.0 < lam < 1.0:
            raise ValidationError(f"lam must be in (0, 1), got {lam}", code="out_of_range")
        probs = lam ** np.arange(n - 1, -1, -1, dtype=np.float64)
        probs /= probs.sum()
        var, mask, tw = _weighted_tail(pnl, probs, confidence)
        es = float(-(pnl[mask] @ tw))
        comp_es = -(scaled[mask] * w).T @ tw
    else:
        var = float(-np.quantile(pnl, 1.0 - confidence))
        mask = pnl <= -var
        es = float(-pnl[mask].mean())
        comp_es = -(scaled[mask] * w).mean(axis=0)
    comp_var = comp_es * (var / es) if es != 0 else np.zeros_like(w)
    return VarResult(
        method=f"historical_{weighting}",
        confidence=confidence,
        horizon=horizon,
        var=var,
        es=es,
        component_var=comp_var.tolist(),
        component_es=comp_es.tolist(),
    )


def monte_carlo_var(
    positions: Any,
    cov: Matrix,
    *,
    mean: Any = None,
    confidence: float = 0.99,
    horizon: int = 1,
    scenarios: int = 100_000,
    distribution: Literal["normal", "t"] = "normal",
    dof: float = 5.0,
    seed: int = 0,
    threads: int = 2,
) -> VarResult:
    """Monte Carlo VaR/ES with Euler component VaR/ES from the tail scenarios.

    Scenarios ``R = μh + √h · L Zᵀ`` with ``L`` the Cholesky factor of ``cov`` (a non-PSD matrix
    is an error; repair it with ``covariance.nearest_psd``). For ``t`` each scenario's normals
    are divided by ``sqrt(χ²_ν / ν)`` and scaled by ``sqrt((ν−2)/ν)`` to keep the covariance.
    Normals are drawn in float32 by ``threads`` independent streams (seeded, reproducible).
    """
    w = _check(positions, confidence, horizon)
    c = _check_cov(cov, w.size)
    if scenarios < 100:
        raise ValidationError("scenarios must be >= 100", code="out_of_range")
    if distribution == "t" and dof <= 2:
        raise ValidationError("dof must be > 2 for a finite covariance", code="out_of_range")
    try:
        chol = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValidationError(
            "covariance is not positive definite; repair it first", code="not_psd"
        ) from None
    mu = np.zeros_like(w) if mean is None else np.asarray(mean, dtype=np.float64).reshape(-1)
    n = w.size
    z = np.empty((scenarios, n), dtype=np.float32)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(threads)]
    bounds = np.linspace(0, scenarios, threads + 1).astype(int)

    def fill(i: int) -> None:
        streams[i].standard_normal(out=z[bounds[i] : bounds[i + 1]], dtype=np.float32)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fill, range(threads)))
    scale = np.ones(scenarios)
    if distribution == "t":
        chi = np.random.default_rng(np.random.SeedSequence(seed).spawn(threads + 1)[-1])
        scale = np.sqrt((dof - 2.0) / chi.chisquare(dof, scenarios))
    sqrt_h = math.sqrt(horizon)
    b = (chol.T @ w).astype(np.float32)  # P&L = Z (Lᵀ w): one mat-vec, no scenario matrix
    pnl = (z @ b).astype(np.float64) * scale * sqrt_h + float(w @ mu) * horizon
    alpha = 1.0 - confidence
    k = max(math.floor(alpha * scenarios) - 1, 0)
    part = np.argpartition(pnl, k)
    tail = part[: k + 1]
    var = float(-pnl[part[k]])
    es = float(-pnl[tail].mean())
    # Euler: E[R_i | tail] = √h · scale-weighted L · mean(Z[tail]) + μ_i h
    zt = z[tail].astype(np.float64) * scale[tail, None]
    mean_r = sqrt_h * (chol @ zt.mean(axis=0)) + mu * horizon
    comp_es = -w * mean_r
    comp_var = comp_es * (var / es) if es != 0 else np.zeros_like(w)
    return VarResult(
        method=f"monte_carlo_{distribution}",
        confidence=confidence,
        horizon=horizon,
        var=var,
        es=es,
        component_var=comp_var.tolist(),
        component_es=comp_es.tolist(),
        scenarios=scenarios,
    )
