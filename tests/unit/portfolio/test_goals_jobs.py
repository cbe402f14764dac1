"""Goal Monte Carlo against closed forms; bisection and glide; the optimise job."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nautilus.core.errors import ValidationError
from nautilus.persistence.db import Database
from nautilus.portfolio.goals import (
    Goal,
    RiskLevel,
    allocation_for_probability,
    closed_form_probability,
    probability_of_success,
    required_contribution,
)
from nautilus.portfolio.jobs import OptimiseParams, run_optimise
from nautilus.portfolio.optimisers import optimise, prepare_inputs
from nautilus.portfolio.repository import PortfolioRepository


class _Progress:
    def __init__(self) -> None:
        self.updates: list[float] = []

    def update(self, fraction: float, message: str | None = None) -> None:
        self.updates.append(fraction)

    @property
    def cancelled(self) -> bool:
        return False


def test_probability_matches_lognormal_closed_form() -> None:
    goal = Goal(target_amount=1_500_000, years=10, initial_wealth=1_000_000)
    exact = closed_form_probability(goal, 0.06, 0.15)
    mc = probability_of_success(goal, 0.06, 0.15, paths=40_000, seed=3)
    se = math.sqrt(exact * (1 - exact) / 40_000)
    assert abs(mc.probability - exact) < 4 * se
    # median terminal wealth of a lognormal: W0 exp((mu - s^2/2) T)
    assert mc.median_wealth == pytest.approx(1e6 * math.exp((0.06 - 0.15**2 / 2) * 10), rel=0.01)


def test_zero_volatility_is_the_annuity_future_value() -> None:
    goal = Goal(target_amount=1.0, years=5, initial_wealth=10_000, annual_contribution=1200)
    res = probability_of_success(goal, 0.06, 0.0, paths=100)
    g = math.exp(0.06 / 12)
    fv = 10_000 * g**60 + 100 * (g**60 - 1) / (g - 1)
    assert res.median_wealth == pytest.approx(fv, rel=1e-12)
    # bisection finds the contribution that makes the deterministic plan hit the target exactly
    target = 50_000.0
    need = (target - 10_000 * g**60) / ((g**60 - 1) / (g - 1)) * 12
    goal2 = Goal(target_amount=target, years=5, initial_wealth=10_000)
    c = required_contribution(goal2, 0.06, 0.0, 0.5, paths=100, tolerance=0.01)
    assert c == pytest.approx(need, abs=0.02)


def test_contribution_reaches_requested_probability_and_is_seeded() -> None:
    goal = Goal(target_amount=800_000, years=15, initial_wealth=200_000, annual_contribution=0)
    c = required_contribution(goal, 0.05, 0.12, 0.8, paths=4000, seed=11, tolerance=10)
    hit = probability_of_success(goal, 0.05, 0.12, paths=4000, seed=11, contribution=c)
    miss = probability_of_success(goal, 0.05, 0.12, paths=4000, seed=11, contribution=c - 20)
    assert hit.probability >= 0.8 > miss.probability
    again = probability_of_success(goal, 0.05, 0.12, paths=4000, seed=11, contribution=c)
    assert again == hit


def test_glide_picks_least_risky_level_reaching_probability() -> None:
    goal = Goal(target_amount=1_400_000, years=10, initial_wealth=1_000_000)
    glide = [
        RiskLevel(name=n, expected_return=m, volatility=s)
        for n, m, s in (
            ("conservative", 0.03, 0.05),
            ("balanced", 0.05, 0.09),
            ("growth", 0.07, 0.14),
        )
    ]
    chosen, table = allocation_for_probability(goal, glide, 0.55, paths=20_000, seed=5)
    exact = [closed_form_probability(goal, lv.expected_return, lv.volatility) for lv in glide]
    assert [p for _, p in table] == pytest.approx(exact, abs=0.015)
    first = next(lv for lv, p in zip(glide, exact, strict=True) if p >= 0.55)
    assert chosen == first
    with pytest.raises(ValidationError):
        required_contribution(goal, 0.05, 0.1, 1.5)


def test_optimise_job_reads_stored_inputs(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pf.db'}")
    db.migrate()
    rng = np.random.default_rng(1)
    r = rng.normal(0.0004, 0.01, (500, 4))
    payload = {
        "assets": ["A", "B", "C", "D"],
        "mu": (r.mean(0) * 252).tolist(),
        "cov": (np.cov(r.T) * 252).tolist(),
    }
    iid = PortfolioRepository(db).save_inputs("u1", payload)
    progress = _Progress()
    params = OptimiseParams(database_url=db.url, inputs_id=iid, optimiser="min_variance")
    out = run_optimise(params, progress)
    ref = optimise("min_variance", prepare_inputs(payload["assets"], payload["mu"], payload["cov"]))
    assert out["weights"] == pytest.approx(ref.weights, abs=1e-9)
    assert progress.updates[-1] == 1.0
    db.dispose()
