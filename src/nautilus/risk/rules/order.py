"""Per-order rules: maximum quantity and notional, price collar around the reference price."""

from __future__ import annotations

from decimal import Decimal

from nautilus.execution.pretrade import PreTradeDecision
from nautilus.risk.limits import Effective
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, dec, fmt

BPS = Decimal(10_000)


@RISK_RULES.register("max_order_qty")
class MaxOrderQtyRule(RiskRule):
    """The command's quantity must not exceed ``max_order_qty``."""

    name = "max_order_qty"
    priority = 10

    def active(self, limits: Effective) -> bool:
        return limits.max_order_qty is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_order_qty
        if lim is not None and ctx.qty > lim:
            return ctx.deny("max_order_qty", f"order quantity {fmt(ctx.qty)} exceeds the limit "
                            f"{fmt(lim)}", self.name)
        return None


@RISK_RULES.register("max_order_notional")
class MaxOrderNotionalRule(RiskRule):
    """``qty * price * multiplier`` must not exceed ``max_order_notional``."""

    name = "max_order_notional"
    priority = 11

    def active(self, limits: Effective) -> bool:
        return limits.max_order_notional is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_order_notional
        if lim is not None and ctx.notional > lim:
            return ctx.deny("max_order_notional", f"order notional {fmt(ctx.notional)} exceeds "
                            f"the limit {fmt(lim)}", self.name)
        return None


@RISK_RULES.register("price_collar")
class PriceCollarRule(RiskRule):
    """A limit price farther than ``price_collar_bps`` from the reference price is denied.

    Distance = ``|limit - reference| / reference * 10_000`` bps, exact in Decimal.
    """

    name = "price_collar"
    priority = 12

    def active(self, limits: Effective) -> bool:
        return limits.price_collar_bps is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        bps = ctx.limits.price_collar_bps
        px = ctx.limit_price
        if bps is None or px is None:
            return None
        dist = abs(px - ctx.ref) * BPS
        if dist > dec(bps) * ctx.ref:
            return ctx.deny("price_collar", f"limit price {fmt(px)} is "
                            f"{float(dist / ctx.ref):.1f} bps from the reference {fmt(ctx.ref)} "
                            f"(collar {bps:g} bps)", self.name)
        return None
