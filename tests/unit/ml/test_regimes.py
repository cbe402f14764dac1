"""Regimes: the causal forward filter against hmmlearn, naming rules, rules detector, ensemble."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.ml.dataset import Dataset, daily_ts, regime_features
from nautilus.ml.regimes import (
    REGIMES,
    HMMRegimeModel,
    RegimeEnsemble,
    RuleRegimeDetector,
    name_regime,
    name_regimes,
)
from nautilus.ml.regimes.hmm import HMMRegimeConfig, gaussian_log_density
from nautilus.ml.regimes.rules import RuleRegimeConfig, rule_indicators


def _clean_x(model: HMMRegimeModel, ds: Dataset) -> np.ndarray:
    x = ds.features[model.feature_names].to_numpy()
    return x[np.isfinite(x).all(axis=1)]


def test_filtered_equals_last_row_of_hmmlearn_posterior_on_truncated_data(
    fitted_hmm: HMMRegimeModel, regime_ds: Dataset
) -> None:
    x = _clean_x(fitted_hmm, regime_ds)
    full = fitted_hmm.filtered_proba(x)
    for t in (0, 1, 17, 150, 400, x.shape[0] - 1):
        # the smoothed posterior of data ending at t, at its last row, is the filtered value
        reference = fitted_hmm.hmm.predict_proba(x[: t + 1])[-1]
        np.testing.assert_allclose(full[t], reference, atol=1e-8, rtol=0)


def test_filtered_is_causal_and_differs_from_smoothed(
    fitted_hmm: HMMRegimeModel, regime_ds: Dataset
) -> None:
    x = _clean_x(fitted_hmm, regime_ds)
    full = fitted_hmm.filtered_proba(x)
    truncated = fitted_hmm.filtered_proba(x[:300])
    np.testing.assert_array_equal(full[:300], truncated)
    np.testing.assert_allclose(full.sum(axis=1), 1.0, atol=1e-12)
    smoothed = fitted_hmm.hmm.predict_proba(x)
    assert np.abs(smoothed[:-1] - full[:-1]).max() > 1e-3  # smoothing looks ahead


def test_emission_density_matches_scipy(fitted_hmm: HMMRegimeModel, regime_ds: Dataset) -> None:
    from scipy.stats import multivariate_normal

    x = _clean_x(fitted_hmm, regime_ds)[:50]
    ours = gaussian_log_density(x, fitted_hmm.hmm.means_, np.asarray(fitted_hmm.hmm.covars_))
    for k in range(fitted_hmm.config.n_states):
        ref = multivariate_normal(fitted_hmm.hmm.means_[k], fitted_hmm.hmm.covars_[k]).logpdf(x)
        np.testing.assert_allclose(ours[:, k], ref, rtol=1e-10)


def test_hmm_recovers_synthetic_states(fitted_hmm: HMMRegimeModel, regime_ds: Dataset) -> None:
    ok = np.isfinite(regime_ds.X).all(axis=1)
    truth = regime_ds.meta["true_state"][ok]
    est = fitted_hmm.filtered_proba(regime_ds.X[ok]).argmax(axis=1)
    # best one-to-one map of estimated to true states, then the share labelled right
    from itertools import permutations

    k = fitted_hmm.config.n_states
    acc = max(np.mean(np.array(p)[est] == truth) for p in permutations(range(k)))
    assert acc > 0.6  # chance is ~0.4; calm-up and range states differ only mildly in vol
    # the estimated high-vol state is the true volatile downtrend (state 1) almost always
    hi = int(np.argmax(fitted_hmm.hmm.means_[:, 1]))
    assert np.mean(truth[est == hi] == 1) > 0.9
    assert fitted_hmm.converged


def test_hmm_state_names_follow_the_rules(fitted_hmm: HMMRegimeModel) -> None:
    names = [REGIMES[c] for c in fitted_hmm.state_regime]
    # the calm uptrend state (highest mean return) is a bull regime
    calm_up = int(np.argmax(fitted_hmm.hmm.means_[:, 0]))
    assert names[calm_up].startswith("bull")
    # the state with the most negative drift is bearish or a crisis
    down = int(np.argmin(fitted_hmm.hmm.means_[:, 0]))
    assert names[down] in ("bear/volatile", "bear/quiet", "crisis")


def test_regime_proba_rows_sum_to_one_after_warmup(
    fitted_hmm: HMMRegimeModel, regime_ds: Dataset
) -> None:
    p = fitted_hmm.regime_proba(regime_ds)
    assert list(p.columns) == list(REGIMES)
    warm = p.iloc[:21]
    assert warm.isna().all().all()  # 21-bar vol window not full yet
    np.testing.assert_allclose(p.iloc[22:].sum(axis=1), 1.0, atol=1e-12)


def test_hmm_not_converged_is_reported(regime_ds: Dataset) -> None:
    m = HMMRegimeModel(HMMRegimeConfig(n_states=3, n_iter=1, seed=1)).fit(regime_ds)
    assert m.converged is False


def test_hmm_rejects_too_little_data_and_nan_heavy_features() -> None:
    ds = Dataset(ts=daily_ts(100), features=pd.DataFrame({"ret": np.zeros(100)}))
    with pytest.raises(ValidationError, match="too little data"):
        HMMRegimeModel().fit(ds)
    x = np.random.default_rng(0).normal(size=(400, 2))
    x[::2, 1] = np.nan
    bad = Dataset(ts=daily_ts(400), features=pd.DataFrame(x, columns=["ret", "logvol"]))
    with pytest.raises(ValidationError, match="NaN-heavy"):
        HMMRegimeModel().fit(bad)


@pytest.mark.parametrize(
    ("drift", "vol_pct", "dd", "expected"),
    [
        (0.20, 0.30, -0.02, "bull/quiet"),
        (0.20, 0.70, -0.05, "bull/volatile"),
        (-0.15, 0.30, -0.08, "bear/quiet"),
        (-0.30, 0.70, -0.10, "bear/volatile"),
        (0.01, 0.20, -0.03, "sideways/range"),
        (0.01, 0.60, -0.03, "bull/volatile"),  # flat but volatile is not a range
        (-0.50, 0.95, -0.30, "crisis"),
        (-0.50, 0.70, -0.30, "bear/volatile"),  # deep drawdown, vol not extreme
    ],
)
def test_naming_rules(drift: float, vol_pct: float, dd: float, expected: str) -> None:
    assert name_regime(drift, vol_pct, dd) == expected


def test_name_regimes_marks_nan_as_unknown() -> None:
    assert name_regimes([np.nan, 0.1], [0.2, 0.2], [0.0, 0.0]).tolist() == [-1, 0]


def test_rule_indicators_match_a_direct_computation(sp500: tuple[np.ndarray, np.ndarray]) -> None:
    _, close = sp500
    close = close[:600]
    cfg = RuleRegimeConfig()
    ind = rule_indicators(close, cfg)
    r = np.diff(np.log(close))
    t = 400
    drift = r[t - cfg.trend_window: t].mean() * 252
    assert ind["drift_ann"][t] == pytest.approx(drift, rel=1e-10)
    vols = pd.Series(np.r_[np.nan, r]).rolling(cfg.vol_window).std().to_numpy()
    hist = vols[: t + 1][np.isfinite(vols[: t + 1])]
    # pandas' average rank for ties, as a percentile of the values up to t
    pct = (np.sum(hist < vols[t]) + 0.5 * (np.sum(hist == vols[t]) + 1)) / hist.size
    assert ind["vol_pct"][t] == pytest.approx(pct, rel=1e-10)
    assert ind["dd"][t] == pytest.approx(close[t] / close[: t + 1].max() - 1, rel=1e-12)


def test_rules_detector_is_causal_and_finds_2008_crisis(
    sp500: tuple[np.ndarray, np.ndarray],
) -> None:
    ts, close = sp500
    det = RuleRegimeDetector()
    ds = Dataset(ts=ts, features=regime_features(close), close=close)
    det.fit(ds)
    full = det.codes(close)
    np.testing.assert_array_equal(full[:2000], det.codes(close[:2000]))
    dates = pd.to_datetime(ts, utc=True)
    oct_2008 = (dates >= "2008-10-01") & (dates < "2008-12-01")
    assert np.mean(full[oct_2008] == REGIMES.index("crisis")) > 0.5
    assert set(np.unique(full[full >= 0])) >= {0, 1, 3, 5}


def test_ensemble_weights_and_confidence(fitted_hmm: HMMRegimeModel, regime_ds: Dataset) -> None:
    rules = RuleRegimeDetector()
    out = RegimeEnsemble(fitted_hmm, rules, hmm_weight=0.6).regimes(regime_ds)
    ph = fitted_hmm.regime_proba(regime_ds).to_numpy()
    pr = rules.regime_proba(regime_ds).to_numpy()
    expected = 0.6 * ph + 0.4 * pr
    probs = out[list(REGIMES)].to_numpy()
    ok = np.isfinite(expected).all(axis=1)
    np.testing.assert_allclose(probs[ok], expected[ok], atol=1e-14)
    np.testing.assert_allclose(out["confidence"].to_numpy()[ok], expected[ok].max(axis=1))
    assert out["regime"].iloc[-1] == REGIMES[int(expected[-1].argmax())]
    assert out["regime"].iloc[0] is None
    # when both agree the confidence is at least the rules' weight
    agree = out["agree"].to_numpy()
    assert (out["confidence"].to_numpy()[agree] >= 0.4 - 1e-12).all()
    with pytest.raises(ValidationError):
        RegimeEnsemble(fitted_hmm, rules, hmm_weight=1.5)


def test_hmm_on_sp500_names_late_2008_a_high_volatility_regime(
    sp500: tuple[np.ndarray, np.ndarray],
) -> None:
    ts, close = sp500
    ds = Dataset(ts=ts, features=regime_features(close), close=close)
    m = HMMRegimeModel(HMMRegimeConfig(n_states=4, seed=0)).fit(ds)
    assert m.converged
    codes = m.predict(ds)
    dates = pd.to_datetime(ts, utc=True)
    q4_2008 = (dates >= "2008-10-01") & (dates < "2009-01-01")
    share = np.isin(codes[q4_2008], [REGIMES.index("crisis"), REGIMES.index("bear/volatile")])
    assert share.mean() > 0.8
    calm_2017 = (dates >= "2017-01-01") & (dates < "2018-01-01")
    assert np.isin(codes[calm_2017], [REGIMES.index("bull/quiet"),
                                      REGIMES.index("sideways/range")]).mean() > 0.8
