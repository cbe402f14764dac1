"""TWR / IRR against hand computations and closed forms; Brinson–Fachler and linking by hand;
factor attribution against statsmodels OLS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from empyrical import alpha_beta, annual_volatility

from nautilus.analytics.attribution import (
    brinson_fachler,
    carino_factors,
    factor_attribution,
    linked_attribution,
    menchero_factors,
)
from nautilus.analytics.returns import (
    daily_returns,
    irr,
    money_weighted_return,
    relative_performance,
    time_weighted_return,
)
from nautilus.core.errors import ValidationError


def test_twr_links_daily_returns_across_flows() -> None:
    # day 0: 100; day 1: 110 (+10 %); day 2: deposit 50 at the start, close 168 (168/160 - 1)
    values = [100.0, 110.0, 168.0]
    flows = [0.0, 0.0, 50.0]
    r = daily_returns(values, flows)
    assert r == pytest.approx([0.10, 168 / 160 - 1], abs=1e-15)
    assert time_weighted_return(values, flows) == pytest.approx(1.1 * 1.05 - 1, abs=1e-15)
    # end-of-day flow: (168 - 50) / 110 - 1
    assert daily_returns(values, flows, flow_timing="end")[1] == pytest.approx(118 / 110 - 1)
    # flows do not change the TWR: doubling the portfolio before the deposit day
    assert time_weighted_return([100, 110, 220 * 1.05 - 0]) == pytest.approx(1.1 * 1.05 * 2 - 1)
    with pytest.raises(ValidationError):
        daily_returns([100.0, 0.0, 5.0])


def test_irr_closed_forms() -> None:
    # two flows: (CF1 / -CF0)^(1/t) - 1
    assert irr([-1000.0, 1500.0], [0.0, 2.5]) == pytest.approx(1.5 ** (1 / 2.5) - 1, abs=1e-12)
    # periodic flows: the root of the polynomial sum c_k x^(n-k), x = 1 + r
    flows = [-1000.0, 300.0, 400.0, 500.0]
    roots = np.roots(flows)
    real = roots[np.isreal(roots)].real
    expected = float(real[real > 0][0] - 1)
    assert irr(flows) == pytest.approx(expected, abs=1e-12)
    # level annuity: 5 payments of 100 against 379.0786769... at 10 %
    pv = sum(100 / 1.1**k for k in range(1, 6))
    assert irr([-pv, 100, 100, 100, 100, 100]) == pytest.approx(0.10, abs=1e-12)
    with pytest.raises(ValidationError):
        irr([100.0, 50.0])


def test_money_weighted_return_versus_dated_irr() -> None:
    values = [100.0, 110.0, 168.0, 170.0]
    flows = [0.0, 0.0, 50.0, 0.0]
    mwr = money_weighted_return(values, flows, periods_per_year=252)
    # -100 at t=0, -50 at the close of day 1, +170 at day 3 (years = days / 252)
    f = lambda r: -100 - 50 / (1 + r) ** (1 / 252) + 170 / (1 + r) ** (3 / 252)  # noqa: E731
    assert abs(f(mwr)) < 1e-9
    # with no flows the MWR is the annualised TWR
    v = [100.0, 101.0, 99.5, 102.0]
    assert money_weighted_return(v) == pytest.approx(
        time_weighted_return(v, periods_per_year=252), rel=1e-9
    )


def test_relative_performance_uses_metric_conventions() -> None:
    rng = np.random.default_rng(4)
    b = rng.normal(0.0003, 0.01, 500)
    r = 0.8 * b + rng.normal(0.0002, 0.004, 500)
    rel = relative_performance(r, b)
    a, beta = alpha_beta(r, b)
    assert rel["beta"] == pytest.approx(beta, abs=1e-10)
    assert rel["alpha"] == pytest.approx(a, abs=1e-10)
    assert rel["tracking_error"] == pytest.approx(annual_volatility(r - b), rel=1e-9)
    assert rel["active_return"] == pytest.approx(np.prod(1 + r) - np.prod(1 + b))


SEG = ["Tech", "Energy", "Health"]
P1 = {
    "wp": [0.5, 0.2, 0.3],
    "wb": [0.4, 0.3, 0.3],
    "rp": [0.10, -0.02, 0.03],
    "rb": [0.08, 0.01, 0.02],
}
P2 = {
    "wp": [0.3, 0.4, 0.3],
    "wb": [0.4, 0.3, 0.3],
    "rp": [-0.05, 0.04, 0.01],
    "rb": [-0.03, 0.02, 0.015],
}


def test_brinson_fachler_by_hand() -> None:
    t = brinson_fachler(**P1, segments=SEG)
    rb = 0.4 * 0.08 + 0.3 * 0.01 + 0.3 * 0.02  # 0.041
    rp = 0.5 * 0.10 + 0.2 * -0.02 + 0.3 * 0.03  # 0.055
    assert t.loc["Tech", "allocation"] == pytest.approx(0.1 * (0.08 - rb))
    assert t.loc["Energy", "allocation"] == pytest.approx(-0.1 * (0.01 - rb))
    assert t.loc["Health", "allocation"] == pytest.approx(0.0)
    assert t.loc["Tech", "selection"] == pytest.approx(0.4 * 0.02)
    assert t.loc["Energy", "selection"] == pytest.approx(0.3 * -0.03)
    assert t.loc["Tech", "interaction"] == pytest.approx(0.1 * 0.02)
    assert t.loc["Energy", "interaction"] == pytest.approx(-0.1 * -0.03)
    assert t.loc["total", "total"] == pytest.approx(rp - rb, abs=1e-15)
    with pytest.raises(ValidationError, match=r"portfolio weights sum to 0\.9"):
        brinson_fachler([0.5, 0.2, 0.2], P1["wb"], P1["rp"], P1["rb"], SEG)
    with pytest.raises(ValidationError, match=r"duplicate segments: Tech"):
        brinson_fachler(**P1, segments=["Tech", "Tech", "Health"])


@pytest.mark.parametrize("method", ["carino", "menchero"])
def test_linked_effects_sum_to_compounded_active_return(method: str) -> None:
    res = linked_attribution([P1, P2, P1], method=method, segments=SEG)
    rp = [float(np.dot(p["wp"], p["rp"])) for p in (P1, P2, P1)]
    rb = [float(np.dot(p["wb"], p["rb"])) for p in (P1, P2, P1)]
    active = np.prod(1 + np.array(rp)) - np.prod(1 + np.array(rb))
    assert res["active_return"] == pytest.approx(active, abs=1e-15)
    eff = res["effects"]
    assert eff.loc["total", ["allocation", "selection", "interaction"]].sum() == pytest.approx(
        active, abs=1e-14
    )
    assert eff.drop(index="total")["total"].sum() == pytest.approx(active, abs=1e-14)


def test_linking_factors_by_hand() -> None:
    rp, rb = np.array([0.055, -0.01]), np.array([0.041, 0.002])
    cp, cb = 1.055 * 0.99 - 1, 1.041 * 1.002 - 1
    k = (np.log1p(cp) - np.log1p(cb)) / (cp - cb)
    kt = (np.log1p(rp) - np.log1p(rb)) / (rp - rb)
    assert carino_factors(rp, rb) == pytest.approx(kt / k, rel=1e-14)
    m = (cp - cb) / (2 * ((1 + cp) ** 0.5 - (1 + cb) ** 0.5))
    a = rp - rb
    alpha = ((cp - cb) - m * a.sum()) * a / (a @ a)
    assert menchero_factors(rp, rb) == pytest.approx(m + alpha, rel=1e-14)
    assert float(menchero_factors(rp, rb) @ a) == pytest.approx(cp - cb, abs=1e-15)


def test_factor_attribution_matches_statsmodels() -> None:
    rng = np.random.default_rng(9)
    f = pd.DataFrame(rng.normal(0, 0.01, (400, 3)), columns=["mkt", "smb", "hml"])
    y = 0.0002 + f.to_numpy() @ np.array([1.1, 0.3, -0.2]) + rng.normal(0, 0.003, 400)
    res = factor_attribution(y, f)
    ols = sm.OLS(y, sm.add_constant(f)).fit()
    assert res["alpha"] == pytest.approx(ols.params["const"], abs=1e-12)
    for k in f.columns:
        assert res["betas"][k] == pytest.approx(ols.params[k], abs=1e-12)
        assert res["t_stats"][k] == pytest.approx(ols.tvalues[k], rel=1e-9)
    assert res["r_squared"] == pytest.approx(ols.rsquared, abs=1e-12)
    parts = sum(res["contributions"].values()) + res["alpha_contribution"] + res["residual"]
    assert parts == pytest.approx(res["total_return"], abs=1e-12)
