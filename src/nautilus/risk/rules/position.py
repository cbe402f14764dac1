"""Position rules on the projected position of the order's instrument: quantity, notional,
concentration per instrument and per sector (% of equity)."""

from __future__ import annotations

from decimal import Decimal

from nautilus.execution.pretrade import PreTradeDecision
from nautilus.risk.limits import Effective
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, dec, fmt

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@RISK_RULES.register("max_position_qty")
class MaxPositionQtyRule(RiskRule):
    """|projected position| must not exceed ``max_position_qty``."""

    name = "max_position_qty"
    priority = 20

    def active(self, limits: Effective) -> bool:
        return limits.max_position_qty is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_position_qty
        if lim is not None and abs(ctx.projected_qty) > lim:
            return ctx.deny("max_position_qty", f"position in {ctx.order.instrument_id} would "
                            f"reach {fmt(ctx.projected_qty)} (limit {fmt(lim)})", self.name)
        return None


@RISK_RULES.register("max_position_notional")
class MaxPositionNotionalRule(RiskRule):
    """|projected position| x reference price x multiplier must not exceed the limit."""

    name = "max_position_notional"
    priority = 21

    def active(self, limits: Effective) -> bool:
        return limits.max_position_notional is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_position_notional
        if lim is None:
            return None
        value = abs(ctx.projected_notional())
        if value > lim:
            return ctx.deny("max_position_notional", f"position notional in "
                            f"{ctx.order.instrument_id} would reach {fmt(value)} "
                            f"(limit {fmt(lim)})", self.name)
        return None


def _equity_or_deny(ctx: CheckContext, rule: str) -> Decimal | PreTradeDecision:
    snap = ctx.snapshot
    if snap.missing_mark is not None:
        return ctx.deny("no_reference_price",
                        f"no reference price for held {snap.missing_mark}", rule)
    if snap.equity <= 0:
        return ctx.deny("non_positive_equity", f"equity is {fmt(snap.equity)}", rule)
    return snap.equity


@RISK_RULES.register("concentration")
class ConcentrationRule(RiskRule):
    """|projected instrument notional| / equity and the sector's gross / equity, in %.

    Instruments without a sector are not part of any sector limit.
    """

    name = "concentration"
    priority = 22

    def active(self, limits: Effective) -> bool:
        return (limits.max_concentration_pct is not None
                or limits.max_sector_concentration_pct is not None)

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits
        pct, spct = lim.max_concentration_pct, lim.max_sector_concentration_pct
        if pct is None and spct is None:
            return None
        eq = _equity_or_deny(ctx, self.name)
        if isinstance(eq, PreTradeDecision):
            return eq
        iid = ctx.order.instrument_id
        after = abs(ctx.projected_notional())
        if pct is not None and after * HUNDRED > dec(pct) * eq:
            return ctx.deny("max_concentration", f"{iid} would be "
                            f"{float(after * HUNDRED / eq):.2f}% of equity (limit {pct:g}%)",
                            self.name)
        if spct is not None:
            snap = ctx.snapshot
            sector = snap.sector_of(ctx.view, iid)
            if sector is not None:
                gross = after + snap.sector_gross_excluding(ctx.view, iid, sector)
                if gross * HUNDRED > dec(spct) * eq:
                    return ctx.deny("max_sector_concentration", f"sector {sector} would be "
                                    f"{float(gross * HUNDRED / eq):.2f}% of equity "
                                    f"(limit {spct:g}%)", self.name)
        return None
