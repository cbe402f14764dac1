"""Portfolio returns: time-weighted (daily, linked across flows), money-weighted (IRR), relative.

Conventions (float64 arrays, one value per day):

- ``values[t]`` is the portfolio value at the *end* of day ``t``; ``flows[t]`` is the external
  flow of day ``t`` (``+`` into the portfolio: deposits, transfers in; ``−`` out).
- ``flow_timing="start"`` (default): the flow arrives before the day's market move, so
  ``r_t = V_t / (V_{t−1} + F_t) − 1``; ``"end"``: after it, ``r_t = (V_t − F_t) / V_{t−1} − 1``.
- The time-weighted return links daily returns geometrically, ``Π(1 + r_t) − 1``; it does not
  depend on the size or timing of flows. Annualised figures use ``periods_per_year`` (252).
- The money-weighted return is the IRR of the investor's cash flows: the initial value and
  flows *into* the portfolio count as investments, the final value as the payout. Times are in
  years; :func:`irr` solves ``Σ c_i / (1 + r)^{t_i} = 0`` with ``scipy.optimize.brentq``.

>>> round(irr([-100.0, 110.0], [0.0, 1.0]), 12)
0.1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from nautilus.analytics.metrics import metrics_table
from nautilus.core.errors import ValidationError

Vector = npt.NDArray[np.float64]


def _vec(x: Any, name: str) -> Vector:
    v = np.asarray(x, dtype=np.float64).reshape(-1)
    if not np.isfinite(v).all():
        raise ValidationError(f"{name} contains NaN or infinite values", code="non_finite")
    return v


def daily_returns(values: Any, flows: Any = None, *, flow_timing: str = "start") -> Vector:
    """Flow-adjusted daily returns; ``len(values) − 1`` of them (day 0 is the starting value)."""
    v = _vec(values, "values")
    if v.size < 2:
        raise ValidationError("at least two values are needed", code="too_short")
    f = np.zeros_like(v) if flows is None else _vec(flows, "flows")
    if f.shape != v.shape:
        raise ValidationError(f"flows have {f.size} entries, values {v.size}", code="misaligned")
    if flow_timing == "start":
        base = v[:-1] + f[1:]
        num = v[1:]
    elif flow_timing == "end":
        base = v[:-1]
        num = v[1:] - f[1:]
    else:
        raise ValidationError("flow_timing is 'start' or 'end'", code="bad_flow_timing")
    if (base <= 0).any():
        raise ValidationError("a day starts with a non-positive value", code="non_positive_base")
    out: Vector = num / base - 1.0
    return out


def time_weighted_return(
    values: Any,
    flows: Any = None,
    *,
    flow_timing: str = "start",
    periods_per_year: float | None = None,
) -> float:
    """Linked daily return over the whole span; annualised when ``periods_per_year`` is given."""
    r = daily_returns(values, flows, flow_timing=flow_timing)
    growth = float(np.prod(1.0 + r))
    if periods_per_year is None:
        return growth - 1.0
    with np.errstate(over="ignore"):
        return float(np.float64(growth) ** (periods_per_year / r.size) - 1.0)


def npv(rate: float, amounts: Sequence[float] | Vector, times: Sequence[float] | Vector) -> float:
    """Net present value of ``amounts`` at ``times`` (years) at annual ``rate``."""
    a = np.asarray(amounts, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    return float(np.sum(a / (1.0 + rate) ** t))


def irr(
    amounts: Sequence[float] | Vector,
    times: Sequence[float] | Vector | None = None,
    *,
    low: float = -0.9999,
) -> float:
    """Annual internal rate of return of dated cash flows (``times`` in years; default 0..n−1).

    Solved with ``brentq`` in the log growth rate ``x = ln(1 + r)`` (well scaled even when a
    short span annualises to a large rate); the root nearest the low end of a scan is taken
    when the flows have several. Raises ValidationError when the flows do not change sign or
    have no root above ``low``.
    """
    a = _vec(amounts, "amounts")
    t = np.arange(a.size, dtype=np.float64) if times is None else _vec(times, "times")
    if a.shape != t.shape:
        raise ValidationError("amounts and times differ in length", code="misaligned")
    if not ((a > 0).any() and (a < 0).any()):
        raise ValidationError("cash flows must change sign for an IRR", code="no_sign_change")
    t = t - t.min()
    span = float(t.max()) or 1.0

    def f(x: float) -> float:
        return float(np.sum(a * np.exp(-x * t)))

    x_lo, x_hi = max(math.log1p(low), -300.0 / span), min(300.0 / span, 700.0)
    grid = np.linspace(x_lo, x_hi, 4001)
    vals = np.sum(a[None, :] * np.exp(-grid[:, None] * t[None, :]), axis=1)
    flips = np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]
    if flips.size == 0:
        raise ValidationError("no IRR in the search interval", code="no_irr")
    k = int(flips[0])
    x = brentq(f, float(grid[k]), float(grid[k + 1]), xtol=1e-15, rtol=1e-15, maxiter=500)
    return float(math.expm1(x))


def money_weighted_return(
    values: Any, flows: Any = None, *, periods_per_year: float = 252.0, flow_timing: str = "start"
) -> float:
    """IRR (annual) of: −V_0 at day 0, −F_t at day t (flows in), +V_T at the last day.

    Flows arriving at the start of day ``t`` are dated ``t − 1`` days (the previous close).
    """
    v = _vec(values, "values")
    f = np.zeros_like(v) if flows is None else _vec(flows, "flows")
    days = np.arange(v.size, dtype=np.float64)
    shift = 1.0 if flow_timing == "start" else 0.0
    amounts = np.concatenate([[-v[0]], -f[1:], [v[-1]]])
    times = np.concatenate([[0.0], days[1:] - shift, [days[-1]]]) / periods_per_year
    keep = amounts != 0
    return irr(amounts[keep], times[keep])


def relative_performance(
    returns: Any, benchmark: Any, *, periods_per_year: float = 252.0
) -> dict[str, float]:
    """Benchmark-relative figures: cumulative and annualised active return, tracking error,
    information ratio, beta, alpha, capture ratios (the metric kernel's conventions)."""
    r, b = _vec(returns, "returns"), _vec(benchmark, "benchmark")
    if r.shape != b.shape:
        raise ValidationError("returns and benchmark differ in length", code="misaligned")
    table = metrics_table(r, b, periods_per_year=periods_per_year).iloc[:, 0]
    cum_p, cum_b = float(np.prod(1 + r) - 1), float(np.prod(1 + b) - 1)
    years = r.size / periods_per_year
    with np.errstate(over="ignore"):
        ann_p = float(np.float64(1 + cum_p) ** (1 / years))
        ann_b = float(np.float64(1 + cum_b) ** (1 / years))
    return {
        "cumulative_return": cum_p,
        "benchmark_cumulative_return": cum_b,
        "active_return": cum_p - cum_b,
        "geometric_excess": (1 + cum_p) / (1 + cum_b) - 1,
        "annualised_active": ann_p - ann_b,
        **{
            k: float(table[k])
            for k in (
                "tracking_error",
                "information_ratio",
                "beta",
                "alpha",
                "up_capture",
                "down_capture",
            )
        },
    }
