"""The optimiser contract: one problem description, many registered optimisers.

Weights are fractions of portfolio value (1.0 = 100 %), summing to one (net budget) unless an
optimiser says otherwise; ``mu`` and ``cov`` are annualised (arithmetic mean return, covariance
of simple returns). Constraints are data, not code: per-asset bounds, group caps for any number
of group maps (sector, country, ...), a turnover limit against current weights, and a gross
exposure limit for long–short books.
"""

from __future__ import annotations

import abc
import logging
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.core.registry import Registry
from nautilus.risk.covariance import is_psd, nearest_psd

log = logging.getLogger(__name__)
Vector = npt.NDArray[np.float64]


class GroupCap(FrozenConfig):
    """Bounds on the summed weight of the assets mapped to ``group`` in map ``map_name``."""

    map_name: str = Field(description="Which group map (e.g. 'sector').")
    group: str
    lower: float = Field(0.0, ge=-10, le=10)
    upper: float = Field(1.0, ge=-10, le=10)


class Constraints(FrozenConfig):
    """Linear constraints shared by every optimiser."""

    lower: float = Field(0.0, ge=-10, le=10, description="Lower bound on each weight.")
    upper: float = Field(1.0, ge=-10, le=10, description="Upper bound on each weight.")
    asset_bounds: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Per-asset (lower, upper) overriding the global bounds."
    )
    group_caps: tuple[GroupCap, ...] = ()
    max_turnover: float | None = Field(
        None, gt=0, description="Max sum |w - current| (needs current weights)."
    )
    gross_limit: float | None = Field(None, gt=0, description="Max sum |w| (long-short books).")

    @model_validator(mode="after")
    def _bounds_order(self) -> Constraints:
        if self.lower > self.upper:
            raise ValueError(f"lower {self.lower} is above upper {self.upper}")
        for asset, (lo, hi) in self.asset_bounds.items():
            if lo > hi:
                raise ValueError(f"bounds of {asset}: lower {lo} is above upper {hi}")
        return self

    @property
    def long_only(self) -> bool:
        return self.lower >= 0 and all(lo >= 0 for lo, _ in self.asset_bounds.values())


class PortfolioInputs(msgspec.Struct, kw_only=True):
    """Everything an optimiser may use; validated and repaired by :func:`prepare_inputs`."""

    assets: list[str]
    mu: Vector
    cov: Vector
    returns: Vector | None = None  # (periods, assets) simple returns, for CVaR / HRP
    current: Vector | None = None
    benchmark: Vector | None = None
    groups: dict[str, dict[str, str]] = {}  # map name -> asset -> group
    risk_free: float = 0.0
    warnings: list[str] = []


class OptimisationResult(msgspec.Struct, frozen=True, kw_only=True):
    optimiser: str
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float
    solver: str
    warnings: list[str] = []
    diagnostics: dict[str, Any] = {}


def prepare_inputs(
    assets: list[str],
    mu: Any,
    cov: Any,
    *,
    returns: Any = None,
    current: Any = None,
    benchmark: Any = None,
    groups: dict[str, dict[str, str]] | None = None,
    risk_free: float = 0.0,
) -> PortfolioInputs:
    """Validate shapes, names and finiteness; repair a non-PSD covariance with a warning."""
    if len(set(assets)) != len(assets):
        dupes = sorted({a for a in assets if assets.count(a) > 1})
        raise ValidationError(f"duplicate assets: {', '.join(dupes)}", code="duplicate_assets")
    n = len(assets)
    if n == 0:
        raise ValidationError("no assets", code="empty_universe")
    m = np.asarray(mu, dtype=np.float64).reshape(-1)
    c = np.asarray(cov, dtype=np.float64)
    if m.shape != (n,) or c.shape != (n, n):
        raise ValidationError(
            f"mu {m.shape} / cov {c.shape} do not match {n} assets", code="misaligned"
        )
    for name, arr in (("mu", m), ("cov", c)):
        if not np.isfinite(arr).all():
            raise ValidationError(f"{name} contains NaN or infinite values", code="non_finite")
    warnings: list[str] = []
    c = (c + c.T) / 2
    if not is_psd(c):
        c = nearest_psd(c, eps=1e-10)
        warnings.append(
            "covariance was not positive semi-definite; repaired by eigenvalue clipping"
        )
        log.warning("covariance repaired (not PSD) for %d assets", n)

    def vec(x: Any, name: str) -> Vector | None:
        if x is None:
            return None
        v = np.asarray(x, dtype=np.float64).reshape(-1)
        if v.shape != (n,) or not np.isfinite(v).all():
            raise ValidationError(f"{name} must have {n} finite entries", code="misaligned")
        return v

    r = None
    if returns is not None:
        r = np.asarray(returns, dtype=np.float64)
        if r.ndim != 2 or r.shape[1] != n:
            raise ValidationError(f"returns must be (periods, {n})", code="misaligned")
        if not np.isfinite(r).all():
            raise ValidationError("returns contain NaN or infinite values", code="non_finite")
    return PortfolioInputs(
        assets=list(assets),
        mu=m,
        cov=c,
        returns=r,
        current=vec(current, "current weights"),
        benchmark=vec(benchmark, "benchmark weights"),
        groups=groups or {},
        risk_free=risk_free,
        warnings=warnings,
    )


def portfolio_stats(w: Vector, inputs: PortfolioInputs) -> tuple[float, float, float]:
    """(expected return, volatility, Sharpe) of weights ``w`` (annualised)."""
    ret = float(w @ inputs.mu)
    vol = float(np.sqrt(max(w @ inputs.cov @ w, 0.0)))
    return ret, vol, (ret - inputs.risk_free) / vol if vol > 0 else float("nan")


class Optimiser(abc.ABC):
    """Turns :class:`PortfolioInputs` and :class:`Constraints` into weights."""

    name: str
    config_class: type[FrozenConfig] = FrozenConfig

    def __init__(self, config: FrozenConfig | None = None) -> None:
        self.config = config if config is not None else self.config_class()

    @abc.abstractmethod
    def weights(self, inputs: PortfolioInputs, constraints: Constraints) -> tuple[Vector, str]:
        """Return (weights, solver name). Raise ValidationError when infeasible."""

    def optimise(
        self, inputs: PortfolioInputs, constraints: Constraints | None = None
    ) -> OptimisationResult:
        cons = constraints or Constraints()
        w, solver = self.weights(inputs, cons)
        w = np.where(np.abs(w) < 1e-12, 0.0, w)
        ret, vol, sharpe = portfolio_stats(w, inputs)
        return OptimisationResult(
            optimiser=self.name,
            weights=dict(zip(inputs.assets, w.tolist(), strict=True)),
            expected_return=ret,
            volatility=vol,
            sharpe=sharpe,
            solver=solver,
            warnings=list(inputs.warnings),
        )


OPTIMISERS: Registry[type[Optimiser]] = Registry("optimiser")
