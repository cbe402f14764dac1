"""Order rate limits: token buckets per account on the view's clock (ns UTC).

A bucket holds up to ``rate`` tokens (one second of burst) and refills at ``rate`` per
second; each command takes one token. Submits and modifies have separate buckets and limits
(``max_submit_rate`` / ``max_modify_rate``, default 100/s). The rule runs last so that only
commands every other rule lets through spend a token.
"""

from __future__ import annotations

from nautilus.core.time import NS_PER_SECOND
from nautilus.execution.pretrade import PreTradeDecision
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule


class TokenBucket:
    """``rate`` tokens per second, capacity ``rate``; time in ns on the caller's clock."""

    __slots__ = ("last", "rate", "tokens")

    def __init__(self, rate: float, now: int) -> None:
        self.rate = rate
        self.tokens = rate
        self.last = now

    def take(self, now: int) -> bool:
        if now > self.last:
            refill = (now - self.last) * self.rate / NS_PER_SECOND
            self.tokens = min(self.rate, self.tokens + refill)
            self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@RISK_RULES.register("rate_limit")
class RateLimitRule(RiskRule):
    """Submit and modify rates per account (token bucket)."""

    name = "rate_limit"
    priority = 1000

    def __init__(self, config: object = None) -> None:
        super().__init__(config)  # type: ignore[arg-type]
        self._buckets: dict[str, TokenBucket] = {}
        self._modify_buckets: dict[str, TokenBucket] = {}

    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        rate = ctx.limits.max_modify_rate if ctx.is_modify else ctx.limits.max_submit_rate
        if rate is None:
            return None
        buckets = self._modify_buckets if ctx.is_modify else self._buckets
        key = ctx.view.account_id
        bucket = buckets.get(key)
        if bucket is None or bucket.rate != rate:
            bucket = buckets[key] = TokenBucket(rate, ctx.now)
        if bucket.take(ctx.now):
            return None
        kind = "modify" if ctx.is_modify else "submit"
        return ctx.deny(f"{kind}_rate", f"{kind} rate above {rate:g}/s", self.name)
