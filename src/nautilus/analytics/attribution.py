"""Performance attribution: Brinson–Fachler by segment, multi-period linking, factor regression.

Brinson–Fachler (one period, segments ``i`` such as sectors; weights are fractions summing to
one, returns simple):

- allocation ``A_i = (wp_i − wb_i)(rb_i − Rb)``,
- selection ``S_i = wb_i (rp_i − rb_i)``,
- interaction ``I_i = (wp_i − wb_i)(rp_i − rb_i)``,

with ``Rp = Σ wp_i rp_i`` and ``Rb = Σ wb_i rb_i``; the effects sum to the active return
``Rp − Rb`` exactly.

Multi-period linking makes per-period effects add up to the *compounded* active return
``Π(1 + Rp_t) − Π(1 + Rb_t)``:

- Carino: each period's effects are scaled by ``k_t / k`` with
  ``k_t = [ln(1 + Rp_t) − ln(1 + Rb_t)] / (Rp_t − Rb_t)`` and ``k`` the same over the span;
- Menchero: by ``M + α_t``, with ``M = (Rp − Rb) / (T [(1+Rp)^{1/T} − (1+Rb)^{1/T}])`` and
  ``α_t = [(Rp − Rb) − M Σ a_t] a_t / Σ a_t²`` where ``a_t = Rp_t − Rb_t``.

Returns-based factor attribution regresses the portfolio's returns on factor returns (OLS with
an intercept): exposure ``β_k``, contribution ``β_k · Σ_t f_{k,t}`` over the span (arithmetic),
alpha ``α · T`` and the residual.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.core.errors import ValidationError

Vector = npt.NDArray[np.float64]
EFFECTS = ("allocation", "selection", "interaction")


def _segments_frame(
    wp: Any, wb: Any, rp: Any, rb: Any, segments: Sequence[str] | None
) -> pd.DataFrame:
    cols = {"wp": wp, "wb": wb, "rp": rp, "rb": rb}
    arrs = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in cols.items()}
    n = arrs["wp"].size
    if any(a.size != n for a in arrs.values()):
        raise ValidationError("weights and returns differ in length", code="misaligned")
    names = list(segments) if segments is not None else [f"s{i}" for i in range(n)]
    if len(names) != n:
        raise ValidationError("segment names differ in length", code="misaligned")
    dupes = sorted({s for s in names if names.count(s) > 1})
    if dupes:
        raise ValidationError(f"duplicate segments: {', '.join(dupes)}", code="duplicate_assets")
    for k, a in arrs.items():
        if not np.isfinite(a).all():
            raise ValidationError(f"{k} contains NaN or infinite values", code="non_finite")
    for k in ("wp", "wb"):
        total = float(arrs[k].sum())
        if abs(total - 1.0) > 1e-6:
            side = "portfolio" if k == "wp" else "benchmark"
            raise ValidationError(
                f"{side} weights sum to {total:.10g}, not 1",
                code="weights_not_normalised",
                weight_sum=total,
            )
    return pd.DataFrame(arrs, index=pd.Index(names, name="segment"))


def brinson_fachler(
    wp: Any, wb: Any, rp: Any, rb: Any, segments: Sequence[str] | None = None
) -> pd.DataFrame:
    """One period's effects per segment plus a ``total`` row (columns: allocation, selection,
    interaction, total)."""
    f = _segments_frame(wp, wb, rp, rb, segments)
    bench_total = float((f.wb * f.rb).sum())
    out = pd.DataFrame(index=f.index)
    out["allocation"] = (f.wp - f.wb) * (f.rb - bench_total)
    out["selection"] = f.wb * (f.rp - f.rb)
    out["interaction"] = (f.wp - f.wb) * (f.rp - f.rb)
    out["total"] = out[list(EFFECTS)].sum(axis=1)
    out.loc["total"] = out.sum(axis=0)
    return out


def _log_ratio(rp: float, rb: float) -> float:
    """``[ln(1+rp) − ln(1+rb)] / (rp − rb)``, with its limit ``1/(1+rp)`` when they are equal."""
    if abs(rp - rb) < 1e-15:
        return 1.0 / (1.0 + rp)
    return (math.log1p(rp) - math.log1p(rb)) / (rp - rb)


def carino_factors(rp: Vector, rb: Vector) -> Vector:
    """Per-period scale ``k_t / k`` of Carino's logarithmic linking."""
    cum_p, cum_b = float(np.prod(1 + rp) - 1), float(np.prod(1 + rb) - 1)
    k = _log_ratio(cum_p, cum_b)
    return np.array([_log_ratio(p, b) for p, b in zip(rp, rb, strict=True)]) / k


