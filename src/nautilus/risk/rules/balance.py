"""Free balance, net of open orders.

Cash accounts: a buy needs ``notional + Σ open buy orders' remaining notional`` of the
instrument currency's ``balance.total``; sells pass. Open orders are priced at their limit,
else trigger, else reference price. Reservations are computed here from the open orders and
``locked`` is not subtracted for cash accounts, so an OMS that locks cash for open orders is
not counted twice. Margin accounts: the initial margin ``|notional| / leverage`` of the order
and of every open order must fit in ``balance.free`` (total minus the locked position margin).
"""

from __future__ import annotations

from decimal import Decimal

from nautilus.execution.pretrade import PreTradeDecision
from nautilus.model.account import Account, MarginAccount
from nautilus.risk.limits import Effective
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, fmt

ZERO = Decimal(0)


@RISK_RULES.register("free_balance")
class FreeBalanceRule(RiskRule):
    """Deny orders the free balance cannot fund once open orders are reserved."""

    name = "free_balance"
    priority = 60

    def active(self, limits: Effective) -> bool:
        return bool(limits.check_free_balance)

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        if not ctx.limits.check_free_balance:
            return None
        account = ctx.view.account()
        margin = isinstance(account, MarginAccount)
        if not margin and ctx.sign < 0:
            return None
        currency = ctx.instrument.currency
        view = ctx.view
        state = ctx.orders_state
        if (state is not None and ctx.order.client_order_id not in state.cids
                and (cached := state.reserved(currency, margin))[1]):
            return self._decide(ctx, account, margin, currency, cached[0])
        reserved = ZERO
        for o in view.open_orders():
            if o.client_order_id == ctx.order.client_order_id or (not margin and not o.is_buy):
                continue
            inst = view.instrument(o.instrument_id)
            if inst is None or inst.currency != currency:
                continue
            px = o.price or o.trigger_price
            if px is None:
                ref = view.reference_price(o.instrument_id)
                if ref is None or not ref[0].is_finite():  # fail closed, as for the order
                    return ctx.deny("no_reference_price", f"open order {o.client_order_id} "
                                    "cannot be priced", self.name)
                px = ref[0]
            reserved += o.leaves_qty * px * inst.multiplier
        return self._decide(ctx, account, margin, currency, reserved)

    def _decide(self, ctx: CheckContext, account: Account, margin: bool, currency: str,
                reserved: Decimal) -> PreTradeDecision | None:
        need = ctx.notional + reserved
        bal = account.balance(currency)
        if margin:
            assert isinstance(account, MarginAccount)
            need = need / account.leverage
            available = bal.free
        else:
            available = bal.total
        if need > available:
            return ctx.deny("insufficient_free_balance", f"order needs {fmt(need)} {currency} "
                            f"with open orders; {fmt(available)} available", self.name)
        return None
