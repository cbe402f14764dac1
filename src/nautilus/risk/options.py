"""Equity option prices and greeks through QuantLib, and full-revaluation Monte Carlo of a book.

Conventions: prices per unit of underlying (multiply by the contract multiplier for money);
``vol``, ``rate`` and ``dividend`` are annualised decimals (continuous compounding, Actual/365
Fixed); time to expiry is a whole number of calendar days (``t = days / 365``). Greeks:
``delta`` ∂V/∂S, ``gamma`` ∂²V/∂S², ``vega`` ∂V/∂σ per 1.00 of vol (divide by 100 for a vol
point), ``theta`` ∂V/∂t per year (negative = time decay), ``rho`` ∂V/∂r per 1.00 of rate.

European options use QuantLib's analytic Black–Scholes engine; American options a
Cox–Ross–Rubinstein binomial tree or a Crank–Nicolson finite-difference grid, with vega and rho
by central bumps of the vol and rate quotes (the tree engines do not give them).

The Monte Carlo revalues every option under each simulated (spot, vol) scenario: European
options with the vectorised closed form (exact under Black–Scholes), American options by
bilinear interpolation in a QuantLib price grid over spot × vol built once per option.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import numpy as np
import numpy.typing as npt
import QuantLib as ql
from scipy import special

from nautilus.core.errors import ValidationError

Kind = Literal["call", "put"]
Style = Literal["european", "american"]
Method = Literal["analytic", "binomial", "fd"]
Array = npt.NDArray[np.float64]
_EVAL = ql.Date(2, 1, 2025)
_DC = ql.Actual365Fixed()


class Greeks(msgspec.Struct, frozen=True, kw_only=True):
    """Price and greeks per unit of underlying (see the module docstring for units)."""

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float
    rho: float


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option position: ``quantity`` contracts (signed) of ``multiplier`` units."""

    instrument_id: str
    underlying_id: str
    kind: Kind
    strike: float
    days: int
    vol: float
    style: Style = "european"
    quantity: float = 1.0
    multiplier: float = 100.0
    rate: float = 0.0
    dividend: float = 0.0


def _check(spot: float, strike: float, days: int, vol: float) -> None:
    if not all(math.isfinite(x) for x in (spot, strike, vol)) or spot <= 0 or strike <= 0:
        raise ValidationError("spot and strike must be finite and positive", code="out_of_range")
    if days < 1 or vol <= 0:
        raise ValidationError("days must be >= 1 and vol > 0", code="out_of_range")


class _Market:
    """A QuantLib process on mutable quotes so bumps re-price without rebuilding."""

    def __init__(self, spot: float, vol: float, rate: float, dividend: float) -> None:
        ql.Settings.instance().evaluationDate = _EVAL
        self.spot = ql.SimpleQuote(spot)
        self.vol = ql.SimpleQuote(vol)
        self.rate = ql.SimpleQuote(rate)
        self.div = ql.SimpleQuote(dividend)
        self.process = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(self.spot),
            ql.YieldTermStructureHandle(ql.FlatForward(_EVAL, ql.QuoteHandle(self.div), _DC)),
            ql.YieldTermStructureHandle(ql.FlatForward(_EVAL, ql.QuoteHandle(self.rate), _DC)),
            ql.BlackVolTermStructureHandle(
                ql.BlackConstantVol(_EVAL, ql.NullCalendar(), ql.QuoteHandle(self.vol), _DC)),
        )


def _option(kind: Kind, strike: float, days: int, style: Style) -> ql.VanillaOption:
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, strike)
    expiry = _EVAL + days
    exercise = (ql.EuropeanExercise(expiry) if style == "european"
                else ql.AmericanExercise(_EVAL, expiry))
    return ql.VanillaOption(payoff, exercise)


def _engine(market: _Market, style: Style, method: Method, steps: int) -> Any:
    if style == "european" and method == "analytic":
        return ql.AnalyticEuropeanEngine(market.process)
    if method == "binomial":
        return ql.BinomialVanillaEngine(market.process, "crr", steps)
    if method == "fd":
        return ql.FdBlackScholesVanillaEngine(market.process, steps, steps)
    raise ValidationError(f"method {method!r} does not price {style} options",
                          code="unsupported_method")


