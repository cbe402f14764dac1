"""Evaluation numbers against pandas/scipy, and the plots/report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nautilus.factors import evaluation as ev
from nautilus.factors import plots
from nautilus.factors.panel import Panel, synthetic_panel


@pytest.fixture(scope="module")
def data() -> tuple[Panel, np.ndarray, np.ndarray]:
    # 52 instruments: 51 = 52 - 1 is prime to 5, so no rank sits on a quantile edge and
    # pandas.qcut's float edges agree with the exact ones
    p = synthetic_panel(120, 52, seed=21)
    fwd = ev.forward_returns(p["close"], 1)
    rng = np.random.default_rng(4)
    # a factor that knows a noisy forward return: a clearly positive IC
    factor = fwd + rng.normal(0, 0.02, fwd.shape)
    factor[5, :10] = np.nan
    return p, factor, fwd


def test_forward_returns(data: tuple[Panel, np.ndarray, np.ndarray]) -> None:
    p, _, _ = data
    c = pd.DataFrame(p["close"])
    np.testing.assert_allclose(ev.forward_returns(p["close"], 5), c.shift(-5) / c - 1,
                               equal_nan=True)


def test_ic_and_rank_ic_match_scipy(data: tuple[Panel, np.ndarray, np.ndarray]) -> None:
    p, f, fwd = data
    ic = ev.ic_series(f, fwd, p.dates)
    ric = ev.ic_series(f, fwd, p.dates, method="spearman")
    assert isinstance(ic.index, pd.DatetimeIndex) and ic.index.tz is not None
    for t in (0, 5, 60, 118):
        ok = ~(np.isnan(f[t]) | np.isnan(fwd[t]))
        assert ic.iloc[t] == pytest.approx(stats.pearsonr(f[t, ok], fwd[t, ok])[0], rel=1e-9)
        assert ric.iloc[t] == pytest.approx(stats.spearmanr(f[t, ok], fwd[t, ok])[0], rel=1e-9)
    assert np.isnan(ic.iloc[-1])  # no forward return on the last date
    s = ev.ic_summary(ic)
    v = ic.dropna()
    assert s["mean"] == pytest.approx(v.mean())
    assert s["ir"] == pytest.approx(v.mean() / v.std())
    assert s["t_stat"] == pytest.approx(stats.ttest_1samp(v, 0.0).statistic)
    assert s["n"] == len(v) and s["mean"] > 0.3


def test_quantile_returns_match_qcut(data: tuple[Panel, np.ndarray, np.ndarray]) -> None:
    p, f, fwd = data
    q = ev.quantile_returns(f, fwd, p.dates, n_quantiles=5)
    for t in (0, 5, 77):
        row = pd.Series(f[t]).dropna()
        labels = pd.qcut(row.rank(method="first"), 5, labels=False)
        ref = pd.Series(fwd[t][row.index]).groupby(labels.to_numpy()).mean()
        np.testing.assert_allclose(q.iloc[t].to_numpy(), ref.to_numpy(), rtol=1e-12)
    spread = ev.top_minus_bottom(q)
    assert spread.iloc[77] == pytest.approx(q.iloc[77]["q5"] - q.iloc[77]["q1"])
    means = q.mean()
    assert means["q5"] > means["q3"] > means["q1"]


def test_turnover_and_rank_autocorrelation() -> None:
    f = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                  [1.0, 2.0, 3.0, 4.0, 6.0, 5.0],
                  [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]])
    labels = ev.quantile_labels(f, 3)
    np.testing.assert_array_equal(labels[0], [0, 0, 1, 1, 2, 2])
    top = ev.quantile_turnover(labels, 2)
    assert np.isnan(top.iloc[0]) and top.iloc[1] == 0.0 and top.iloc[2] == 1.0
    ac = ev.rank_autocorrelation(f, min_obs=3)
    assert ac.iloc[1] == pytest.approx(stats.spearmanr(f[1], f[0])[0])
    assert ac.iloc[2] == pytest.approx(stats.spearmanr(f[2], f[1])[0])


def test_decay_and_correlation_matrix(data: tuple[Panel, np.ndarray, np.ndarray]) -> None:
    p, f, _ = data
    decay = ev.ic_decay(f, p["close"], horizons=(1, 2, 5))
    assert list(decay.index) == [1, 2, 5]
    assert decay.loc[1, "ic"] > decay.loc[5, "ic"]
    ref = np.nanmean([stats.spearmanr(f[t], ev.forward_returns(p["close"], 2)[t],
                                      nan_policy="omit")[0] for t in range(len(f) - 2)])
    assert decay.loc[2, "rank_ic"] == pytest.approx(ref, rel=1e-9)
    mom = p["close"] / np.vstack([np.full((5, 52), np.nan), p["close"][:-5]])
    corr = ev.factor_correlation({"f": f, "neg": -f, "mom": mom})
    assert corr.loc["f", "neg"] == pytest.approx(-1.0)
    assert corr.loc["f", "f"] == 1.0 and corr.loc["mom", "f"] == corr.loc["f", "mom"]


def test_exposures_are_weighted_zscores(data: tuple[Panel, np.ndarray, np.ndarray]) -> None:
    p, f, _ = data
    w = np.zeros(52)
    w[:5] = 0.2
    w[5:10] = -0.2
    expo = ev.exposures(w, {"f": f, "size": np.log(p["close"] * p["shares"])}, p.dates)
    t = 40
    z = (f[t] - f[t].mean()) / f[t].std(ddof=1)
    assert expo["f"].iloc[t] == pytest.approx(float(w @ z))
    # a dollar-neutral book on a constant factor has no exposure (its z-score is undefined)
    flat = ev.exposures(w, {"flat": np.ones_like(f)})
    assert np.isnan(flat["flat"]).all()


def test_plots_are_png_and_report_embeds_them(data: tuple[Panel, np.ndarray, np.ndarray]) -> None:
    p, f, _ = data
    res = ev.evaluate_factor(f, p["close"], p.dates, decay_horizons=3)
    corr = ev.factor_correlation({"f": f, "g": -f})
    for png in (plots.ic_plot(res["ic"]), plots.quantile_plot(res["quantile_returns"]),
                plots.decay_plot(res["decay"]), plots.correlation_heatmap(corr)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    html = plots.html_report("noisy oracle", res, corr)
    assert html.startswith("<!doctype html>") and html.count("data:image/png;base64,") == 4
    assert f"{res['ic_summary']['mean']:.4g}" in html
