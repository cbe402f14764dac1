"""Stress tests: historical and hypothetical factor shocks, and reverse stress tests.

A portfolio is described by its :class:`Exposure` rows (currency values and sensitivities per
position). A :class:`Scenario` is a set of factor shocks:

- ``equity``: relative move of the broad equity market (−0.2 = −20 %), applied through each
  position's ``beta``; ``sectors`` overrides it per sector (a sector shock replaces the market
  shock for positions in that sector, still scaled by beta);
- ``rates_bp``: parallel shift of yields in basis points, through ``duration`` and ``convexity``
  (ΔP/P = −D Δy + ½ C Δy²);
- ``credit_bp``: change of credit spreads in bp through ``spread_duration``;
- ``vol_points``: change of implied volatility in vol points through ``vega`` (currency per
  vol point);
- ``fx``: relative move of each foreign currency against the base (+0.1 = the currency
  strengthens 10 %), applied to the position value in that currency;
- ``commodity``: relative move of commodity prices for ``asset_class == "commodity"``.

P&L is first order in each factor plus the rate convexity term, which is the documented
approximation; options are revalued with delta (through ``beta``/value) and ``vega`` only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np
from scipy import optimize

from nautilus.core.errors import ValidationError


class Exposure(msgspec.Struct, frozen=True, kw_only=True):
    """One position's value (base currency, signed: short < 0) and sensitivities."""

    instrument_id: str
    value: float
    asset_class: str = "equity"
    sector: str | None = None
    beta: float = 1.0
    duration: float = 0.0
    convexity: float = 0.0
    spread_duration: float = 0.0
    vega: float = 0.0
    currency: str = "USD"


class Scenario(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    description: str = ""
    equity: float = 0.0
    sectors: dict[str, float] = {}
    rates_bp: float = 0.0
    credit_bp: float = 0.0
    vol_points: float = 0.0
    fx: dict[str, float] = {}
    commodity: float = 0.0

    def scaled(self, k: float) -> Scenario:
        """The same scenario with every shock multiplied by ``k``."""
        return msgspec.structs.replace(
            self,
            name=f"{self.name} x{k:.3g}",
            equity=self.equity * k,
            sectors={s: v * k for s, v in self.sectors.items()},
            rates_bp=self.rates_bp * k,
            credit_bp=self.credit_bp * k,
            vol_points=self.vol_points * k,
            fx={c: v * k for c, v in self.fx.items()},
            commodity=self.commodity * k,
        )


# Peak-to-trough (or event-day) moves as publicly documented; approximations, stated per field.
HISTORICAL_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="1987_crash",
            description="Black Monday, 19 Oct 1987: S&P 500 -20.5% in one day; Treasury yields "
            "fell about 50 bp over the following days as money fled to bonds; implied "
            "volatility roughly tripled (VXO above 100).",
            equity=-0.205,
            rates_bp=-50.0,
            vol_points=60.0,
        ),
        Scenario(
            name="dotcom_2000_2002",
            description="Mar 2000 - Oct 2002: S&P 500 -49%, NASDAQ -78% (technology hardest "
            "hit), 10y Treasury yield about -300 bp (6.7% -> 3.6%), VIX up to the mid 40s.",
            equity=-0.49,
            sectors={"Technology": -0.78, "Communication Services": -0.70},
            rates_bp=-300.0,
            vol_points=25.0,
        ),
        Scenario(
            name="gfc_2008",
            description="Oct 2007 - Mar 2009: S&P 500 -57%, financials about -80%, 10y yield "
            "about -250 bp, high-yield spreads +1,500 bp, VIX to 80.9 (from ~20), "
            "crude oil -75%, US dollar +20% against majors.",
            equity=-0.57,
            sectors={"Financials": -0.80, "Real Estate": -0.70},
            rates_bp=-250.0,
            credit_bp=1500.0,
            vol_points=60.0,
            commodity=-0.75,
            fx={"EUR": -0.20, "GBP": -0.30, "AUD": -0.35, "JPY": 0.25},
        ),
        Scenario(
            name="covid_2020",
            description="19 Feb - 23 Mar 2020: S&P 500 -33.9%, energy about -60%, 10y yield "
            "about -100 bp (1.56% -> 0.54%), VIX close 82.7 (from ~14), crude oil -65%, "
            "high-yield spreads +600 bp.",
            equity=-0.339,
            sectors={"Energy": -0.60, "Financials": -0.43},
            rates_bp=-100.0,
            credit_bp=600.0,
            vol_points=68.0,
            commodity=-0.65,
        ),
        Scenario(
            name="rates_2022",
            description="Jan - Oct 2022: S&P 500 -25.4%, NASDAQ -35% (technology about -35%), "
            "10y yield +270 bp (1.51% -> 4.24%), US dollar index +19% (EUR -17%, "
            "JPY -23%, GBP -20%).",
            equity=-0.254,
            sectors={"Technology": -0.35, "Communication Services": -0.40},
            rates_bp=270.0,
            vol_points=15.0,
            fx={"EUR": -0.17, "JPY": -0.23, "GBP": -0.20},
        ),
    )
}


