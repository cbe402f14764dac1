from __future__ import annotations

import numpy as np
import pytest

from nautilus.core.errors import ValidationError
from nautilus.risk.stress import (
    HISTORICAL_SCENARIOS,
    Exposure,
    Scenario,
    most_likely_loss_scenario,
    reverse_stress,
    run_stress,
)

BOOK = [
    Exposure(instrument_id="AAPL.XNAS", value=1_000_000, sector="Technology", beta=1.2),
    Exposure(instrument_id="JPM.XNYS", value=500_000, sector="Financials", beta=1.1),
    Exposure(
        instrument_id="TLT.XNAS",
        value=800_000,
        asset_class="bond",
        beta=0.0,
        duration=17.0,
        convexity=350.0,
    ),
    Exposure(
        instrument_id="SAP.XETR", value=300_000, sector="Technology", beta=0.9, currency="EUR"
    ),
    Exposure(
        instrument_id="SPX_P.OPRA", value=-20_000, asset_class="option", beta=-3.0, vega=4_000
    ),
]


def test_every_documented_scenario_is_there_and_runs() -> None:
    assert {"1987_crash", "dotcom_2000_2002", "gfc_2008", "covid_2020", "rates_2022"} <= set(
        HISTORICAL_SCENARIOS
    )
    for sc in HISTORICAL_SCENARIOS.values():
        res = run_stress(BOOK, sc)
        assert res.pnl == pytest.approx(sum(res.by_position.values()))
        assert res.pnl == pytest.approx(sum(res.by_factor.values()))
        assert sc.description


def test_gfc_pnl_by_hand() -> None:
    sc = HISTORICAL_SCENARIOS["gfc_2008"]
    res = run_stress(BOOK, sc)
    dy = -0.025
    expected = {
        "AAPL.XNAS": 1_000_000 * 1.2 * -0.57,  # no Technology override in 2008: market move
        "JPM.XNYS": 500_000 * 1.1 * -0.80,
        "TLT.XNAS": 800_000 * (-17.0 * dy + 0.5 * 350.0 * dy * dy),
        "SAP.XETR": 300_000 * 0.9 * -0.57 + 300_000 * -0.20,
        "SPX_P.OPRA": -20_000 * -3.0 * -0.57 + 4_000 * 60.0,
    }
    for k, v in expected.items():
        assert res.by_position[k] == pytest.approx(v), k
    assert res.by_factor["fx"] == pytest.approx(-60_000)


def test_rates_shock_hurts_bonds_and_convexity_helps() -> None:
    up = run_stress(BOOK[2:3], Scenario(name="up", rates_bp=100))
    down = run_stress(BOOK[2:3], Scenario(name="down", rates_bp=-100))
    assert up.pnl < 0 < down.pnl
    assert down.pnl + up.pnl == pytest.approx(800_000 * 350.0 * 0.01**2)  # convexity term


def test_reverse_stress_finds_the_threshold_scale() -> None:
    k, res = reverse_stress(BOOK, Scenario(name="equity down", equity=-0.01), 250_000)
    assert res.pnl == pytest.approx(-250_000, rel=1e-8)
    direct = run_stress(BOOK, Scenario(name="x", equity=-0.01 * k))
    assert direct.pnl == pytest.approx(-250_000, rel=1e-8)
    with pytest.raises(ValidationError, match="loses less"):
        reverse_stress(BOOK[2:3], Scenario(name="eq", equity=-0.1), 1e6)


def test_most_likely_scenario_closed_form() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(4, 4))
    cov = a @ a.T + np.eye(4)
    e = np.array([1.0, -2.0, 0.5, 3.0])
    s = most_likely_loss_scenario(e, cov, 10.0)
    assert e @ s == pytest.approx(-10.0)
    # any other move with the same loss is less likely (larger Mahalanobis norm)
    inv = np.linalg.inv(cov)
    for _ in range(20):
        d = rng.normal(size=4)
        d -= (e @ d) / (e @ e) * e  # keep the loss unchanged
        assert (s + d) @ inv @ (s + d) >= s @ inv @ s - 1e-9


def test_bad_input() -> None:
    with pytest.raises(ValidationError):
        run_stress([], HISTORICAL_SCENARIOS["covid_2020"])
    with pytest.raises(ValidationError):
        run_stress([Exposure(instrument_id="X.Y", value=float("nan"))], Scenario(name="s"))
