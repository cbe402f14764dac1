"""Metrics checked against empyrical-reloaded (to 1e-10) and scipy / direct computations."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nautilus.analytics import METRICS, metrics_table, summary
from nautilus.analytics import metrics as m
from nautilus.core.errors import ValidationError

TOL = 1e-10


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    market = rng.standard_t(4, 2520) * 0.008 + 0.0003
    cols = {f"s{i}": 0.6 * market + rng.normal(0.0002 * i, 0.01, 2520) for i in range(6)}
    frame = pd.DataFrame(cols)
    frame["market"] = market
    return frame


@pytest.fixture(scope="module")
def sp500() -> pd.Series:
    from arch.data import sp500

    close = sp500.load()["Adj Close"]
    return close.pct_change().dropna().iloc[-2520:].reset_index(drop=True)


EMPYRICAL_UNARY = {
    "cagr": ep.annual_return,
    "volatility": ep.annual_volatility,
    "sharpe": ep.sharpe_ratio,
    "sortino": ep.sortino_ratio,
    "downside_risk": ep.downside_risk,
    "calmar": ep.calmar_ratio,
    "omega": ep.omega_ratio,
    "max_drawdown": ep.max_drawdown,
    "var": ep.value_at_risk,
    "cvar": ep.conditional_value_at_risk,
}
EMPYRICAL_BINARY = {
    "alpha": ep.alpha,
    "beta": ep.beta,
    "up_capture": ep.up_capture,
    "down_capture": ep.down_capture,
}


@pytest.mark.parametrize("name", sorted(EMPYRICAL_UNARY))
def test_unary_metrics_match_empyrical(name: str, returns: pd.DataFrame, sp500: pd.Series) -> None:
    ours = METRICS.get(name)
    for col in returns.columns:
        r = returns[col].to_numpy()
        assert ours(r) == pytest.approx(EMPYRICAL_UNARY[name](r), rel=TOL, abs=1e-14), col
    real = sp500.to_numpy()
    assert ours(real) == pytest.approx(EMPYRICAL_UNARY[name](real), rel=TOL, abs=1e-14)


@pytest.mark.parametrize("name", sorted(EMPYRICAL_BINARY))
def test_benchmark_metrics_match_empyrical(name: str, returns: pd.DataFrame) -> None:
    bench = returns["market"].to_numpy()
    for col in returns.columns[:-1]:
        r = returns[col].to_numpy()
        expected = EMPYRICAL_BINARY[name](r, bench)
        assert METRICS.get(name)(r, bench) == pytest.approx(expected, rel=TOL, abs=1e-14)


def test_active_risk_matches_empyrical_definitions(returns: pd.DataFrame) -> None:
    r, b = returns["s1"].to_numpy(), returns["market"].to_numpy()
    te = METRICS.get("tracking_error")(r, b)
    assert te == pytest.approx(ep.annual_volatility(r - b), rel=TOL)
    ir = METRICS.get("information_ratio")(r, b)
    assert ir == pytest.approx(ep.excess_sharpe(r, b) * np.sqrt(252), rel=TOL)


def test_moments_and_trade_statistics(returns: pd.DataFrame) -> None:
    r = returns["s2"].to_numpy()
    s = summary(r)
    assert s["skew"] == pytest.approx(stats.skew(r), rel=TOL)
    assert s["kurtosis"] == pytest.approx(stats.kurtosis(r), rel=TOL)
    nz = r[r != 0]
    assert s["hit_rate"] == pytest.approx((nz > 0).mean(), rel=TOL)
    assert s["profit_factor"] == pytest.approx(nz[nz > 0].sum() / -nz[nz < 0].sum(), rel=TOL)
    assert s["expectancy"] == pytest.approx(nz.mean(), rel=TOL)
    assert s["total_return"] == pytest.approx(np.prod(1 + r) - 1, rel=TOL)


def test_drawdown_duration_and_ulcer_by_hand() -> None:
    r = np.array([0.10, -0.05, -0.05, 0.02, 0.20, -0.01, 0.0, 0.05])
    wealth = np.cumprod(1 + r)
    peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
    dd = wealth / peak - 1
    s = summary(r)
    assert s["max_drawdown"] == pytest.approx(dd.min(), rel=TOL)
    assert s["ulcer_index"] == pytest.approx(np.sqrt(np.mean(dd**2)), rel=TOL)
    assert s["max_drawdown_duration"] == 3.0  # periods 2, 3, 4 are below the peak of period 1


def test_missing_periods_follow_empyrical(returns: pd.DataFrame) -> None:
    r = returns["s3"].to_numpy().copy()
    r[[5, 100, 101, 2000]] = np.nan
    for name in ("sharpe", "volatility", "cagr", "max_drawdown", "sortino", "cvar"):
        assert METRICS.get(name)(r) == pytest.approx(EMPYRICAL_UNARY[name](r), rel=TOL), name


def test_frames_give_one_value_per_column(returns: pd.DataFrame) -> None:
    table = metrics_table(returns, returns["market"])
    assert list(table.columns) == list(returns.columns)
    assert table.loc["beta", "market"] == pytest.approx(1.0, rel=1e-12)
    sharpe = m.sharpe(returns)
    assert isinstance(sharpe, pd.Series)
    np.testing.assert_allclose(sharpe.to_numpy(), np.asarray(ep.sharpe_ratio(returns)), rtol=TOL)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValidationError, match="needs a benchmark"):
        m.beta(np.zeros(10))
    with pytest.raises(ValidationError, match="benchmark has 3 periods"):
        m.beta(np.zeros(10), np.zeros(3))
    with pytest.raises(ValidationError, match="infinite"):
        m.sharpe(np.array([0.1, np.inf]))
    with pytest.raises(ValidationError, match="cutoff"):
        metrics_table(np.zeros(5), cutoff=1.5)
    assert np.isnan(m.sharpe(np.array([np.nan, np.nan])))
    assert np.isnan(m.sharpe(np.zeros(20)))  # zero dispersion has no Sharpe ratio
