"""Covariance estimators on a (periods, assets) matrix of simple returns.

- ``sample``: unbiased (ddof=1) sample covariance.
- ``ewma``: RiskMetrics exponentially weighted covariance, zero mean, weights
  ``(1 - λ) λ^k`` on the observation k periods back, normalised to sum to one (λ=0.94 daily).
- ``ledoit_wolf``: Ledoit–Wolf shrinkage towards a scaled identity (scikit-learn's estimator).

All return a symmetric positive semi-definite float64 matrix per period (not annualised).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError
from nautilus.core.registry import Registry

Matrix = npt.NDArray[np.float64]
CovarianceEstimator = Callable[..., Matrix]
COVARIANCE_ESTIMATORS: Registry[CovarianceEstimator] = Registry("covariance")


def _returns_matrix(returns: Any, min_periods: int = 2) -> Matrix:
    arr = np.asarray(returns, dtype=np.float64)
    if arr.ndim != 2:
        raise ValidationError(
            f"returns must be 2-D (periods, assets), got {arr.ndim}-D", code="bad_shape"
        )
    if arr.shape[0] < min_periods:
        raise ValidationError(
            f"need at least {min_periods} periods, got {arr.shape[0]}", code="too_few_periods"
        )
    if not np.isfinite(arr).all():
        bad = sorted({int(j) for j in np.argwhere(~np.isfinite(arr))[:, 1]})
        raise ValidationError(
            f"returns of assets {bad[:10]} contain NaN or infinite values", code="non_finite"
        )
    return arr


@COVARIANCE_ESTIMATORS.register("sample")
def sample_covariance(returns: Any) -> Matrix:
    """Unbiased sample covariance (ddof=1)."""
    arr = _returns_matrix(returns)
    return np.atleast_2d(np.cov(arr, rowvar=False, ddof=1))


@COVARIANCE_ESTIMATORS.register("ewma")
def ewma_covariance(returns: Any, lam: float = 0.94) -> Matrix:
    """RiskMetrics EWMA covariance (zero mean), most recent observation weighted most."""
    if not 0.0 < lam < 1.0:
        raise ValidationError(f"lam must be in (0, 1), got {lam}", code="out_of_range")
    arr = _returns_matrix(returns, min_periods=1)
    n = arr.shape[0]
    w = (1.0 - lam) * lam ** np.arange(n - 1, -1, -1, dtype=np.float64)
    w /= w.sum()
    weighted = arr * np.sqrt(w)[:, None]
    return weighted.T @ weighted


@COVARIANCE_ESTIMATORS.register("ledoit_wolf")
def ledoit_wolf_covariance(returns: Any) -> Matrix:
    """Ledoit–Wolf shrinkage to a scaled identity (sklearn; normalised by T, as sklearn does)."""
    from sklearn.covariance import ledoit_wolf

    arr = _returns_matrix(returns)
    cov, _ = ledoit_wolf(arr, assume_centered=False)
    return np.asarray(cov, dtype=np.float64)


def nearest_psd(cov: Matrix, eps: float = 0.0) -> Matrix:
    """Clip negative eigenvalues to ``eps`` (repair for a non-PSD input); symmetric result."""
    sym = (cov + cov.T) / 2.0
    vals, vecs = np.linalg.eigh(sym)
    fixed = (vecs * np.maximum(vals, eps)) @ vecs.T
    return (fixed + fixed.T) / 2.0


def is_psd(cov: Matrix, tol: float = 1e-12) -> bool:
    """Positive semi-definite within ``tol`` (relative to the largest entry).

    A Cholesky factorisation (cheap) settles the common positive-definite case; only a matrix
    that fails it pays for an eigendecomposition.
    """
    sym = (cov + cov.T) / 2.0
    scale = max(1.0, float(np.abs(sym).max()))
    try:
        np.linalg.cholesky(sym)
        return True
    except np.linalg.LinAlgError:
        return bool(np.linalg.eigvalsh(sym).min() >= -tol * scale)
