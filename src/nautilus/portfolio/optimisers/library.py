"""The built-in optimisers, each registered in ``OPTIMISERS`` with its config."""

from __future__ import annotations

from typing import Literal

import cvxpy as cp
import numpy as np
from pydantic import Field, model_validator

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.portfolio.optimisers.base import (
    OPTIMISERS,
    Constraints,
    Optimiser,
    PortfolioInputs,
    Vector,
)
from nautilus.portfolio.optimisers.hrp import hrp_weights
from nautilus.portfolio.optimisers.solve import (
    LinearRows,
    check_feasible,
    cvx_constraints,
    dense_qp,
    linear_rows,
    needs_general_solver,
    solve_cvx,
)


def _no_constraints(name: str, cons: Constraints) -> None:
    if cons != Constraints():
        raise ValidationError(
            f"{name} takes no constraints; use an optimising method", code="unsupported_constraint"
        )


@OPTIMISERS.register("equal_weight")
class EqualWeight(Optimiser):
    """1/N in every asset."""

    name = "equal_weight"

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        _no_constraints(self.name, constraints)
        n = len(inputs.assets)
        return np.full(n, 1.0 / n), "closed_form"


@OPTIMISERS.register("inverse_volatility")
class InverseVolatility(Optimiser):
    """Weights proportional to 1 / volatility."""

    name = "inverse_volatility"

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        _no_constraints(self.name, constraints)
        inv = 1.0 / np.sqrt(np.diag(inputs.cov))
        return inv / inv.sum(), "closed_form"


def _min_quadratic(
    inputs: PortfolioInputs,
    cons: Constraints,
    p: Vector,
    q: Vector,
    extra: LinearRows | None = None,
) -> tuple[Vector, str]:
    """min ½ wᵀPw + qᵀw over every constraint (fast dense QP unless L1 constraints apply)."""
    check_feasible(inputs, cons, extra)
    if not needs_general_solver(cons):
        rows = linear_rows(inputs, cons)
        if extra is not None:
            for r, b, lab in zip(extra.a_ge, extra.b_ge, extra.labels, strict=True):
                rows.ge(r, b, lab)
        return dense_qp(p, q, rows)
    w = cp.Variable(len(inputs.assets))
    c = cvx_constraints(w, inputs, cons)
    if extra is not None:
        _ae, _be, ag, bg = extra.matrices(len(inputs.assets))
        c.append(ag @ w >= bg)
    prob = cp.Problem(cp.Minimize(0.5 * cp.quad_form(w, cp.psd_wrap(p)) + q @ w), c)
    return solve_cvx(prob, lambda: w.value)


@OPTIMISERS.register("min_variance")
class MinVariance(Optimiser):
    """Global minimum variance under the constraints."""

    name = "min_variance"

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        n = len(inputs.assets)
        return _min_quadratic(inputs, constraints, 2.0 * inputs.cov, np.zeros(n))


