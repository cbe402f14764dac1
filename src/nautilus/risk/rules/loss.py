"""Loss rules: daily loss since the UTC day start and drawdown from peak equity.

:class:`EquityTracker` keeps, per account, the equity at the first observation of each UTC
day (on the view's clock) and the peak equity ever observed. A breach (loss >= limit, or
drawdown >= limit) denies the order and fires the kill switch for the account at once, with
the working orders cancelled.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus.core.time import NS_PER_DAY
from nautilus.execution.pretrade import PreTradeDecision
from nautilus.risk.limits import Effective
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, fmt

HUNDRED = Decimal(100)


class EquityTracker:
    """Day-start and peak equity per account (Decimal, account currency)."""

    def __init__(self) -> None:
        self._day: dict[str, tuple[int, Decimal]] = {}
        self._peak: dict[str, Decimal] = {}

    def observe(self, account_id: str, equity: Decimal, ts_ns: int) -> tuple[Decimal, Decimal]:
        """Record ``equity`` at ``ts_ns``; returns ``(day_start_equity, peak_equity)``."""
        day = ts_ns // NS_PER_DAY
        cur = self._day.get(account_id)
        if cur is None or cur[0] != day:
            cur = self._day[account_id] = (day, equity)
        peak = self._peak.get(account_id)
        if peak is None or equity > peak:
            peak = self._peak[account_id] = equity
        return cur[1], peak

    def daily_pnl(self, account_id: str, equity: Decimal, ts_ns: int) -> Decimal:
        start, _ = self.observe(account_id, equity, ts_ns)
        return equity - start

    def drawdown_pct(self, account_id: str, equity: Decimal, ts_ns: int) -> float:
        _, peak = self.observe(account_id, equity, ts_ns)
        return float((peak - equity) * HUNDRED / peak) if peak > 0 else 0.0

    def reset(self, account_id: str) -> None:
        self._day.pop(account_id, None)
        self._peak.pop(account_id, None)


def _equity(ctx: CheckContext) -> Decimal | None:
    snap = ctx.snapshot
    return None if snap.missing_mark is not None else snap.equity


@RISK_RULES.register("daily_loss")
class DailyLossRule(RiskRule):
    """Deny and kill the account once the loss since the day start reaches the limit."""

    name = "daily_loss"
    priority = 50

    def active(self, limits: Effective) -> bool:
        return limits.max_daily_loss is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_daily_loss
        if lim is None:
            return None
        eq = _equity(ctx)
        if eq is None:
            return ctx.deny("no_reference_price", "a held instrument has no price", self.name)
        account = ctx.view.account_id
        loss = -ctx.equity_tracker.daily_pnl(account, eq, ctx.now)
        if loss >= lim:
            msg = f"daily loss {fmt(loss)} reached the limit {fmt(lim)}"
            ctx.states.kill(account_id=account, cancel_orders=True, reason=msg, ts_ns=ctx.now)
            return ctx.deny("max_daily_loss", msg, self.name)
        return None


@RISK_RULES.register("drawdown")
class DrawdownRule(RiskRule):
    """Deny and kill the account once the drawdown from peak equity reaches the limit (%)."""

    name = "drawdown"
    priority = 51

    def active(self, limits: Effective) -> bool:
        return limits.max_drawdown_pct is not None

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        lim = ctx.limits.max_drawdown_pct
        if lim is None:
            return None
        eq = _equity(ctx)
        if eq is None:
            return ctx.deny("no_reference_price", "a held instrument has no price", self.name)
        account = ctx.view.account_id
        dd = ctx.equity_tracker.drawdown_pct(account, eq, ctx.now)
        if dd >= lim:
            msg = f"drawdown {dd:.2f}% reached the limit {lim:g}%"
            ctx.states.kill(account_id=account, cancel_orders=True, reason=msg, ts_ns=ctx.now)
            return ctx.deny("max_drawdown", msg, self.name)
        return None