def option_greeks(spot: float, strike: float, days: int, vol: float, *, kind: Kind = "call",
                  style: Style = "european", rate: float = 0.0, dividend: float = 0.0,
                  method: Method | None = None, steps: int = 801) -> Greeks:
    """Price and greeks of a vanilla equity option (QuantLib).

    ``method`` defaults to ``analytic`` for European and ``fd`` for American options.

    >>> g = option_greeks(100, 100, 365, 0.2, rate=0.05)
    >>> round(g.price, 4)
    10.4506
    """
    _check(spot, strike, days, vol)
    m: Method = method or ("analytic" if style == "european" else "fd")
    market = _Market(spot, vol, rate, dividend)
    opt = _option(kind, strike, days, style)
    opt.setPricingEngine(_engine(market, style, m, steps))
    price = opt.NPV()
    delta, gamma = opt.delta(), opt.gamma()
    if m == "analytic":
        return Greeks(price=price, delta=delta, gamma=gamma, vega=opt.vega(),
                      theta=opt.theta(), rho=opt.rho())
    theta = opt.theta()
    dv = 1e-4
    market.vol.setValue(vol + dv)
    up = opt.NPV()
    market.vol.setValue(vol - dv)
    down = opt.NPV()
    market.vol.setValue(vol)
    vega = (up - down) / (2 * dv)
    market.rate.setValue(rate + dv)
    up = opt.NPV()
    market.rate.setValue(rate - dv)
    down = opt.NPV()
    market.rate.setValue(rate)
    rho = (up - down) / (2 * dv)
    return Greeks(price=price, delta=delta, gamma=gamma, vega=vega, theta=theta, rho=rho)


def black_scholes(spot: Any, strike: Any, t: Any, vol: Any, *, kind: Kind = "call",
                  rate: float = 0.0, dividend: float = 0.0) -> Array:
    """Vectorised closed-form European price (numpy broadcasting over every argument)."""
    s, k = np.asarray(spot, dtype=np.float64), np.asarray(strike, dtype=np.float64)
    tt, v = np.asarray(t, dtype=np.float64), np.asarray(vol, dtype=np.float64)
    sq = v * np.sqrt(tt)
    d1 = (np.log(s / k) + (rate - dividend + 0.5 * v * v) * tt) / sq
    d2 = d1 - sq
    df_r, df_q = np.exp(-rate * tt), np.exp(-dividend * tt)
    ncdf = special.ndtr
    if kind == "call":
        return np.asarray(s * df_q * ncdf(d1) - k * df_r * ncdf(d2))
    return np.asarray(k * df_r * ncdf(-d2) - s * df_q * ncdf(-d1))


def delta_exposure(spec: OptionSpec, spot: float) -> float:
    """Delta-adjusted exposure of an option position: ``delta * spot * quantity * multiplier``."""
    g = option_greeks(spot, spec.strike, spec.days, spec.vol, kind=spec.kind, style=spec.style,
                      rate=spec.rate, dividend=spec.dividend)
    return g.delta * spot * spec.quantity * spec.multiplier


class BookMcResult(msgspec.Struct, frozen=True, kw_only=True):
    """Full-revaluation VaR/ES of an option book (positive losses, currency)."""

    var: float
    es: float
    confidence: float
    scenarios: int
    base_value: float
    mean_pnl: float
    by_option_es: dict[str, float]


def _price_grid(spec: OptionSpec, spots: Array, vols: Array, days: int) -> Array:
    """QuantLib American prices on the ``spots × vols`` grid (one engine, quotes bumped)."""
    market = _Market(float(spots[0]), float(vols[0]), spec.rate, spec.dividend)
    opt = _option(spec.kind, spec.strike, days, "american")
    opt.setPricingEngine(ql.FdBlackScholesVanillaEngine(market.process, 100, 100))
    grid = np.empty((spots.size, vols.size))
    for j, v in enumerate(vols):
        market.vol.setValue(float(v))
        for i, s in enumerate(spots):
            market.spot.setValue(float(s))
            grid[i, j] = opt.NPV()
    return grid


