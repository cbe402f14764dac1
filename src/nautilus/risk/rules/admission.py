"""Admission rules: trading state, reference price (fail closed), restricted instruments,
tick/lot/minimum checks. They run first (low ``priority``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from nautilus.core.time import NS_PER_SECOND
from nautilus.execution.pretrade import PreTradeDecision
from nautilus.risk.limits import Effective
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, RuleConfig, fmt
from nautilus.risk.state import TradingState

ZERO = Decimal(0)


@RISK_RULES.register("trading_state")
class TradingStateRule(RiskRule):
    """HALTED denies everything; REDUCING passes only orders that shrink the position.

    An order reduces when it is on the opposite side of the current net position and its
    quantity plus the open orders on its side do not exceed the position, so exposure can
    never grow, whatever fills.
    """

    name = "trading_state"
    priority = 0

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        state = ctx.states.effective(ctx.view.account_id)
        if state is TradingState.ACTIVE:
            return None
        if state is TradingState.HALTED:
            return ctx.deny("trading_halted", "trading is halted; only cancels are allowed",
                            self.name)
        cur = ctx.current_qty
        if cur and (cur > 0) != (ctx.sign > 0) and ctx.qty + ctx.open_same_side <= abs(cur):
            return None
        return ctx.deny("trading_reducing",
                        f"trading is reducing-only; the order would not reduce the position "
                        f"({fmt(cur)}) of {ctx.order.instrument_id}", self.name)


class ReferencePriceConfig(RuleConfig):
    max_age_s: float = Field(60.0, gt=0, description="Oldest usable reference price, seconds "
                             "on the view's clock.")


@RISK_RULES.register("reference_price", config=ReferencePriceConfig)
class ReferencePriceRule(RiskRule):
    """Fail closed: a missing, non-finite, non-positive or stale reference price denies.

    Sets ``ctx.ref`` and ``ctx.price`` (limit, else trigger, else reference price).
    """

    name = "reference_price"
    priority = 1
    config_class = ReferencePriceConfig

    def __init__(self, config: ReferencePriceConfig | None = None) -> None:
        super().__init__(config)
        assert isinstance(self.config, ReferencePriceConfig)
        self.max_age_ns = int(self.config.max_age_s * NS_PER_SECOND)

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        iid = ctx.order.instrument_id
        ref = ctx.view.reference_price(iid)
        if ref is None:
            return ctx.deny("no_reference_price", f"no reference price for {iid}", self.name)
        px, ts = ref
        if not px.is_finite() or px <= 0:
            return ctx.deny("invalid_reference_price",
                            f"reference price {px} of {iid} is not a finite positive number",
                            self.name)
        age = ctx.now - ts
        if age > self.max_age_ns:
            return ctx.deny("stale_reference_price",
                            f"reference price of {iid} is {age / NS_PER_SECOND:.3f} s old "
                            f"(limit {self.config.max_age_s} s)", self.name)  # type: ignore[attr-defined]
        ctx.ref = px
        ctx.ref_ts = ts
        o = ctx.order
        lp = ctx.limit_price
        ctx.price = lp if lp is not None else (o.trigger_price or px)
        return None


@RISK_RULES.register("restricted_instruments")
class RestrictedRule(RiskRule):
    """Instruments on a restricted list (any scope) cannot be traded."""

    name = "restricted_instruments"
    priority = 2

    def active(self, limits: Effective) -> bool:
        return bool(limits.restricted)

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        if ctx.order.instrument_id in ctx.limits.restricted:
            return ctx.deny("restricted_instrument",
                            f"{ctx.order.instrument_id} is on a restricted list", self.name)
        return None


@RISK_RULES.register("instrument_specs")
class InstrumentSpecsRule(RiskRule):
    """Quantity on the lot grid and above the minimum; prices on the tick grid; notional at or
    above the instrument's minimum notional."""

    name = "instrument_specs"
    priority = 3

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        inst = ctx.instrument
        q = ctx.order.quantity if not ctx.is_modify else ctx.qty + ctx.order.filled_qty
        if q <= 0 or q % inst.lot_size:
            return ctx.deny("invalid_quantity",
                            f"quantity {fmt(q)} is not a positive multiple of the lot size "
                            f"{fmt(inst.lot_size)}", self.name)
        if q < inst.min_quantity:
            return ctx.deny("below_min_quantity",
                            f"quantity {fmt(q)} is below the minimum {fmt(inst.min_quantity)}",
                            self.name)
        for px in (ctx.limit_price, ctx.order.trigger_price):
            if px is not None and (not px.is_finite() or px <= 0 or px % inst.tick_size):
                return ctx.deny("invalid_price",
                                f"price {px} is not a positive multiple of the tick size "
                                f"{fmt(inst.tick_size)}", self.name)
        if inst.min_notional and ctx.notional < inst.min_notional:
            return ctx.deny("below_min_notional",
                            f"notional {fmt(ctx.notional)} is below the minimum "
                            f"{fmt(inst.min_notional)}", self.name)
        return None
