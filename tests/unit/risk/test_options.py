"""QuantLib option greeks against closed-form Black–Scholes (European) and an independent
fine CRR binomial tree (American); the option-book Monte Carlo against the closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from nautilus.core.errors import ValidationError
from nautilus.risk.options import (
    OptionSpec,
    black_scholes,
    delta_exposure,
    option_book_mc,
    option_greeks,
)


def bs_greeks(s: float, k: float, t: float, v: float, r: float, q: float,
              kind: str) -> dict[str, float]:
    d1 = (math.log(s / k) + (r - q + 0.5 * v * v) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    n = norm.pdf(d1)
    if kind == "call":
        price = s * math.exp(-q * t) * norm.cdf(d1) - k * math.exp(-r * t) * norm.cdf(d2)
        delta = math.exp(-q * t) * norm.cdf(d1)
        theta = (-s * math.exp(-q * t) * n * v / (2 * math.sqrt(t))
                 - r * k * math.exp(-r * t) * norm.cdf(d2) + q * s * math.exp(-q * t)
                 * norm.cdf(d1))
        rho = k * t * math.exp(-r * t) * norm.cdf(d2)
    else:
        price = k * math.exp(-r * t) * norm.cdf(-d2) - s * math.exp(-q * t) * norm.cdf(-d1)
        delta = -math.exp(-q * t) * norm.cdf(-d1)
        theta = (-s * math.exp(-q * t) * n * v / (2 * math.sqrt(t))
                 + r * k * math.exp(-r * t) * norm.cdf(-d2) - q * s * math.exp(-q * t)
                 * norm.cdf(-d1))
        rho = -k * t * math.exp(-r * t) * norm.cdf(-d2)
    gamma = math.exp(-q * t) * n / (s * v * math.sqrt(t))
    vega = s * math.exp(-q * t) * n * math.sqrt(t)
    return {"price": price, "delta": delta, "gamma": gamma, "vega": vega, "theta": theta,
            "rho": rho}


def crr_american(s: float, k: float, t: float, v: float, r: float, q: float, kind: str,
                 steps: int = 4000) -> float:
    dt = t / steps
    u = math.exp(v * math.sqrt(dt))
    d = 1 / u
    p = (math.exp((r - q) * dt) - d) / (u - d)
    disc = math.exp(-r * dt)
    j = np.arange(steps + 1)
    prices = s * u ** (steps - j) * d ** j
    sign = 1.0 if kind == "call" else -1.0
    values = np.maximum(sign * (prices - k), 0.0)
    for n in range(steps - 1, -1, -1):
        prices = prices[: n + 1] * d
        values = np.maximum(disc * (p * values[:-1] + (1 - p) * values[1:]),
                            sign * (prices - k))
    return float(values[0])


CASES = [(100, 100, 365, 0.2, 0.05, 0.0, "call"), (100, 110, 90, 0.35, 0.03, 0.01, "put"),
         (50, 45, 200, 0.25, 0.0, 0.02, "call"), (120, 100, 30, 0.5, 0.04, 0.0, "put")]


@pytest.mark.parametrize("case", CASES)
def test_european_greeks_match_closed_form(case: tuple) -> None:  # type: ignore[type-arg]
    s, k, days, v, r, q, kind = case
    g = option_greeks(s, k, days, v, kind=kind, rate=r, dividend=q)
    ref = bs_greeks(s, k, days / 365, v, r, q, kind)
    for name, value in ref.items():
        assert getattr(g, name) == pytest.approx(value, rel=1e-6, abs=1e-8), name
    assert float(black_scholes(s, k, days / 365, v, kind=kind, rate=r, dividend=q)) == (
        pytest.approx(ref["price"], rel=1e-10))


@pytest.mark.parametrize("method", ["fd", "binomial"])
@pytest.mark.parametrize("case", CASES[:3])
def test_american_price_matches_fine_binomial_tree(case: tuple, method: str) -> None:  # type: ignore[type-arg]
    s, k, days, v, r, q, kind = case
    kind = "put"  # early exercise matters for puts
    g = option_greeks(s, k, days, v, kind=kind, style="american", rate=r, dividend=q,
                      method=method)  # type: ignore[arg-type]
    ref = crr_american(s, k, days / 365, v, r, q, kind)
    assert g.price == pytest.approx(ref, abs=3e-3)
    euro = bs_greeks(s, k, days / 365, v, r, q, kind)
    assert g.price >= euro["price"] - 1e-9
    bump = 0.01
    up = crr_american(s + bump, k, days / 365, v, r, q, kind, 2000)
    down = crr_american(s - bump, k, days / 365, v, r, q, kind, 2000)
    assert g.delta == pytest.approx((up - down) / (2 * bump), abs=5e-3)
    assert g.vega > 0 and g.gamma > 0


def test_delta_exposure_and_input_checks() -> None:
    spec = OptionSpec("C", "U", "call", 100, 365, 0.2, quantity=2, rate=0.05)
    ref = bs_greeks(100, 100, 1.0, 0.2, 0.05, 0.0, "call")["delta"] * 100 * 2 * 100
    assert delta_exposure(spec, 100.0) == pytest.approx(ref, rel=1e-9)
    with pytest.raises(ValidationError):
        option_greeks(float("nan"), 100, 30, 0.2)
    with pytest.raises(ValidationError):
        option_greeks(100, 100, 0, 0.2)


def test_option_book_mc_revalues_in_full() -> None:
    spec = OptionSpec("C", "U", "call", 100, 30, 0.25, quantity=10)
    var_day = 0.02 ** 2
    res = option_book_mc([spec], {"U": 100.0}, [[var_day]], ["U"], scenarios=50_000, seed=3,
                         horizon_days=1)
    # exact quantile: the long call is monotone in spot, so its 1 % loss is at the 1 % spot
    s1 = 100 * math.exp(norm.ppf(0.01) * 0.02 - 0.5 * var_day)
    exact = (float(black_scholes(100, 100, 30 / 365, 0.25))
             - float(black_scholes(s1, 100, 29 / 365, 0.25))) * 1000
    assert res.var == pytest.approx(exact, rel=0.03)
    assert res.es > res.var > 0
    amer = OptionSpec("P", "U", "put", 100, 60, 0.3, style="american", quantity=-5)
    both = option_book_mc([spec, amer], {"U": 100.0}, [[var_day]], ["U"], vol_of_vol=0.5,
                          scenarios=5_000, seed=1)
    assert set(both.by_option_es) == {"C", "P"}
    assert sum(both.by_option_es.values()) == pytest.approx(both.es, rel=1e-9)
