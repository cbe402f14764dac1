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
from nautilus.risk.exposure_cache import ExposureState
from nautilus.risk.limits import Effective
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, dec, fmt
from nautilus.risk.rules.position import _equity_or_deny


@RISK_RULES.register("max_gross_exposure")
class GrossExposureRule(RiskRule):
    """Σ |market value| after the order must not exceed ``max_gross_exposure``."""

    name = "max_gross_exposure"
    priority = 30

    def active(self, limits: Effective) -> bool:
        return limits.max_gross_exposure is not None

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

    def active(self, limits: Effective) -> bool:
        return limits.max_net_exposure is not None

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

    def active(self, limits: Effective) -> bool:
        return limits.max_leverage is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_leverage
        if lim is None:
            return None
        eq = _equity_or_deny(ctx, self.name)
        if isinstance(eq, PreTradeDecision):
            return eq
        gross, _ = ctx.projected_gross_net()
        if gross > dec(lim) * eq:
            return ctx.deny("max_leverage", f"leverage would reach {float(gross / eq):.3f} "
                            f"(limit {lim:g})", self.name)
        return None


class CovarianceModel:
    """Per-period return covariance of ``instruments`` with VaR confidence and horizon."""

    __slots__ = ("confidence", "cov", "diag", "horizon", "index", "instruments", "scale")

    def __init__(self, instruments: list[str], cov: Any, *, confidence: float = 0.99,
                 horizon: int = 1) -> None:
        c = np.array(cov, dtype=np.float64)  # a private read-only copy: the gate caches
        c.setflags(write=False)  # products of it per exposure state
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
        self.diag: list[float] = c.diagonal().tolist()
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

    VAR_MARGIN = 1e-9
    """Relative float safety margin of the incremental VaR pass (see :meth:`check`)."""

    def active(self, limits: Effective) -> bool:
        return limits.max_var is not None

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
        iid = ctx.order.instrument_id
        projected = float(ctx.projected_notional())
        if isinstance(snap, ExposureState) and self._passes(snap, model, iid, projected, lim):
            return None
        exposure = {i: float(v) for i, v in snap.exposure.items()}
        exposure[iid] = projected
        w = model.vector(exposure)
        if isinstance(w, str):
            return ctx.deny("var_unknown_instrument",
                            f"{w} is not in the covariance model", self.name)
        var = model.var(w)
        if var > float(lim):
            return ctx.deny("max_var", f"portfolio VaR would reach {var:,.2f} "
                            f"(limit {fmt(lim)})", self.name)
        return None

    def _passes(self, snap: ExposureState, model: CovarianceModel, iid: str, projected: float,
                lim: Decimal) -> bool:
        """O(1) approval from the state's cached ``w``, ``Σw`` and ``wᵀΣw``.

        Only the order's instrument changes, by ``d = projected - w_k``, so
        ``q' = wᵀΣw + 2 d (Σw)_k + d² Σ_kk``. Float rounding of this and of the exact
        ``w'ᵀΣw'`` is bounded by a few ulps of ``M = |w|ᵀ|Σ||w| + 2|d|(|Σ||w|)_k + d²|Σ_kk|``;
        the order passes here only if ``q'`` is below ``(limit / z√h)²`` by more than
        :attr:`VAR_MARGIN` x ``M`` (plus 1e-12 of the bound). Anything closer, an unknown
        instrument, or a breach takes the exact path, so this never approves what the exact
        computation denies.
        """
        k = model.index.get(iid)
        if k is None:
            return False
        _, w, sw, asw, q, qa, unknown = snap.var_base(model)
        if unknown is not None:
            return False
        d = projected - w[k]
        ckk = model.diag[k]
        q2 = q + 2.0 * d * sw[k] + d * d * ckk
        bound = (float(lim) / model.scale) ** 2
        err = self.VAR_MARGIN * (qa + 2.0 * abs(d) * asw[k] + d * d * abs(ckk)) + 1e-12 * bound
        return q2 + err < bound
