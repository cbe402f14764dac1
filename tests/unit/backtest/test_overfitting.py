"""Deflated Sharpe ratio against the paper's worked example; PBO on known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from nautilus.backtest.overfitting import (
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)
from nautilus.core.errors import ValidationError


def test_deflated_sharpe_matches_bailey_lopez_de_prado_example() -> None:
    # Bailey & Lopez de Prado (2014), section "A numerical example": annualised SR 2.5 over
    # 1250 daily observations, 100 trials with annualised SR variance 0.5, skew -3, kurtosis 10.
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = deflated_sharpe_ratio(2.5 / math.sqrt(250), 100, 0.5 / 250, 1250, -3.0, 10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-4)


def test_psr_is_the_normal_cdf_of_the_standardised_excess() -> None:
    sr, n, g3, g4 = 0.08, 500, -0.4, 5.0
    z = sr * math.sqrt(n - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr * sr)
    assert probabilistic_sharpe_ratio(sr, 0.0, n, g3, g4) == pytest.approx(norm.cdf(z), rel=1e-14)
    # one trial: nothing to deflate
    assert deflated_sharpe_ratio(sr, 1, 0.01, n, g3, g4) == pytest.approx(norm.cdf(z), rel=1e-14)
    # more trials deflate more
    assert deflated_sharpe_ratio(sr, 1000, 0.001, n, g3, g4) < deflated_sharpe_ratio(
        sr, 10, 0.001, n, g3, g4
    )


def test_pbo_two_blocks_by_hand() -> None:
    # trial 0 wins the first half, trial 1 the second: each split's IS winner is OOS worst
    a = np.array([0.02, 0.03, 0.01, 0.02, -0.01, -0.02, -0.01, -0.03])
    b = np.array([-0.01, 0.0, -0.02, 0.01, 0.02, 0.01, 0.03, 0.02])
    res = probability_of_backtest_overfitting(np.column_stack([a, b]), n_blocks=2)
    assert res.n_splits == 2
    assert res.pbo == 1.0
    np.testing.assert_allclose(res.logits, math.log((1 / 3) / (2 / 3)))


def test_pbo_low_for_real_skill_and_near_half_for_noise() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, (1000, 30))
    skilled = noise.copy()
    skilled[:, 7] += 0.004
    assert probability_of_backtest_overfitting(skilled, 8).pbo == 0.0
    p = probability_of_backtest_overfitting(noise, 8).pbo
    assert 0.2 < p < 0.8


def test_pbo_rejects_bad_input() -> None:
    with pytest.raises(ValidationError):
        probability_of_backtest_overfitting(np.zeros((10, 1)), 2)
    with pytest.raises(ValidationError):
        probability_of_backtest_overfitting(np.zeros((40, 3)), 3)
    with pytest.raises(ValidationError):
        probability_of_backtest_overfitting(np.full((40, 3), np.nan), 4)
