"""Goal-based investing: Monte Carlo probability that a plan reaches a target amount.

Model: monthly log returns are normal with mean ``(mu − sigma²/2)/12`` and standard deviation
``sigma/√12``, where ``mu`` is the portfolio's expected *arithmetic* annual return and ``sigma``
its annual volatility; a contribution (per year, paid in twelve equal monthly instalments at
each month's end) is added after that month's return. Success means the final wealth is at
least ``target_amount``. Paths are drawn from ``numpy.random.default_rng(seed)``, so the same
seed gives the same answer and bisection over the contribution sees common random numbers
(success is monotone in the contribution).

With no contributions the probability has a closed form,
``Φ((ln(W0/T) + (mu − sigma²/2)·years) / (sigma·√years))``, which the tests check against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np
import numpy.typing as npt
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError


class Goal(FrozenConfig):
    """A target amount at a horizon, the current wealth and the planned contributions."""

    name: str = Field("goal", max_length=128)
    target_amount: float = Field(gt=0, description="Wealth wanted at the horizon.")
    years: float = Field(gt=0, le=100, description="Horizon in years.")
    initial_wealth: float = Field(ge=0)
    annual_contribution: float = Field(0.0, description="Per year, paid monthly; < 0 draws.")


class RiskLevel(FrozenConfig):
    """One point of a glide of allocations: expected annual return and volatility."""

    name: str
    expected_return: float = Field(ge=-1, le=1)
    volatility: float = Field(ge=0, le=2)


class GoalResult(msgspec.Struct, frozen=True, kw_only=True):
    probability: float
    median_wealth: float
    p10_wealth: float
    p90_wealth: float
    paths: int
    seed: int


def _terminal_wealth(
    goal: Goal, mu: float, sigma: float, contribution: float, z: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    months = z.shape[1]
    growth = np.exp((mu - sigma * sigma / 2) / 12 + sigma / math.sqrt(12) * z)
    wealth = np.full(z.shape[0], goal.initial_wealth, dtype=np.float64)
    monthly = contribution / 12
    for m in range(months):
        wealth = wealth * growth[:, m] + monthly
        np.maximum(wealth, 0.0, out=wealth)  # drawdowns stop at ruin
    return wealth


MAX_DRAWS = 6_000_000
"""Paths × months drawn at most in one simulation (about 50 MB of float64)."""


def _shocks(goal: Goal, paths: int, seed: int) -> npt.NDArray[np.float64]:
    months = max(1, round(goal.years * 12))
    if paths * months > MAX_DRAWS:
        raise ValidationError(
            f"{paths} paths over {months} months exceed {MAX_DRAWS} draws; use fewer paths",
            code="too_many_paths",
        )
    return np.random.default_rng(seed).standard_normal((paths, months))


def probability_of_success(
    goal: Goal,
    expected_return: float,
    volatility: float,
    *,
    paths: int = 10_000,
    seed: int = 7,
    contribution: float | None = None,
) -> GoalResult:
    """Monte Carlo probability that final wealth ≥ target (see module conventions)."""
    if paths < 100:
        raise ValidationError("at least 100 paths", code="too_few_paths")
    z = _shocks(goal, paths, seed)
    c = goal.annual_contribution if contribution is None else contribution
    w = _terminal_wealth(goal, expected_return, volatility, c, z)
    p10, p50, p90 = np.percentile(w, [10, 50, 90])
    return GoalResult(
        probability=float(np.mean(w >= goal.target_amount)),
        median_wealth=float(p50),
        p10_wealth=float(p10),
        p90_wealth=float(p90),
        paths=paths,
        seed=seed,
    )


def closed_form_probability(goal: Goal, expected_return: float, volatility: float) -> float:
    """Exact probability for a plan without contributions (lognormal terminal wealth)."""
    from scipy.stats import norm

    years = max(1, round(goal.years * 12)) / 12
    drift = (expected_return - volatility**2 / 2) * years
    if volatility == 0:
        return float(goal.initial_wealth * math.exp(drift) >= goal.target_amount)
    x = (math.log(goal.initial_wealth / goal.target_amount) + drift) / (
        volatility * math.sqrt(years)
    )
    return float(norm.cdf(x))


def required_contribution(
    goal: Goal,
    expected_return: float,
    volatility: float,
    probability: float,
    *,
    paths: int = 10_000,
    seed: int = 7,
    tolerance: float | None = None,
) -> float:
    """Smallest annual contribution (to ``tolerance``) reaching ``probability``, by bisection.

    ``tolerance`` defaults to 0.01 % of ``target_amount / years``.
    """
    tol = tolerance if tolerance is not None else max(1e-4 * goal.target_amount / goal.years, 1e-9)
    if not 0 < probability < 1:
        raise ValidationError("probability must be in (0, 1)", code="out_of_range")
    z = _shocks(goal, paths, seed)

    def p(c: float) -> float:
        w = _terminal_wealth(goal, expected_return, volatility, c, z)
        return float(np.mean(w >= goal.target_amount))

    lo, hi = 0.0, max(goal.target_amount / goal.years, 1.0)
    if p(lo) >= probability:
        return 0.0
    while p(hi) < probability:
        hi *= 2
        if hi > 1e4 * goal.target_amount:
            raise ValidationError("no contribution reaches that probability", code="unreachable")
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if p(mid) >= probability else (mid, hi)
    return hi


def allocation_for_probability(
    goal: Goal,
    glide: Sequence[RiskLevel],
    probability: float,
    *,
    paths: int = 10_000,
    seed: int = 7,
) -> tuple[RiskLevel | None, list[tuple[str, float]]]:
    """The least risky level of ``glide`` (ordered low → high risk) reaching ``probability``.

    Returns the level (None when none does) and the probability at every level.
    """
    if not glide:
        raise ValidationError("the glide has no risk levels", code="empty_glide")
    table: list[tuple[str, float]] = []
    chosen: RiskLevel | None = None
    for level in glide:
        res = probability_of_success(
            goal, level.expected_return, level.volatility, paths=paths, seed=seed
        )
        table.append((level.name, res.probability))
        if chosen is None and res.probability >= probability:
            chosen = level
    return chosen, table