def _interp(grid: Array, spots: Array, vols: Array, s: Array, v: Array) -> Array:
    si = np.clip(np.searchsorted(spots, s) - 1, 0, spots.size - 2)
    vi = np.clip(np.searchsorted(vols, v) - 1, 0, vols.size - 2)
    ws = np.clip((s - spots[si]) / (spots[si + 1] - spots[si]), 0.0, 1.0)
    wv = np.clip((v - vols[vi]) / (vols[vi + 1] - vols[vi]), 0.0, 1.0)
    return np.asarray((1 - ws) * (1 - wv) * grid[si, vi] + ws * (1 - wv) * grid[si + 1, vi]
                      + (1 - ws) * wv * grid[si, vi + 1] + ws * wv * grid[si + 1, vi + 1])


def option_book_mc(options: list[OptionSpec], spots: dict[str, float], cov: Any,
                   underlyings: list[str], *, vol_of_vol: float = 0.0, horizon_days: int = 1,
                   confidence: float = 0.99, scenarios: int = 20_000, seed: int = 0,
                   grid_points: int = 41) -> BookMcResult:
    """VaR/ES of an option book by full revaluation over ``horizon_days``.

    Underlying log returns over the horizon are normal with covariance ``cov`` (per day, in
    ``underlyings`` order) times ``horizon_days``; each option's implied vol moves
    multiplicatively by ``exp(vol_of_vol * sqrt(h / 365) * z)`` with an independent normal per
    underlying. Time to expiry shrinks by the horizon.
    """
    if not options:
        raise ValidationError("no options to revalue", code="empty_portfolio")
    c = np.asarray(cov, dtype=np.float64)
    n = len(underlyings)
    if c.shape != (n, n):
        raise ValidationError("covariance does not match the underlyings", code="misaligned")
    if scenarios < 100:
        raise ValidationError("scenarios must be >= 100", code="out_of_range")
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(c * horizon_days)
    z = rng.standard_normal((scenarios, n))
    rets = z @ chol.T - 0.5 * np.diag(c) * horizon_days
    zv = rng.standard_normal((scenarios, n))
    vol_shock = np.exp(vol_of_vol * math.sqrt(horizon_days / 365.0) * zv)
    idx = {u: i for i, u in enumerate(underlyings)}
    pnl = np.zeros(scenarios)
    per_option: dict[str, Array] = {}
    base = 0.0
    for spec in options:
        if spec.underlying_id not in idx or spec.underlying_id not in spots:
            raise ValidationError(f"no scenario for {spec.underlying_id}", code="misaligned")
        u = idx[spec.underlying_id]
        s0 = spots[spec.underlying_id]
        s1 = s0 * np.exp(rets[:, u])
        v1 = spec.vol * vol_shock[:, u]
        days1 = max(spec.days - horizon_days, 1)
        size = spec.quantity * spec.multiplier
        if spec.style == "european":
            p0 = float(black_scholes(s0, spec.strike, spec.days / 365, spec.vol, kind=spec.kind,
                                     rate=spec.rate, dividend=spec.dividend))
            p1 = black_scholes(s1, spec.strike, days1 / 365, v1, kind=spec.kind,
                               rate=spec.rate, dividend=spec.dividend)
        else:
            p0 = option_greeks(s0, spec.strike, spec.days, spec.vol, kind=spec.kind,
                               style="american", rate=spec.rate, dividend=spec.dividend).price
            sg = np.linspace(s1.min(), s1.max(), grid_points)
            vg = np.linspace(v1.min(), v1.max() + 1e-9, max(grid_points // 4, 3))
            p1 = _interp(_price_grid(spec, sg, vg, days1), sg, vg, s1, v1)
        leg = (p1 - p0) * size
        per_option[spec.instrument_id] = leg
        pnl += leg
        base += p0 * size
    k = max(math.floor((1 - confidence) * scenarios) - 1, 0)
    order = np.argpartition(pnl, k)
    tail = order[: k + 1]
    var = float(-pnl[order[k]])
    return BookMcResult(var=var, es=float(-pnl[tail].mean()), confidence=confidence,
                        scenarios=scenarios, base_value=base, mean_pnl=float(pnl.mean()),
                        by_option_es={i: float(-leg[tail].mean()) for i, leg in
                                      per_option.items()})
