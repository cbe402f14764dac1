"""Account-wide exposure rules: gross, net, leverage, and portfolio parametric VaR.

Gross and net are taken after the projected position of the order's instrument (see
``rules.base``). VaR is normal parametric VaR ``z * sqrt(wᵀΣw) * sqrt(h)`` of the projected
exposure vector ``w`` (currency) under the covariance of per-period returns the engine supplies
(:class:`CovarianceModel`), the same formula as :func:`nautilus.risk.var.parametric_var`
with zero mean, with the quantile precomputed so the hot path stays in numpy.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
from scipy import stats

from nautilus.core.errors import ValidationError
from nautilus.execution.pretrade import PreTradeDecision
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, fmt
from nautilus.risk.rules.position import _equity_or_deny


@RISK_RULES.register("max_gross_exposure")
class GrossExposureRule(RiskRule):
    """Σ |market value| after the order must not exceed ``max_gross_exposure``."""

    name = "max_gross_exposure"
    priority = 30

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_gross_exposure
        if lim is None:
            return None
        if ctx.snapshot.missing_mark is not None:
            return ctx.deny("no_reference_price",
                            f"no reference price for held {ctx.snapshot.missing_mark}", self.name)
        gross, _ = ctx.projected_gross_net()
        if gross > lim:
            return ctx.deny("max_gross_exposure", f"gross exposure would reach {fmt(gross)} "
                            f"(limit {fmt(lim)})", self.name)
        return None


@RISK_RULES.register("max_net_exposure")
class NetExposureRule(RiskRule):
    """|Σ market value| after the order must not exceed ``max_net_exposure``."""

    name = "max_net_exposure"
    priority = 31

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_net_exposure
        if lim is None:
            return None
        if ctx.snapshot.missing_mark is not None:
            return ctx.deny("no_reference_price",
                            f"no reference price for held {ctx.snapshot.missing_mark}", self.name)
        _, net = ctx.projected_gross_net()
        if abs(net) > lim:
            return ctx.deny("max_net_exposure", f"net exposure would reach {fmt(net)} "
                            f"(limit {fmt(lim)})", self.name)
        return None


@RISK_RULES.register("max_leverage")
class LeverageRule(RiskRule):
    """Gross exposure after the order / equity must not exceed ``max_leverage``."""

    name = "max_leverage"
    priority = 32

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_leverage
        if lim is None:
            return None
        eq = _equity_or_deny(ctx, self.name)
        if isinstance(eq, PreTradeDecision):
            return eq
        gross, _ = ctx.projected_gross_net()
        if gross > Decimal(repr(lim)) * eq:
            return ctx.deny("max_leverage", f"leverage would reach {float(gross / eq):.3f} "
                            f"(limit {lim:g})", self.name)
        return None


class CovarianceModel:
    """Per-period return covariance of ``instruments`` with VaR confidence and horizon."""

    __slots__ = ("confidence", "cov", "horizon", "index", "instruments", "scale")

    def __init__(self, instruments: list[str], cov: Any, *, confidence: float = 0.99,
                 horizon: int = 1) -> None:
        c = np.asarray(cov, dtype=np.float64)
        n = len(instruments)
        if c.shape != (n, n) or not np.isfinite(c).all():
            raise ValidationError(f"covariance must be a finite ({n}, {n}) matrix",
                                  code="misaligned")
        if not 0.5 < confidence < 1.0 or horizon < 1:
            raise ValidationError("confidence must be in (0.5, 1) and horizon >= 1",
                                  code="out_of_range")
        self.instruments = list(instruments)
        self.index = {iid: i for i, iid in enumerate(instruments)}
        self.cov = c
        self.confidence = confidence
        self.horizon = horizon
        self.scale = float(stats.norm.ppf(confidence)) * math.sqrt(horizon)

    def vector(self, exposure: dict[str, float]) -> np.ndarray | str:
        """Exposure vector in model order, or the first instrument the model does not know."""
        w = np.zeros(len(self.instruments))
        idx = self.index
        for iid, v in exposure.items():
            i = idx.get(iid)
            if i is None:
                if v:
                    return iid
                continue
            w[i] += v
        return w

    def var(self, w: np.ndarray) -> float:
        return self.scale * math.sqrt(max(float(w @ self.cov @ w), 0.0))


@RISK_RULES.register("max_var")
class VarRule(RiskRule):
    """Parametric VaR of the projected exposures must not exceed ``max_var``.

    Fails closed: no covariance model, or an exposure in an instrument the model does not
    cover, denies when a VaR limit applies.
    """

    name = "max_var"
    priority = 40

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.model: CovarianceModel | None = None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_var
        if lim is None:
            return None
        model = self.model
        if model is None:
            return ctx.deny("var_unavailable", "no covariance model for the VaR limit", self.name)
        snap = ctx.snapshot
        if snap.missing_mark is not None:
            return ctx.deny("no_reference_price",
                            f"no reference price for held {snap.missing_mark}", self.name)
        exposure = {i: float(v) for i, v in snap.exposure.items()}
        exposure[ctx.order.instrument_id] = float(ctx.projected_notional())
        w = model.vector(exposure)
        if isinstance(w, str):
            return ctx.deny("var_unknown_instrument",
                            f"{w} is not in the covariance model", self.name)
        var = model.var(w)
        if var > float(lim):
            return ctx.deny("max_var", f"portfolio VaR would reach {var:,.2f} "
                            f"(limit {fmt(lim)})", self.name)
        return None
