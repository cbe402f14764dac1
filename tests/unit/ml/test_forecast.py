"""Volatility (arch, HAR-RV) and direction forecasters against reference computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.ml.dataset import Dataset, daily_ts, log_returns
from nautilus.ml.forecast.direction import (
    DirectionConfig,
    GradientBoostedDirection,
    LogisticDirection,
    ReturnConfig,
    ReturnRegressor,
    confidence,
    log_loss,
)
from nautilus.ml.forecast.volatility import (
    HARRV,
    GarchConfig,
    GarchForecaster,
    har_design,
    mse,
    qlike,
    realized_variance_frame,
)


@pytest.fixture(scope="module")
def spx_returns(sp500: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ts, close = sp500
    r = log_returns(close)[1:]
    return ts[1:][-1200:], r[-1200:]


def _vol_ds(ts: np.ndarray, r: np.ndarray) -> Dataset:
    return Dataset(ts=ts, features=realized_variance_frame(r))


def test_garch_horizons_follow_the_closed_form(spx_returns: tuple[np.ndarray, np.ndarray]) -> None:
    ts, r = spx_returns
    m = GarchForecaster(GarchConfig(kind="garch")).fit(_vol_ds(ts, r))
    assert m.converged
    p = m.result.params
    omega, alpha, beta = p["omega"] / 1e4, p["alpha[1]"], p["beta[1]"]
    tab = m.forecast_table(r, len(r) - 1)
    v1 = tab["var_1"].iloc[-1]
    # one step: omega + alpha * eps_T^2 + beta * sigma_T^2 on the last return
    eps = r[-1] - p["mu"] / 100
    sigma2 = (m.result.conditional_volatility[-1] / 100) ** 2
    assert v1 == pytest.approx(omega + alpha * eps**2 + beta * sigma2, rel=1e-8)
    # h steps: E[var_h] = omega + (alpha + beta) var_{h-1}
    v = [v1]
    for _ in range(20):
        v.append(omega + (alpha + beta) * v[-1])
    assert tab["var_5"].iloc[-1] == pytest.approx(v[4], rel=1e-8)
    assert tab["var_21"].iloc[-1] == pytest.approx(v[20], rel=1e-8)
    assert tab["cumvar_21"].iloc[-1] == pytest.approx(sum(v), rel=1e-8)


def test_gjr_multi_step_uses_half_the_asymmetry(
    spx_returns: tuple[np.ndarray, np.ndarray],
) -> None:
    ts, r = spx_returns
    m = GarchForecaster(GarchConfig(kind="gjr")).fit(_vol_ds(ts, r))
    p = m.result.params
    assert p["gamma[1]"] > 0  # leverage effect in equity index returns
    tab = m.forecast_table(r, len(r) - 1).iloc[-1]
    persistence = p["alpha[1]"] + 0.5 * p["gamma[1]"] + p["beta[1]"]
    v2 = p["omega"] / 1e4 + persistence * tab["var_1"]
    assert tab["cumvar_5"] - tab["var_1"] > 0
    ref = m.result.forecast(horizon=2, reindex=False).variance.to_numpy()[-1] / 1e4
    assert ref[1] == pytest.approx(v2, rel=1e-8)


def test_egarch_one_step_matches_its_recursion(spx_returns: tuple[np.ndarray, np.ndarray]) -> None:
    ts, r = spx_returns
    m = GarchForecaster(GarchConfig(kind="egarch", simulations=200)).fit(_vol_ds(ts, r))
    p = m.result.params
    sig = m.result.conditional_volatility[-1]
    e = (100 * r[-1] - p["mu"]) / sig
    ln_s2 = (p["omega"] + p["alpha[1]"] * (abs(e) - np.sqrt(2 / np.pi)) + p["gamma[1]"] * e
             + p["beta[1]"] * np.log(sig**2))
    tab = m.forecast_table(r, len(r) - 1).iloc[-1]
    assert tab["var_1"] == pytest.approx(np.exp(ln_s2) / 1e4, rel=1e-8)
    assert tab["var_1"] <= tab["cumvar_5"] <= tab["cumvar_21"]


def test_garch_oos_uses_only_training_data(spx_returns: tuple[np.ndarray, np.ndarray]) -> None:
    _, r = spx_returns
    a = GarchForecaster(GarchConfig(kind="garch"))
    scores = a.evaluate_oos(r, 900)
    params_a = a.result.params.copy()
    b = GarchForecaster(GarchConfig(kind="garch"))
    r2 = r.copy()
    r2[900:] *= 3.0  # a different future must not change the fitted parameters
    b.evaluate_oos(r2, 900)
    pd.testing.assert_series_equal(params_a, b.result.params, rtol=1e-10)
    # scores recomputed from the forecast table and the squared demeaned next-day return
    f = a.forecast_table(r, 899)["var_1"].to_numpy()[:-1]
    realized = (r[900:] - r[:900].mean()) ** 2
    assert scores["qlike"] == pytest.approx(qlike(realized, f), rel=1e-12)
    assert scores["n"] == 300


def test_qlike_and_mse_closed_forms() -> None:
    rv = np.array([1.0, 2.0, 4.0])
    f = np.array([2.0, 2.0, 1.0])
    ref = np.mean([0.5 - np.log(0.5) - 1, 0.0, 4.0 - np.log(4.0) - 1])
    assert qlike(rv, f) == pytest.approx(ref, rel=1e-14)
    assert qlike(rv, rv) == 0.0
    assert mse(rv, f) == pytest.approx((1 + 0 + 9) / 3)


def test_har_coefficients_match_statsmodels_ols(
    spx_returns: tuple[np.ndarray, np.ndarray],
) -> None:
    import statsmodels.api as sm

    ts, r = spx_returns
    ds = _vol_ds(ts, r)
    m = HARRV().fit(ds)
    rv = r * r
    d = pd.DataFrame({"rv": rv})
    d["rv_w"] = d["rv"].rolling(5).mean()
    d["rv_m"] = d["rv"].rolling(22).mean()
    d["y"] = d["rv"].shift(-1)
    d = d.dropna()
    ref = sm.OLS(d["y"], sm.add_constant(d[["rv", "rv_w", "rv_m"]])).fit()
    np.testing.assert_allclose(m.coef, ref.params.to_numpy(), rtol=1e-8)
    x, _ = har_design(rv)
    np.testing.assert_allclose(m.predict(ds)[30:], x[30:] @ ref.params.to_numpy(), rtol=1e-8)


def test_vol_models_reject_short_and_nan_heavy_input() -> None:
    short = Dataset(ts=daily_ts(60), features=realized_variance_frame(np.full(60, 0.01)))
    with pytest.raises(ValidationError, match="too little data"):
        GarchForecaster().fit(short)
    with pytest.raises(ValidationError, match="too little data"):
        HARRV().fit(short)
    r = np.full(400, np.nan)
    r[::3] = 0.01
    with pytest.raises(ValidationError, match="NaN-heavy"):
        GarchForecaster().fit(Dataset(ts=daily_ts(400), features=realized_variance_frame(r)))


@pytest.fixture(scope="module")
def signal_ds() -> Dataset:
    rng = np.random.default_rng(11)
    n = 800
    x = rng.standard_normal((n, 4))
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    ts = daily_ts(n)
    return Dataset(ts=ts, features=pd.DataFrame(x, columns=list("abcd")), label=y)


def test_logistic_without_calibration_equals_sklearn(signal_ds: Dataset) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    m = LogisticDirection(DirectionConfig(calibration="none", C=0.5)).fit(signal_ds)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000))
    ref.fit(signal_ds.X, signal_ds.label)
    np.testing.assert_allclose(m.predict(signal_ds), ref.predict_proba(signal_ds.X)[:, 1],
                               rtol=1e-10)


def test_calibration_is_fitted_on_the_training_fold_only(signal_ds: Dataset) -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import TimeSeriesSplit

    train = signal_ds.take(np.arange(600))
    test = signal_ds.take(np.arange(600, 800))
    cfg = DirectionConfig(calibration="sigmoid", max_iter=30)
    m = GradientBoostedDirection(cfg).fit(train)
    base = HistGradientBoostingClassifier(max_iter=30, learning_rate=0.05, max_depth=3,
                                          l2_regularization=1.0, random_state=0,
                                          early_stopping=False)
    ref = CalibratedClassifierCV(base, method="sigmoid", cv=TimeSeriesSplit(3))
    ref.fit(train.X, train.label)
    p = m.predict(test)
    np.testing.assert_allclose(p, ref.predict_proba(test.X)[:, 1], rtol=1e-10)
    # a test set with different labels changes nothing: it never entered the fit
    flipped = signal_ds.take(np.arange(800))
    flipped.label = np.r_[train.label, 1 - test.label]
    m2 = GradientBoostedDirection(cfg).fit(flipped.take(np.arange(600)))
    np.testing.assert_allclose(m2.predict(test), p, rtol=0)
    np.testing.assert_allclose(confidence(p), np.abs(2 * p - 1))
    assert log_loss(test.label, p) < np.log(2)  # better than a coin flip out of sample


def test_direction_rejects_bad_input(signal_ds: Dataset) -> None:
    with pytest.raises(ValidationError, match="too little data"):
        LogisticDirection().fit(signal_ds.take(np.arange(40)))
    with pytest.raises(ValidationError, match="no label"):
        LogisticDirection().fit(Dataset(ts=signal_ds.ts, features=signal_ds.features))
    f = signal_ds.features.copy()
    f.loc[::2, "c"] = np.nan
    bad = Dataset(ts=signal_ds.ts, features=f, label=signal_ds.label)
    with pytest.raises(ValidationError, match="NaN-heavy"):
        GradientBoostedDirection().fit(bad)


def test_return_ridge_equals_sklearn(signal_ds: Dataset) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = signal_ds.X[:, 0] * 0.3 + np.sin(np.arange(len(signal_ds)))
    ds = Dataset(ts=signal_ds.ts, features=signal_ds.features, label=y)
    m = ReturnRegressor(ReturnConfig(alpha=2.0)).fit(ds)
    ref = make_pipeline(StandardScaler(), Ridge(alpha=2.0)).fit(ds.X, y)
    np.testing.assert_allclose(m.predict(ds), ref.predict(ds.X), rtol=1e-10)


def test_garch_that_does_not_converge_is_flagged(
    spx_returns: tuple[np.ndarray, np.ndarray],
) -> None:
    ts, r = spx_returns
    m = GarchForecaster(GarchConfig(kind="gjr", max_iter=2)).fit(_vol_ds(ts, r))
    assert m.converged is False
    assert m.result.convergence_flag != 0