class MeanVarianceConfig(FrozenConfig):
    """Exactly one of target_return, target_risk or risk_aversion (all annualised)."""

    target_return: float | None = Field(None, description="Minimum expected return.")
    target_risk: float | None = Field(None, gt=0, description="Maximum volatility.")
    risk_aversion: float | None = Field(None, gt=0, description="δ in max μᵀw − ½δ wᵀΣw.")

    @model_validator(mode="after")
    def _one(self) -> MeanVarianceConfig:
        given = [
            x for x in (self.target_return, self.target_risk, self.risk_aversion) if x is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of target_return, target_risk, risk_aversion")
        return self


@OPTIMISERS.register("mean_variance", config=MeanVarianceConfig)
class MeanVariance(Optimiser):
    """Markowitz: min risk for a target return, max return for a target risk, or max utility."""

    name = "mean_variance"
    config_class = MeanVarianceConfig
    config: MeanVarianceConfig

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        cfg = self.config
        n = len(inputs.assets)
        if cfg.risk_aversion is not None:
            return _min_quadratic(inputs, constraints, cfg.risk_aversion * inputs.cov, -inputs.mu)
        if cfg.target_return is not None:
            extra = LinearRows()
            extra.ge(inputs.mu, cfg.target_return, "target return")
            return _min_quadratic(inputs, constraints, 2.0 * inputs.cov, np.zeros(n), extra)
        assert cfg.target_risk is not None
        check_feasible(inputs, constraints)
        w = cp.Variable(n)
        c = cvx_constraints(w, inputs, constraints)
        c.append(cp.quad_form(w, cp.psd_wrap(inputs.cov)) <= cfg.target_risk**2)
        prob = cp.Problem(cp.Maximize(inputs.mu @ w), c)
        return solve_cvx(prob, lambda: w.value)


def _max_ratio(
    inputs: PortfolioInputs, cons: Constraints, excess: Vector, label: str
) -> tuple[Vector, str]:
    """Maximise excessᵀw / sqrt(wᵀΣw) through y = k w (Cornuejols–Tütüncü transformation)."""
    if not cons.long_only:
        raise ValidationError(f"{label} needs long-only bounds", code="unsupported_constraint")
    if excess.max() <= 0:
        raise ValidationError(f"no asset has a positive {label} numerator", code="infeasible")
    check_feasible(inputs, cons)
    n = len(inputs.assets)
    if not needs_general_solver(cons):
        rows = linear_rows(inputs, cons, homogeneous=True)
        rows.eq(excess, 1.0, "scale")
        y, solver = dense_qp(2.0 * inputs.cov, np.zeros(n), rows)
        return y / y.sum(), solver
    y = cp.Variable(n)
    k = cp.Variable(nonneg=True)
    rows = linear_rows(inputs, cons, homogeneous=True)
    _, _, ag, _ = rows.matrices(n)
    c: list[cp.Constraint] = [excess @ y == 1, cp.sum(y) == k, ag @ y >= 0]
    if cons.max_turnover is not None:
        if inputs.current is None:
            raise ValidationError("max_turnover needs current weights", code="missing_current")
        c.append(cp.norm1(y - k * inputs.current) <= cons.max_turnover * k)
    if cons.gross_limit is not None:
        c.append(cp.norm1(y) <= cons.gross_limit * k)
    prob = cp.Problem(cp.Minimize(cp.quad_form(y, cp.psd_wrap(inputs.cov))), c)
    yv, solver = solve_cvx(prob, lambda: y.value)
    return yv / yv.sum(), solver


@OPTIMISERS.register("max_sharpe")
class MaxSharpe(Optimiser):
    """Tangency portfolio: maximum (μ − r_f)ᵀw / σ_w, long-only."""

    name = "max_sharpe"

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        return _max_ratio(inputs, constraints, inputs.mu - inputs.risk_free, "excess return")


@OPTIMISERS.register("max_diversification")
class MaxDiversification(Optimiser):
    """Maximum diversification ratio wᵀσ / σ_w (Choueifaty), long-only."""

    name = "max_diversification"

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        return _max_ratio(inputs, constraints, np.sqrt(np.diag(inputs.cov)), "volatility")


class RiskParityConfig(FrozenConfig):
    budgets: dict[str, float] | None = Field(
        None, description="Risk budget per asset (normalised); equal risk when omitted."
    )


@OPTIMISERS.register("risk_parity", config=RiskParityConfig)
class RiskParity(Optimiser):
    """Equal risk contribution (or given risk budgets): w_i (Σw)_i / wᵀΣw = b_i.

    Solved in the convex form of Spinu (2013): min ½ yᵀΣy − Σ b_i log y_i, w = y / Σy.
    """

    name = "risk_parity"
    config_class = RiskParityConfig
    config: RiskParityConfig

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        _no_constraints(self.name, constraints)
        n = len(inputs.assets)
        b = np.full(n, 1.0 / n)
        if self.config.budgets is not None:
            unknown = set(self.config.budgets) - set(inputs.assets)
            if unknown:
                raise ValidationError(
                    f"budgets for unknown assets: {sorted(unknown)}", code="unknown_asset"
                )
            b = np.array([self.config.budgets.get(a, 0.0) for a in inputs.assets])
            if (b <= 0).any():
                raise ValidationError(
                    "every asset needs a positive risk budget", code="out_of_range"
                )
            b = b / b.sum()
        y = cp.Variable(n)
        prob = cp.Problem(
            cp.Minimize(0.5 * cp.quad_form(y, cp.psd_wrap(inputs.cov)) - b @ cp.log(y))
        )
        yv, solver = solve_cvx(prob, lambda: y.value, solvers=("CLARABEL", "SCS"))
        yv = _newton_polish(inputs.cov, b, np.maximum(yv, 1e-12))
        return yv / yv.sum(), solver


def _newton_polish(cov: Vector, b: Vector, y: Vector, steps: int = 8) -> Vector:
    """Damped Newton steps on ½yᵀΣy − bᵀlog y from the conic solution (stays in y > 0).

    The interior-point answer is accurate to ~1e-4 in risk contributions; a few Newton steps
    on the smooth, strictly convex objective bring it to machine precision.
    """
    for _ in range(steps):
        grad = cov @ y - b / y
        hess = cov + np.diag(b / y**2)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while np.any(y - t * step <= 0):
            t *= 0.5
        y = y - t * step
        if np.abs(grad).max() < 1e-14:
            break
    return y


@OPTIMISERS.register("hrp")
class HierarchicalRiskParity(Optimiser):
    """Hierarchical risk parity on the correlation of the covariance (single linkage)."""

    name = "hrp"

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        _no_constraints(self.name, constraints)
        corr = None
        if inputs.returns is not None:
            corr = np.corrcoef(inputs.returns, rowvar=False)
        return hrp_weights(inputs.cov, corr), "hrp"


class MinCVaRConfig(FrozenConfig):
    beta: float = Field(0.95, gt=0.5, lt=1.0, description="CVaR confidence level.")
    target_return: float | None = Field(None, description="Minimum expected return (annualised).")


@OPTIMISERS.register("min_cvar", config=MinCVaRConfig)
class MinCVaR(Optimiser):
    """Minimum conditional value at risk of the historical scenarios (Rockafellar–Uryasev LP)."""

    name = "min_cvar"
    config_class = MinCVaRConfig
    config: MinCVaRConfig

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        if inputs.returns is None:
            raise ValidationError("min_cvar needs a return history", code="missing_returns")
        check_feasible(inputs, constraints)
        r = inputs.returns
        t, n = r.shape
        w, alpha, u = cp.Variable(n), cp.Variable(), cp.Variable(t, nonneg=True)
        c = cvx_constraints(w, inputs, constraints)
        c.append(u >= -r @ w - alpha)
        if self.config.target_return is not None:
            c.append(inputs.mu @ w >= self.config.target_return)
        obj = cp.Minimize(alpha + cp.sum(u) / ((1.0 - self.config.beta) * t))
        return solve_cvx(cp.Problem(obj, c), lambda: w.value, solvers=("CLARABEL", "HIGHS"))


class TrackingErrorConfig(FrozenConfig):
    max_tracking_error: float = Field(0.05, gt=0, description="Annualised tracking error cap.")


@OPTIMISERS.register("tracking_error", config=TrackingErrorConfig)
class TrackingErrorConstrained(Optimiser):
    """Maximum expected return with (w − b)ᵀΣ(w − b) ≤ TE² against the benchmark weights."""

    name = "tracking_error"
    config_class = TrackingErrorConfig
    config: TrackingErrorConfig

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        if inputs.benchmark is None:
            raise ValidationError(
                "tracking_error needs benchmark weights", code="missing_benchmark"
            )
        check_feasible(inputs, constraints)
        n = len(inputs.assets)
        w = cp.Variable(n)
        c = cvx_constraints(w, inputs, constraints)
        active = w - inputs.benchmark
        c.append(cp.quad_form(active, cp.psd_wrap(inputs.cov)) <= self.config.max_tracking_error**2)
        return solve_cvx(cp.Problem(cp.Maximize(inputs.mu @ w), c), lambda: w.value)


class View(FrozenConfig):
    """A view: ``sum(weights[a] * r_a) = expected`` (absolute: one asset; relative: +1/−1)."""

    weights: dict[str, float]
    expected: float = Field(description="Expected (annualised) return of the view portfolio.")
    confidence: float | None = Field(None, gt=0, le=1, description="Idzorek confidence (0-1].")


class BlackLittermanConfig(FrozenConfig):
    views: tuple[View, ...] = Field(min_length=1)
    tau: float = Field(0.05, gt=0, le=1)
    risk_aversion: float = Field(2.5, gt=0, description="δ for the implied equilibrium returns.")
    objective: Literal["max_sharpe", "min_variance", "utility"] = "max_sharpe"


def black_litterman(inputs: PortfolioInputs, cfg: BlackLittermanConfig) -> tuple[Vector, Vector]:
    """Posterior (mean, covariance): π = δΣw_mkt; Ω = diag(τ P Σ Pᵀ) (He–Litterman)."""
    if inputs.benchmark is None:
        raise ValidationError(
            "black_litterman needs market (benchmark) weights", code="missing_benchmark"
        )
    index = {a: i for i, a in enumerate(inputs.assets)}
    k, n = len(cfg.views), len(inputs.assets)
    p = np.zeros((k, n))
    for i, view in enumerate(cfg.views):
        for asset, coef in view.weights.items():
            if asset not in index:
                raise ValidationError(
                    f"view {i} names unknown asset {asset!r}", code="unknown_asset"
                )
            p[i, index[asset]] = coef
    q = np.array([v.expected for v in cfg.views])
    sigma = inputs.cov
    pi = cfg.risk_aversion * sigma @ inputs.benchmark + inputs.risk_free
    tau_sigma_p = cfg.tau * sigma @ p.T
    omega = np.diag(np.diag(p @ tau_sigma_p))
    a = p @ tau_sigma_p + omega
    post_mu = pi + tau_sigma_p @ np.linalg.solve(a, q - p @ pi)
    post_cov = sigma + cfg.tau * sigma - tau_sigma_p @ np.linalg.solve(a, tau_sigma_p.T)
    return post_mu, (post_cov + post_cov.T) / 2


@OPTIMISERS.register("black_litterman", config=BlackLittermanConfig)
class BlackLitterman(Optimiser):
    """Views → Black–Litterman posterior → the chosen objective on the posterior."""

    name = "black_litterman"
    config_class = BlackLittermanConfig
    config: BlackLittermanConfig

    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        mu, cov = black_litterman(inputs, self.config)
        post = PortfolioInputs(
            assets=inputs.assets,
            mu=mu,
            cov=cov,
            returns=inputs.returns,
            current=inputs.current,
            benchmark=inputs.benchmark,
            groups=inputs.groups,
            risk_free=inputs.risk_free,
        )
        if self.config.objective == "max_sharpe":
            return MaxSharpe().weights(post, constraints)
        if self.config.objective == "min_variance":
            return MinVariance().weights(post, constraints)
        return MeanVariance(MeanVarianceConfig(risk_aversion=self.config.risk_aversion)).weights(
            post, constraints
        )
