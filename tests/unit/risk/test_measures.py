"""VaR/ES checked against closed forms and straightforward reference computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nautilus.core.errors import ValidationError
from nautilus.risk import (
    COVARIANCE_ESTIMATORS,
    historical_var,
    incremental_var,
    marginal_var,
    monte_carlo_var,
    nearest_psd,
    parametric_var,
    var_backtest,
)
from nautilus.risk.covariance import is_psd


@pytest.fixture(scope="module")
def book() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    n = 8
    a = rng.normal(size=(n, n)) * 0.01
    cov = a @ a.T + np.diag(rng.uniform(1e-5, 4e-4, n))
    positions = rng.uniform(-2e5, 5e5, n)
    history = rng.multivariate_normal(np.zeros(n), cov, 3000)
    return positions, cov, history


def test_normal_var_is_the_closed_form(book: tuple) -> None:
    w, cov, _ = book
    sigma = math.sqrt(w @ cov @ w)
    for conf, h in ((0.95, 1), (0.99, 10), (0.975, 5)):
        res = parametric_var(w, cov, confidence=conf, horizon=h)
        z = stats.norm.ppf(conf)
        assert res.var == pytest.approx(z * sigma * math.sqrt(h), rel=1e-12)
        assert res.es == pytest.approx(
            stats.norm.pdf(z) / (1 - conf) * sigma * math.sqrt(h), rel=1e-12
        )
        assert sum(res.component_var) == pytest.approx(res.var, rel=1e-12)
        assert sum(res.component_es) == pytest.approx(res.es, rel=1e-12)
    mu = np.full(w.size, 0.001)
    with_mean = parametric_var(w, cov, mean=mu, confidence=0.99, horizon=2)
    assert with_mean.var == pytest.approx(stats.norm.ppf(0.99) * sigma * math.sqrt(2) - 2 * w @ mu)
    assert sum(with_mean.component_var) == pytest.approx(with_mean.var, rel=1e-12)


def test_cornish_fisher_reduces_to_normal_and_fattens_tails(book: tuple) -> None:
    w, cov, _ = book
    normal = parametric_var(w, cov)
    flat = parametric_var(w, cov, skew=0.0, kurtosis=0.0)
    assert flat.var == pytest.approx(normal.var, rel=1e-12)
    assert flat.es == pytest.approx(normal.es, rel=2e-3)  # numerical tail average
    fat = parametric_var(w, cov, skew=-0.5, kurtosis=3.0)
    assert fat.var > normal.var and fat.es > normal.es
    z = -stats.norm.ppf(0.99)
    q = z + (z**2 - 1) * -0.5 / 6 + (z**3 - 3 * z) * 3 / 24 - (2 * z**3 - 5 * z) * 0.25 / 36
    assert fat.var == pytest.approx(-q * math.sqrt(w @ cov @ w), rel=1e-12)


def test_marginal_and_incremental_var(book: tuple) -> None:
    w, cov, _ = book
    mvar = marginal_var(w, cov)
    eps = 1.0
    for i in range(w.size):
        up, down = w.copy(), w.copy()
        up[i] += eps
        down[i] -= eps
        fd = (parametric_var(up, cov).var - parametric_var(down, cov).var) / (2 * eps)
        assert mvar[i] == pytest.approx(fd, rel=1e-5)
    change = np.zeros_like(w)
    change[2] = 1e3
    inc = incremental_var(w, change, cov)
    assert inc == pytest.approx(parametric_var(w + change, cov).var - parametric_var(w, cov).var)
    assert inc == pytest.approx(mvar[2] * 1e3, rel=0.01)  # first-order approximation


def test_historical_var_matches_direct_quantiles(book: tuple) -> None:
    w, _, hist = book
    pnl = hist @ w
    res = historical_var(w, hist, confidence=0.99)
    assert res.var == pytest.approx(-np.quantile(pnl, 0.01), rel=1e-12)
    assert res.es == pytest.approx(-pnl[pnl <= -res.var].mean(), rel=1e-12)
    assert sum(res.component_es) == pytest.approx(res.es, rel=1e-10)
    assert sum(res.component_var) == pytest.approx(res.var, rel=1e-10)
    ten = historical_var(w, hist, confidence=0.99, horizon=10)
    assert ten.var == pytest.approx(res.var * math.sqrt(10), rel=1e-12)


def test_age_weighting_by_hand() -> None:
    pnl_source = np.array([[-5.0], [-1.0], [2.0], [-3.0], [1.0]] * 4)  # 20 periods
    w = np.array([1.0])
    lam = 0.9
    res = historical_var(w, pnl_source, confidence=0.9, weighting="age", lam=lam)
    n = 20
    probs = lam ** np.arange(n - 1, -1, -1.0)
    probs /= probs.sum()
    pnl = pnl_source[:, 0]
    order = np.argsort(pnl, kind="stable")
    cum = np.cumsum(probs[order])
    k = int(np.searchsorted(cum, 0.1))
    assert res.var == pytest.approx(-pnl[order[k]])
    tail = order[: k + 1]
    assert res.es == pytest.approx(-(pnl[tail] @ probs[tail]) / probs[tail].sum())


def test_volatility_filtering_scales_old_calm_returns_up() -> None:
    rng = np.random.default_rng(3)
    calm = rng.normal(0, 0.005, (500, 1))
    wild = rng.normal(0, 0.03, (100, 1))
    hist = np.vstack([calm, wild])
    w = np.array([1e6])
    plain = historical_var(w, hist).var
    filtered = historical_var(w, hist, weighting="volatility").var
    assert filtered > plain * 1.5  # calm history rescaled to today's high volatility


def test_monte_carlo_converges_and_is_reproducible(book: tuple) -> None:
    w, cov, _ = book
    exact = parametric_var(w, cov, confidence=0.99)
    mc = monte_carlo_var(w, cov, confidence=0.99, scenarios=200_000, seed=5)
    assert mc.var == pytest.approx(exact.var, rel=0.03)
    assert mc.es == pytest.approx(exact.es, rel=0.03)
    assert sum(mc.component_es) == pytest.approx(mc.es, rel=1e-6)
    np.testing.assert_allclose(
        mc.component_var, exact.component_var, rtol=0.15, atol=exact.var * 0.01
    )
    again = monte_carlo_var(w, cov, confidence=0.99, scenarios=200_000, seed=5)
    assert again.var == mc.var and again.component_es == mc.component_es
    heavy = monte_carlo_var(w, cov, confidence=0.99, scenarios=200_000, distribution="t", dof=4)
    assert heavy.es > mc.es  # same covariance, fatter tail


def test_covariance_estimators(book: tuple) -> None:
    _, _cov, hist = book
    sample = COVARIANCE_ESTIMATORS.get("sample")(hist)
    np.testing.assert_allclose(sample, np.cov(hist, rowvar=False), rtol=1e-12)
    lam = 0.94
    ewma = COVARIANCE_ESTIMATORS.get("ewma")(hist, lam=lam)
    ref = np.zeros_like(sample)
    wsum = 0.0
    for k, row in enumerate(hist[::-1]):
        wt = (1 - lam) * lam**k
        ref += wt * np.outer(row, row)
        wsum += wt
    np.testing.assert_allclose(ewma, ref / wsum, rtol=1e-10)
    import pandas as pd
    from pypfopt.risk_models import CovarianceShrinkage

    prices = pd.DataFrame(np.cumprod(1 + hist, axis=0))
    lw_ref = CovarianceShrinkage(prices, returns_data=False, frequency=1).ledoit_wolf()
    lw = COVARIANCE_ESTIMATORS.get("ledoit_wolf")(prices.pct_change().dropna().to_numpy())
    np.testing.assert_allclose(lw, lw_ref.to_numpy(), rtol=1e-8)
    bad = np.array([[1.0, 0.9, 0.7], [0.9, 1.0, -0.9], [0.7, -0.9, 1.0]])
    assert not is_psd(bad) and is_psd(nearest_psd(bad))


def test_kupiec_and_christoffersen_by_hand() -> None:
    rng = np.random.default_rng(9)
    losses = rng.normal(size=1000)
    var = np.full(1000, stats.norm.ppf(0.99))
    res = var_backtest(losses, var, confidence=0.99)
    x, t, p = res.exceptions, 1000, 0.01
    lr = -2 * (
        (t - x) * np.log(1 - p) + x * np.log(p) - (t - x) * np.log(1 - x / t) - x * np.log(x / t)
    )
    assert res.lr_pof == pytest.approx(lr, rel=1e-12)
    assert res.p_pof == pytest.approx(stats.chi2.sf(lr, 1))
    clustered = np.zeros(500)
    clustered[100:120] = 10.0  # twenty exceptions in a row: independence is rejected
    cl = var_backtest(clustered, 1.0, confidence=0.99)
    assert cl.exceptions == 20 and cl.p_ind < 1e-6 and cl.p_cc < 1e-6
    assert res.p_ind > 0.01


def test_bad_inputs_name_the_problem(book: tuple) -> None:
    w, cov, hist = book
    with pytest.raises(ValidationError, match="confidence"):
        parametric_var(w, cov, confidence=1.2)
    with pytest.raises(ValidationError, match="expected"):
        parametric_var(w, cov[:3, :3])
    with pytest.raises(ValidationError, match="positive definite"):
        monte_carlo_var([1.0, 1.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValidationError, match="at least 20"):
        historical_var(w, hist[:5])
    with pytest.raises(ValidationError, match="NaN"):
        COVARIANCE_ESTIMATORS.get("sample")(np.array([[1.0, np.nan], [0.0, 1.0], [1.0, 1.0]]))