def menchero_factors(rp: Vector, rb: Vector) -> Vector:
    """Per-period scale ``M + α_t`` of Menchero's optimised linking."""
    t = rp.size
    cum_p, cum_b = float(np.prod(1 + rp) - 1), float(np.prod(1 + rb) - 1)
    a = rp - rb
    gp, gb = (1 + cum_p) ** (1 / t), (1 + cum_b) ** (1 / t)
    m = (cum_p - cum_b) / (t * (gp - gb)) if abs(gp - gb) > 1e-15 else (1 + cum_p) ** ((t - 1) / t)
    ss = float(a @ a)
    alpha = ((cum_p - cum_b) - m * a.sum()) * a / ss if ss > 0 else np.zeros(t)
    out: Vector = m + alpha
    return out


def linked_attribution(
    periods: Sequence[Mapping[str, Any]],
    *,
    method: str = "carino",
    segments: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Link Brinson–Fachler effects over periods.

    Each period is a mapping with ``wp, wb, rp, rb`` (per segment). Returns the linked effects
    per segment (DataFrame), the per-period totals, the linking factors and the compounded
    portfolio, benchmark and active returns; the linked effects sum to the active return.
    """
    if not periods:
        raise ValidationError("no periods to link", code="empty")
    tables = [brinson_fachler(p["wp"], p["wb"], p["rp"], p["rb"], segments) for p in periods]
    rp = np.array([float(np.dot(p["wp"], p["rp"])) for p in periods])
    rb = np.array([float(np.dot(p["wb"], p["rb"])) for p in periods])
    if method == "carino":
        factors = carino_factors(rp, rb)
    elif method == "menchero":
        factors = menchero_factors(rp, rb)
    else:
        raise ValidationError("method is 'carino' or 'menchero'", code="bad_method")
    linked = sum(t.drop(index="total") * f for t, f in zip(tables, factors, strict=True))
    assert isinstance(linked, pd.DataFrame)
    linked.loc["total"] = linked.sum(axis=0)
    cum_p, cum_b = float(np.prod(1 + rp) - 1), float(np.prod(1 + rb) - 1)
    return {
        "effects": linked,
        "factors": factors,
        "period_effects": pd.DataFrame([t.loc["total"] for t in tables]).reset_index(drop=True),
        "portfolio_return": cum_p,
        "benchmark_return": cum_b,
        "active_return": cum_p - cum_b,
    }


def factor_attribution(returns: Any, factors: pd.DataFrame | Mapping[str, Any]) -> dict[str, Any]:
    """OLS of portfolio returns on factor returns (with intercept), and the split of the total
    arithmetic return ``Σ r_t`` into factor contributions, alpha and residual (which sum to it).
    """
    y = np.asarray(returns, dtype=np.float64).reshape(-1)
    if isinstance(factors, Mapping):
        bad = sorted(str(k) for k, v in factors.items() if len(v) != y.size)
        if bad:
            raise ValidationError(
                f"factor series not as long as returns: {', '.join(bad)}", code="misaligned"
            )
    fx = pd.DataFrame(factors)
    if len(fx) != y.size:
        raise ValidationError(
            f"factors have {len(fx)} periods, returns {y.size}", code="misaligned"
        )
    x = fx.to_numpy(dtype=np.float64)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValidationError(
            "returns or factors contain NaN or infinite values", code="non_finite"
        )
    if y.size <= x.shape[1] + 1:
        raise ValidationError("more periods than factors are needed", code="too_short")
    design = np.column_stack([np.ones(y.size), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coef
    resid = y - fitted
    ss_tot = float(((y - y.mean()) ** 2).sum())
    names = [str(c) for c in fx.columns]
    betas = dict(zip(names, coef[1:].tolist(), strict=True))
    contrib = {n: float(coef[i + 1] * x[:, i].sum()) for i, n in enumerate(names)}
    dof = y.size - design.shape[1]
    sigma2 = float(resid @ resid) / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(design.T @ design)))
    return {
        "alpha": float(coef[0]),
        "betas": betas,
        "t_stats": dict(zip(["alpha", *names], (coef / se).tolist(), strict=True)),
        "r_squared": 1 - float(resid @ resid) / ss_tot if ss_tot > 0 else float("nan"),
        "contributions": contrib,
        "alpha_contribution": float(coef[0] * y.size),
        "residual": float(resid.sum()),
        "total_return": float(y.sum()),
    }
