"""The risk gate: :class:`~nautilus.execution.pretrade.PreTradeGate` over the registered rules.

For each command the gate looks up the plan of ``(account, strategy, instrument)`` (one cached
dict lookup, rebuilt when the limit book's version changes): the merged limits and the checks
of the rules that can deny under them, in priority order (a rule whose limits are all unset is
left out, which is what its ``check`` would do anyway). It builds a :class:`CheckContext` and
runs the checks; the first denial wins. Account exposures and open-order sums come from an
:class:`~nautilus.risk.exposure_cache.ExposureCache` that is validated against the view on
every check and rebuilt where anything changed (see that module), so the approve path does no
per-position arithmetic, no logging and no allocation beyond the context. A denial is
published on ``risk.denials`` (a :class:`Denial`) and queued for the relational store, which
the engine drains in batches off the hot path. The gate never calls a venue and never touches
the database.

>>> from nautilus.risk.limits import LimitBook
>>> from nautilus.risk.state import TradingStates
>>> gate = RiskGate(LimitBook(), TradingStates())
>>> [r.name for r in gate.rules][:3]
['trading_state', 'reference_price', 'restricted_instruments']
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import msgspec

from nautilus.bus.base import Lane, MessageBus, message_type
from nautilus.execution.pretrade import PreTradeDecision, TradingView
from nautilus.model.orders import Order
from nautilus.risk.exposure_cache import ExposureCache
from nautilus.risk.limits import Effective, LimitBook
from nautilus.risk.rules import RISK_RULES, CheckContext, EquityTracker, RiskRule
from nautilus.risk.rules.exposure import CovarianceModel, VarRule
from nautilus.risk.state import TradingStates

log = logging.getLogger(__name__)

Check = Callable[[CheckContext], Any]
Plan = tuple[int, Effective, tuple[Check, ...], tuple[Check, ...]]
"""``(limit book version, merged limits, submit checks, modify checks)`` of one key."""
MAX_PLANS = 100_000

DENIALS_TOPIC = "risk.denials"
MAX_PENDING = 100_000
"""Denials queued for the store; the oldest are dropped (and counted) beyond this."""


@message_type
class Denial(msgspec.Struct, frozen=True, kw_only=True):
    """A refused command as published on ``risk.denials`` and stored (quantities as strings)."""

    account_id: str
    strategy_id: str | None
    client_order_id: str
    instrument_id: str
    side: str
    quantity: str
    price: str | None
    kind: str
    code: str
    message: str
    rule: str | None
    ts_event: int


def build_rules(settings: dict[str, dict[str, Any]] | None = None,
                disabled: Iterable[str] = ()) -> list[RiskRule]:
    """Instantiate rules: every registered rule (``settings=None``) or the named ones, each
    with its params validated by its config class; ``disabled`` names are left out."""
    skip = set(disabled)
    names = list(settings) if settings is not None else RISK_RULES.names()
    rules: list[RiskRule] = []
    for name in names:
        if name in skip:
            continue
        cls = RISK_RULES.get(name)
        params = (settings or {}).get(name) or {}
        rules.append(cls(cls.config_class.model_validate(params)))
    rules.sort(key=lambda r: r.priority)
    return rules


class RiskGate:
    """Pre-trade gate over ``limits`` and ``states`` (see the module docstring)."""

    def __init__(
        self,
        limits: LimitBook,
        states: TradingStates,
        *,
        rules: list[RiskRule] | None = None,
        bus: MessageBus | None = None,
        equity: EquityTracker | None = None,
        on_denial: Callable[[Denial], None] | None = None,
    ) -> None:
        self.limits = limits
        self.states = states
        self.bus = bus
        self.equity = equity or EquityTracker()
        self.on_denial = on_denial
        self.rules = rules if rules is not None else build_rules()
        self._submit = tuple(r.check for r in self.rules if r.on_submit)
        self._modify = tuple(r.check for r in self.rules if r.on_modify)
        self.pending: deque[Denial] = deque()
        self.dropped = 0
        self.checks = 0
        self.denials: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.sectors: dict[str, str | None] = {}
        self.exposures: ExposureCache | None = ExposureCache(self.sectors)
        """Validated per-account exposures; ``None`` recomputes them on every check."""
        self._plans: dict[tuple[str, str | None, str], Plan] = {}

    def set_covariance(self, model: CovarianceModel | None) -> None:
        """Hand the VaR rule its covariance model (``None`` makes VaR limits deny)."""
        for r in self.rules:
            if isinstance(r, VarRule):
                r.model = model

    @property
    def covariance(self) -> CovarianceModel | None:
        for r in self.rules:
            if isinstance(r, VarRule):
                return r.model
        return None

    def check_submit(self, order: Order, view: TradingView) -> PreTradeDecision:
        """Decide on a new order (never calls a venue)."""
        return self._run(order, view, order.quantity, False, None)

    def check_modify(self, order: Order, quantity: Decimal | None, price: Decimal | None,
                     view: TradingView) -> PreTradeDecision:
        """Decide on a modify to ``quantity`` (total) and/or ``price`` of a working order."""
        qty = (quantity if quantity is not None else order.quantity) - order.filled_qty
        return self._run(order, view, qty, True, price)

    def plan(self, account_id: str, strategy_id: str | None, instrument_id: str) -> Plan:
        """The merged limits and active checks of one key (cached per limit book version)."""
        key = (account_id, strategy_id, instrument_id)
        plan = self._plans.get(key)
        version = self.limits.version
        if plan is None or plan[0] != version:
            limits = self.limits.resolve(account_id, strategy_id, instrument_id)
            active = [r for r in self.rules if r.active(limits)]
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            plan = self._plans[key] = (
                version, limits,
                tuple(r.check for r in active if r.on_submit and r.check in self._submit),
                tuple(r.check for r in active if r.on_modify and r.check in self._modify))
        return plan

    def _run(self, order: Order, view: TradingView, qty: Decimal, is_modify: bool,
             new_price: Decimal | None) -> PreTradeDecision:
        self.checks += 1
        instrument = view.instrument(order.instrument_id)
        if instrument is None:
            decision = PreTradeDecision.deny("unknown_instrument",
                                             f"unknown instrument {order.instrument_id}", None)
        else:
            _, limits, submit, modify = self.plan(view.account_id, view.strategy_id,
                                                  order.instrument_id)
            ctx = CheckContext(order, view, instrument, limits, self.states, self.equity, qty,
                               view.now_ns(), is_modify=is_modify, new_price=new_price,
                               sectors=self.sectors, cache=self.exposures)
            for check in modify if is_modify else submit:
                result = check(ctx)
                if result is not None:
                    decision = result
                    break
            else:
                return PreTradeDecision.approve()
        self._denied(order, view, qty, is_modify, new_price, decision)
        return decision

    def dry_run(self, order: Order, view: TradingView, *, quantity: Decimal | None = None,
                price: Decimal | None = None, modify: bool = False) -> PreTradeDecision:
        """Decide without spending rate tokens or recording/publishing a denial."""
        checks = tuple(r.check for r in self.rules
                       if r.name != "rate_limit" and (r.on_modify if modify else r.on_submit))
        qty = (quantity if quantity is not None else order.quantity)
        if modify:
            qty -= order.filled_qty
        instrument = view.instrument(order.instrument_id)
        if instrument is None:
            return PreTradeDecision.deny("unknown_instrument",
                                         f"unknown instrument {order.instrument_id}", None)
        limits = self.limits.resolve(view.account_id, view.strategy_id, order.instrument_id)
        ctx = CheckContext(order, view, instrument, limits, self.states, self.equity, qty,
                           view.now_ns(), is_modify=modify, new_price=price, sectors=self.sectors,
                           cache=self.exposures)
        for check in checks:
            result = check(ctx)
            if result is not None:
                return result
        return PreTradeDecision.approve()

    def _denied(self, order: Order, view: TradingView, qty: Decimal, is_modify: bool,
                new_price: Decimal | None, decision: PreTradeDecision) -> None:
        self.denials[decision.code] += 1
        px = new_price if new_price is not None else order.price
        denial = Denial(
            account_id=view.account_id, strategy_id=view.strategy_id,
            client_order_id=order.client_order_id, instrument_id=order.instrument_id,
            side=order.side.value, quantity=str(qty), price=None if px is None else str(px),
            kind="modify" if is_modify else "submit", code=decision.code,
            message=decision.message, rule=decision.rule, ts_event=view.now_ns())
        with self._lock:
            if len(self.pending) >= MAX_PENDING:
                self.pending.popleft()
                self.dropped += 1
            self.pending.append(denial)
        if self.bus is not None:
            try:
                self.bus.publish(DENIALS_TOPIC, denial, lane=Lane.HIGH)
            except Exception:  # a bus problem must not turn a denial into an approval
                log.exception("publishing denial %s failed", order.client_order_id)
        if self.on_denial is not None:
            self.on_denial(denial)

    def drain(self, limit: int = 10_000) -> list[Denial]:
        """Take up to ``limit`` queued denials (for the batch writer)."""
        out: list[Denial] = []
        with self._lock:
            while self.pending and len(out) < limit:
                out.append(self.pending.popleft())
        return out