class StressResult(msgspec.Struct, frozen=True, kw_only=True):
    """Scenario P&L (base currency, negative = loss) in total, per position and per factor."""

    scenario: str
    pnl: float
    pnl_pct: float
    by_position: dict[str, float]
    by_factor: dict[str, float]


def _factor_pnl(e: Exposure, s: Scenario) -> dict[str, float]:
    out = {
        "equity": 0.0,
        "rates": 0.0,
        "credit": 0.0,
        "volatility": 0.0,
        "fx": 0.0,
        "commodity": 0.0,
    }
    if e.asset_class in ("equity", "etf", "index", "option"):
        move = s.sectors.get(e.sector, s.equity) if e.sector else s.equity
        out["equity"] = e.value * e.beta * move
    if e.asset_class == "commodity":
        out["commodity"] = e.value * s.commodity
    dy = s.rates_bp / 1e4
    out["rates"] = e.value * (-e.duration * dy + 0.5 * e.convexity * dy * dy)
    out["credit"] = -e.value * e.spread_duration * s.credit_bp / 1e4
    out["volatility"] = e.vega * s.vol_points
    out["fx"] = e.value * s.fx.get(e.currency, 0.0)
    return out


def run_stress(exposures: Sequence[Exposure], scenario: Scenario) -> StressResult:
    """Revalue ``exposures`` under ``scenario`` (see module docstring for the P&L model)."""
    if not exposures:
        raise ValidationError("no exposures to stress", code="empty_portfolio")
    by_position: dict[str, float] = {}
    by_factor: dict[str, float] = {}
    for e in exposures:
        if not all(math.isfinite(x) for x in (e.value, e.beta, e.duration, e.vega)):
            raise ValidationError(
                f"exposure {e.instrument_id} has non-finite fields", code="non_finite"
            )
        parts = _factor_pnl(e, scenario)
        by_position[e.instrument_id] = by_position.get(e.instrument_id, 0.0) + sum(parts.values())
        for k, v in parts.items():
            by_factor[k] = by_factor.get(k, 0.0) + v
    total = sum(by_position.values())
    gross = sum(abs(e.value) for e in exposures)
    return StressResult(
        scenario=scenario.name,
        pnl=total,
        pnl_pct=total / gross if gross else 0.0,
        by_position=by_position,
        by_factor=by_factor,
    )


def reverse_stress(
    exposures: Sequence[Exposure],
    direction: Scenario,
    loss_threshold: float,
    *,
    max_scale: float = 20.0,
) -> tuple[float, StressResult]:
    """Smallest multiple ``k`` of ``direction`` whose loss reaches ``loss_threshold`` (> 0).

    Returns ``(k, result at k)``. Raises ValidationError if even ``max_scale`` × the scenario
    does not reach the threshold (the portfolio is not vulnerable in that direction).
    """
    if loss_threshold <= 0:
        raise ValidationError("loss_threshold must be a positive loss", code="out_of_range")

    def excess(k: float) -> float:
        return -run_stress(exposures, direction.scaled(k)).pnl - loss_threshold

    if excess(max_scale) < 0:
        raise ValidationError(
            f"scenario {direction.name!r} x{max_scale} loses less than {loss_threshold:,.0f}",
            code="threshold_not_reached",
        )
    k = optimize.brentq(excess, 0.0, max_scale, xtol=1e-10)
    return float(k), run_stress(exposures, direction.scaled(k))


def most_likely_loss_scenario(
    exposure_vector: Sequence[float], cov: np.ndarray, loss_threshold: float
) -> np.ndarray:
    """The factor move of smallest Mahalanobis size that loses ``loss_threshold``.

    For linear P&L ``eᵀs``: minimise ``sᵀΣ⁻¹s`` subject to ``eᵀs = −L`` gives
    ``s* = −L Σe / (eᵀΣe)`` (the classic reverse stress test closed form).
    """
    e = np.asarray(exposure_vector, dtype=np.float64)
    c = np.asarray(cov, dtype=np.float64)
    if c.shape != (e.size, e.size):
        raise ValidationError("covariance does not match the exposures", code="misaligned")
    denom = float(e @ c @ e)
    if denom <= 0:
        raise ValidationError("portfolio has no variance under this covariance", code="degenerate")
    return -loss_threshold * (c @ e) / denom
