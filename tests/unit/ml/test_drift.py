"""Drift statistics against scipy and hand computations; alerts on the wire; retraining rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nautilus.bus.base import decode_message, encode_message
from nautilus.ml.drift import (
    DriftAlert,
    DriftReport,
    DriftThresholds,
    RetrainRule,
    challenger_wins,
    input_drift,
    ks_two_sample,
    performance_decay,
    psi,
    retrain_reason,
)

DAY_NS = 86_400 * 10**9


def test_psi_hand_computed() -> None:
    reference = np.arange(1, 11, dtype=float)  # quartile edges 3.25, 5.5, 7.75
    live = np.array([1, 1, 1, 1, 1, 1, 6, 6, 9, 9], dtype=float)
    e = np.array([3, 2, 2, 3]) / 10  # bins (-inf,3.25) [3.25,5.5) [5.5,7.75) [7.75,inf)
    a = np.array([6, 0, 2, 2]) / 10
    a_f = np.maximum(a, 1e-4)
    ref = np.sum((a_f - e) * np.log(a_f / e))
    assert psi(reference, live, bins=4) == pytest.approx(ref, rel=1e-12)
    assert psi(reference, reference, bins=4) == 0.0


@pytest.mark.parametrize("shift", [0.0, 0.2, 1.0])
def test_ks_matches_scipy(shift: float) -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal(500)
    b = rng.standard_normal(300) + shift
    d, p = ks_two_sample(a, b)
    ref = stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic, abs=1e-15)
    assert p == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-300)
    assert d == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-15)


def test_input_drift_flags_shifted_features_only() -> None:
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"a": rng.standard_normal(1000), "b": rng.standard_normal(1000)})
    live = pd.DataFrame({"a": rng.standard_normal(400), "b": rng.standard_normal(400) * 2 + 1})
    rep = input_drift(ref, live)
    assert rep.drifted == ["b"]
    assert rep.features["b"]["psi"] > 0.25
    assert rep.features["a"]["ks_pvalue"] > 0.01


def test_performance_decay_rolling_metrics() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(200) < 0.5).astype(float)
    p_good = np.where(y == 1, 0.7, 0.3)
    frame, summary, decayed = performance_decay(
        y, p_good, {"hit_rate": 0.9, "log_loss": 0.5}, DriftThresholds(window=50)
    )
    assert summary["hit_rate"] == 1.0
    assert summary["log_loss"] == pytest.approx(-np.log(0.7))
    assert not decayed  # hit rate 1.0 and log-loss 0.357 beat the baseline
    _, s_wrong, d_wrong = performance_decay(
        y, 1 - p_good, {"hit_rate": 0.9, "log_loss": 0.5}, DriftThresholds(window=50)
    )
    assert s_wrong["hit_rate"] == 0.0 and d_wrong
    p_bad = rng.random(200)
    _, s2, d2 = performance_decay(y, p_bad, {"hit_rate": 0.6, "log_loss": 0.65},
                                  DriftThresholds(window=50))
    hits = ((p_bad[-50:] >= 0.5) == (y[-50:] == 1)).mean()
    assert s2["hit_rate"] == pytest.approx(hits)
    assert d2 == (hits < 0.55 or s2["log_loss"] > 0.65 * 1.05)
    assert frame["hit_rate"].iloc[:49].isna().all()


def test_retrain_rule_and_challenger() -> None:
    rule = RetrainRule(max_age_days=30)
    calm = DriftReport(features={}, drifted=[])
    drift = DriftReport(features={}, drifted=["a"])
    assert retrain_reason(rule, drift, 0, DAY_NS) == "drift"
    assert retrain_reason(rule, calm, 0, 29 * DAY_NS) is None
    assert retrain_reason(rule, calm, 0, 30 * DAY_NS) == "calendar"
    assert challenger_wins(rule, 0.60, 0.65)
    assert not challenger_wins(rule, 0.66, 0.65)
    strict = RetrainRule(metric="hit_rate", higher_is_better=True, min_improvement=0.01)
    assert not challenger_wins(strict, 0.555, 0.55)
    assert challenger_wins(strict, 0.561, 0.55)


def test_drift_alert_round_trips_on_the_wire() -> None:
    alert = DriftAlert(model="m", version=3, kind="input", features=["a"],
                       details={"a": {"psi": 0.4}}, ts_event=123)
    decoded, ts = decode_message(encode_message(alert, 456))
    assert decoded == alert and ts == 456
