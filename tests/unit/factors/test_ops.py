"""Time-series and cross-sectional kernels against pandas/scipy references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nautilus.core.errors import ValidationError
from nautilus.factors import ops, xsection


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    rng = np.random.default_rng(11)
    a = np.cumsum(rng.normal(0, 1, (120, 6)), axis=0) + 50.0
    a[10, 0] = np.nan
    a[40:43, 2] = np.nan
    a[:5, 5] = np.nan
    return a


@pytest.fixture(scope="module")
def y(x: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(12)
    b = 0.5 * x + rng.normal(0, 1, x.shape)
    b[20, 1] = np.nan
    return b


def close(a: np.ndarray, b: pd.DataFrame | np.ndarray) -> None:
    np.testing.assert_allclose(a, np.asarray(b, dtype=float), rtol=1e-9, atol=1e-10,
                               equal_nan=True)


@pytest.mark.parametrize(("window", "min_periods"), [(1, None), (5, None), (20, None), (5, 3),
                                                     (20, 3)])
def test_moments_match_pandas_rolling(x: np.ndarray, window: int, min_periods: int | None) -> None:
    roll = pd.DataFrame(x).rolling(window, min_periods=min_periods)
    close(ops.ts_sum(x, window, min_periods), roll.sum())
    close(ops.ts_mean(x, window, min_periods), roll.mean())
    close(ops.ts_max(x, window, min_periods), roll.max())
    close(ops.ts_min(x, window, min_periods), roll.min())
    if window > 1:
        close(ops.ts_std(x, window, min_periods), roll.std())
        close(ops.ts_var(x, window, min_periods), roll.var())


def test_default_min_periods_is_the_window(x: np.ndarray) -> None:
    out = ops.ts_mean(x, 5)
    assert np.isnan(out[:4]).all()
    # the NaN at row 10 of column 0 blanks rows 10..14, then values return
    assert np.isnan(out[10:15, 0]).all() and not np.isnan(out[15, 0])


def test_window_longer_than_data_is_all_nan(x: np.ndarray) -> None:
    for fn in (ops.ts_mean, ops.ts_std, ops.ts_max, ops.ts_rank, ops.decay_linear,
               ops.ts_slope):
        assert np.isnan(fn(x, 500)).all()
    assert np.isnan(ops.ts_corr(x, x, 500)).all()


def test_rank_argmax_quantile_match_pandas(x: np.ndarray) -> None:
    df = pd.DataFrame(x)
    close(ops.ts_rank(x, 10), df.rolling(10).rank(pct=True))
    close(ops.ts_argmax(x, 10), df.rolling(10).apply(lambda w: np.argmax(w) + 1, raw=True))
    close(ops.ts_argmin(x, 10), df.rolling(10).apply(lambda w: np.argmin(w) + 1, raw=True))
    for q in (0.0, 0.2, 0.5, 0.8, 1.0):
        close(ops.ts_quantile(x, 10, q), df.rolling(10).quantile(q))


def test_ts_rank_is_scipy_percentileofscore() -> None:
    w = np.array([3.0, 1.0, 3.0, 2.0, 3.0])
    got = ops.ts_rank(w[:, None], 5)[-1, 0]
    assert got == pytest.approx(stats.percentileofscore(w, w[-1], kind="rank") / 100.0)


def test_corr_cov_match_pandas(x: np.ndarray, y: np.ndarray) -> None:
    dx, dy = pd.DataFrame(x), pd.DataFrame(y)
    close(ops.ts_corr(x, y, 15), dx.rolling(15).corr(dy))
    close(ops.ts_cov(x, y, 15), dx.rolling(15).cov(dy))


def test_corr_of_constant_window_is_nan() -> None:
    a = np.ones((10, 1))
    b = np.arange(10.0)[:, None]
    assert np.isnan(ops.ts_corr(a, b, 5)).all()


def test_trend_slope_rsquare_residual(x: np.ndarray) -> None:
    d = 12
    col = x[:, 1]
    for t in (d - 1, 50, 119):
        w = col[t - d + 1 : t + 1]
        pos = np.arange(1, d + 1)
        fit = stats.linregress(pos, w)
        assert ops.ts_slope(x, d)[t, 1] == pytest.approx(fit.slope, rel=1e-9)
        assert ops.ts_rsquare(x, d)[t, 1] == pytest.approx(fit.rvalue**2, rel=1e-9)
        resid = w[-1] - (fit.intercept + fit.slope * d)
        assert ops.ts_resi(x, d)[t, 1] == pytest.approx(resid, rel=1e-7, abs=1e-9)


def test_decay_linear_and_zscore(x: np.ndarray) -> None:
    d = 6
    weights = np.arange(1, d + 1, dtype=float)
    ref = pd.DataFrame(x).rolling(d).apply(lambda w: np.dot(w, weights) / weights.sum(), raw=True)
    close(ops.decay_linear(x, d), ref)
    roll = pd.DataFrame(x).rolling(d)
    close(ops.ts_zscore(x, d), (pd.DataFrame(x) - roll.mean()) / roll.std())


def test_delay_delta(x: np.ndarray) -> None:
    close(ops.delay(x, 3), pd.DataFrame(x).shift(3))
    close(ops.delta(x, 3), pd.DataFrame(x).diff(3))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_window_raises(x: np.ndarray, bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        ops.ts_mean(x, bad)  # type: ignore[arg-type]
    assert err.value.code == "bad_window"


def test_cross_sectional_rank_zscore_demean(x: np.ndarray) -> None:
    df = pd.DataFrame(x)
    close(xsection.rank(x), df.rank(axis=1, pct=True))
    close(xsection.demean(x), df.sub(df.mean(axis=1), axis=0))
    close(xsection.zscore(x), df.sub(df.mean(axis=1), axis=0).div(df.std(axis=1), axis=0))


def test_winsorize_clips_to_row_quantiles(x: np.ndarray) -> None:
    df = pd.DataFrame(x)
    lo, hi = df.quantile(0.2, axis=1), df.quantile(0.8, axis=1)
    close(xsection.winsorize(x, 0.2), df.clip(lo, hi, axis=0))
    with pytest.raises(ValidationError):
        xsection.winsorize(x, 0.6)


def test_neutralize_by_groups_removes_group_means() -> None:
    rng = np.random.default_rng(5)
    vals = rng.normal(size=(4, 9))
    groups = np.tile(np.array([0, 0, 0, 1, 1, 1, 2, 2, 2], dtype=float), (4, 1))
    vals[2, 4] = np.nan
    out = xsection.neutralize(vals, groups=[groups])
    df = pd.DataFrame(vals)
    ref = df.T.groupby(groups[0]).transform(lambda s: s - s.mean()).T
    close(out, ref)


def test_neutralize_by_regression_matches_statsmodels() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(6)
    f1, f2 = rng.normal(size=(3, 40)), rng.normal(size=(3, 40))
    target = 0.7 * f1 - 0.3 * f2 + rng.normal(scale=0.1, size=(3, 40)) + 2.0
    out = xsection.neutralize(target, regressors=[f1, f2])
    for t in range(3):
        fit = sm.OLS(target[t], sm.add_constant(np.column_stack([f1[t], f2[t]]))).fit()
        np.testing.assert_allclose(out[t], fit.resid, atol=1e-10)
    # residuals are orthogonal to the regressors
    assert abs(np.dot(out[0], f1[0])) < 1e-8


def test_running_sums_stay_accurate_on_long_drifting_series() -> None:
    # prices drifting 10 -> ~2,000 over 3,000 rows with tiny daily moves: the regime where
    # plain running sums lose precision
    rng = np.random.default_rng(8)
    t = np.arange(3000.0)
    a = (10.0 * np.exp(t / 560.0) * (1 + 1e-4 * rng.normal(size=3000)))[:, None]
    b = a * (1 + 1e-3 * rng.normal(size=a.shape))
    da, db = pd.DataFrame(a), pd.DataFrame(b)
    for w in (5, 60):
        np.testing.assert_allclose(ops.ts_std(a, w), da.rolling(w).std(), rtol=1e-6,
                                   equal_nan=True)
        np.testing.assert_allclose(ops.ts_corr(a, b, w), da.rolling(w).corr(db), rtol=1e-6,
                                   atol=1e-9, equal_nan=True)
        np.testing.assert_allclose(ops.ts_mean(a, w), da.rolling(w).mean(), rtol=1e-12,
                                   equal_nan=True)
