"""Optimisers checked against PyPortfolioOpt and Riskfolio-Lib on the same inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypfopt import BlackLittermanModel, EfficientFrontier, HRPOpt

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.portfolio.optimisers import (
    OPTIMISERS,
    Constraints,
    GroupCap,
    hrp_weights,
    optimise,
    prepare_inputs,
)
from nautilus.portfolio.optimisers.library import BlackLittermanConfig, black_litterman

TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 500}
N = 40


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(21)
    f = rng.normal(0, 0.01, (1500, 5))
    load = rng.normal(0, 1, (5, N))
    r = f @ load * 0.3 + rng.normal(0.0004, 0.012, (1500, N)) + np.linspace(-2e-4, 6e-4, N)
    rets = pd.DataFrame(r, columns=[f"A{i:02d}" for i in range(N)])
    return rets, rets.mean() * 252, rets.cov() * 252


@pytest.fixture(scope="module")
def inputs(market: tuple) -> object:
    rets, mu, cov = market
    sectors = {
        a: ("Tech" if i < 12 else "Health" if i < 24 else "Energy") for i, a in enumerate(rets)
    }
    return prepare_inputs(
        list(rets.columns),
        mu.values,
        cov.values,
        returns=rets.values,
        current=np.full(N, 1 / N),
        benchmark=np.full(N, 1 / N),
        groups={"sector": sectors},
    )


def _vec(result: object, assets: list[str]) -> np.ndarray:
    return np.array([result.weights[a] for a in assets])  # type: ignore[attr-defined]


def _ef(market: tuple, bounds: tuple[float, float] = (0, 1)) -> EfficientFrontier:
    _, mu, cov = market
    return EfficientFrontier(mu, cov, weight_bounds=bounds, solver="CLARABEL", solver_options=TIGHT)


def test_max_sharpe_and_min_variance_match_pyportfolioopt(market: tuple, inputs: object) -> None:
    assets = list(market[0].columns)
    ours = _vec(optimise("max_sharpe", inputs), assets)
    ref = pd.Series(_ef(market).max_sharpe(risk_free_rate=0.0))[assets].to_numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    ours = _vec(optimise("min_variance", inputs, Constraints(upper=0.1)), assets)
    ref = pd.Series(_ef(market, (0, 0.1)).min_volatility())[assets].to_numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_mean_variance_modes_match_pyportfolioopt(market: tuple, inputs: object) -> None:
    assets = list(market[0].columns)
    ours = _vec(optimise("mean_variance", inputs, target_return=0.12), assets)
    ref = pd.Series(_ef(market).efficient_return(0.12))[assets].to_numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    ours = _vec(optimise("mean_variance", inputs, risk_aversion=3.0), assets)
    ref = pd.Series(_ef(market).max_quadratic_utility(risk_aversion=3.0))[assets].to_numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    res = optimise("mean_variance", inputs, target_risk=0.12)
    ref = pd.Series(_ef(market).efficient_risk(0.12))[assets].to_numpy()
    np.testing.assert_allclose(_vec(res, assets), ref, atol=1e-5)
    assert res.volatility == pytest.approx(0.12, abs=1e-6)


def test_hrp_matches_pyportfolioopt_exactly(market: tuple, inputs: object) -> None:
    rets = market[0]
    ref = pd.Series(HRPOpt(rets).optimize())[list(rets.columns)].to_numpy()
    ours = _vec(optimise("hrp", inputs), list(rets.columns))
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    assert hrp_weights(rets.cov().values).sum() == pytest.approx(1.0)


def test_black_litterman_posterior_matches_pyportfolioopt(market: tuple, inputs: object) -> None:
    _, _mu, cov = market
    cfg = BlackLittermanConfig(
        views=(
            {"weights": {"A01": 1.0}, "expected": 0.10},
            {"weights": {"A05": 1.0, "A30": -1.0}, "expected": 0.02},
        )
    )
    post_mu, post_cov = black_litterman(inputs, cfg)
    pi = 2.5 * cov.values @ np.full(N, 1 / N)
    p = np.zeros((2, N))
    p[0, 1], p[1, 5], p[1, 30] = 1.0, 1.0, -1.0
    bl = BlackLittermanModel(
        cov, pi=pd.Series(pi, index=cov.index), P=p, Q=np.array([0.10, 0.02]), tau=0.05
    )
    np.testing.assert_allclose(post_mu, bl.bl_returns().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(post_cov, bl.bl_cov().to_numpy(), rtol=1e-10)
    res = optimise("black_litterman", inputs, views=[v.model_dump() for v in cfg.views])
    assert res.weights["A01"] > 1 / N  # a bullish view raises the weight


def test_risk_parity_equalises_risk_and_matches_riskfolio(market: tuple, inputs: object) -> None:
    rets, _, cov = market
    w = _vec(optimise("risk_parity", inputs), list(rets.columns))
    rc = w * (cov.values @ w)
    np.testing.assert_allclose(rc / rc.sum(), np.full(N, 1 / N), atol=1e-10)
    import riskfolio as rp

    port = rp.Portfolio(returns=rets)
    port.assets_stats(method_mu="hist", method_cov="hist")
    ref = port.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True)
    np.testing.assert_allclose(w, ref["weights"].to_numpy(), atol=1e-4)


def test_min_cvar_matches_riskfolio_objective(market: tuple, inputs: object) -> None:
    rets = market[0]
    w = _vec(optimise("min_cvar", inputs, beta=0.95), list(rets.columns))

    def cvar(weights: np.ndarray) -> float:
        loss = -(rets.values @ weights)
        var = np.quantile(loss, 0.95)
        return var + np.maximum(loss - var, 0).sum() / (0.05 * len(loss))

    import riskfolio as rp

    port = rp.Portfolio(returns=rets, alpha=0.05)
    port.assets_stats(method_mu="hist", method_cov="hist")
    ref = port.optimization(model="Classic", rm="CVaR", obj="MinRisk", rf=0, hist=True)
    assert cvar(w) == pytest.approx(cvar(ref["weights"].to_numpy()), rel=1e-5)
    assert cvar(w) <= cvar(np.full(N, 1 / N))


def test_constraints_are_honoured(inputs: object) -> None:
    caps = (
        GroupCap(map_name="sector", group="Tech", upper=0.2),
        GroupCap(map_name="sector", group="Energy", lower=0.3, upper=0.5),
    )
    res = optimise("max_sharpe", inputs, Constraints(upper=0.08, group_caps=caps))
    w = np.array(list(res.weights.values()))
    sectors = inputs.groups["sector"]  # type: ignore[attr-defined]
    tech = sum(v for a, v in res.weights.items() if sectors[a] == "Tech")
    energy = sum(v for a, v in res.weights.items() if sectors[a] == "Energy")
    assert w.max() <= 0.08 + 1e-9 and w.min() >= -1e-9 and w.sum() == pytest.approx(1.0)
    assert tech <= 0.2 + 1e-9 and 0.3 - 1e-9 <= energy <= 0.5 + 1e-9
    turn = optimise("max_sharpe", inputs, Constraints(max_turnover=0.3))
    assert np.abs(np.array(list(turn.weights.values())) - 1 / N).sum() <= 0.3 + 1e-6
    ls = optimise("min_variance", inputs, Constraints(lower=-0.3, upper=0.3, gross_limit=1.5))
    wl = np.array(list(ls.weights.values()))
    assert np.abs(wl).sum() <= 1.5 + 1e-6 and wl.sum() == pytest.approx(1.0)
    te = optimise("tracking_error", inputs, max_tracking_error=0.02)
    active = np.array(list(te.weights.values())) - 1 / N
    assert np.sqrt(active @ inputs.cov @ active) == pytest.approx(0.02, rel=1e-5)  # type: ignore[attr-defined]


def test_infeasible_problems_name_the_binding_constraints(inputs: object) -> None:
    with pytest.raises(ValidationError) as exc:
        optimise("min_variance", inputs, Constraints(upper=0.02))
    assert exc.value.code == "infeasible"
    assert exc.value.extra["binding"] == ["upper bound 0.02 on every asset"]
    caps = (
        GroupCap(map_name="sector", group="Tech", lower=0.7),
        GroupCap(map_name="sector", group="Energy", lower=0.4),
    )
    with pytest.raises(ValidationError) as exc:
        optimise("min_variance", inputs, Constraints(group_caps=caps))
    # either cap, or allowing shorts in the third sector, would resolve it
    assert set(exc.value.extra["binding"]) == {
        "sector Tech lower cap",
        "sector Energy lower cap",
        "lower bound 0.0 on every asset",
    }
    with pytest.raises(ValidationError, match="target return"):
        optimise("mean_variance", inputs, target_return=5.0)


def test_bad_inputs(inputs: object) -> None:
    with pytest.raises(ValidationError, match="duplicate assets: A"):
        prepare_inputs(["A", "B", "A"], np.zeros(3), np.eye(3))
    with pytest.raises(ValidationError, match="do not match"):
        prepare_inputs(["A", "B"], np.zeros(3), np.eye(3))
    with pytest.raises(ValidationError, match="NaN"):
        prepare_inputs(["A", "B"], [0.1, np.nan], np.eye(2))
    repaired = prepare_inputs(
        ["A", "B", "C"], np.full(3, 0.1), [[1, 0.9, 0.7], [0.9, 1, -0.9], [0.7, -0.9, 1]]
    )
    assert repaired.warnings and np.linalg.eigvalsh(repaired.cov).min() >= 0
    with pytest.raises(NotFoundError):
        optimise("nope", inputs)
    with pytest.raises(Exception, match="exactly one"):
        optimise("mean_variance", inputs)
    with pytest.raises(ValidationError, match="takes no constraints"):
        optimise("hrp", inputs, Constraints(upper=0.5))
    assert {
        "equal_weight",
        "inverse_volatility",
        "min_variance",
        "max_sharpe",
        "mean_variance",
        "max_diversification",
        "risk_parity",
        "hrp",
        "black_litterman",
        "min_cvar",
        "tracking_error",
    } <= set(OPTIMISERS.names())
