"""The pre-trade rule contract: one :class:`CheckContext` per command, rules as plug-ins.

A rule is a class registered in :data:`RISK_RULES` with a pydantic config; its :meth:`check`
returns ``None`` to pass or a denial (:class:`PreTradeDecision`) with a stable code. Rules run
in ``priority`` order (lower first) and the first denial wins; a rule never calls a venue and
never touches the database.

Semantics shared by the rules (all quantities and money ``Decimal`` in the account currency,
no FX conversion; times int ns UTC):

- ``ctx.qty`` is the quantity the command adds: the order quantity for a submit, the new
  quantity minus the filled quantity for a modify; ``ctx.sign`` is +1 buy / -1 sell.
- ``ctx.price`` prices the order: the limit price, else the trigger price, else the reference
  price; ``ctx.notional = qty * price * multiplier``.
- The *projected* position of the order's instrument is the current net quantity plus the open
  orders on the same instrument and side (leaves quantity, the modified order excluded) plus
  the order: the worst case if everything on that side fills. Other instruments keep their
  current positions, marked at their reference prices.
- Equity: cash accounts ``balance.total + Σ position market value``; margin accounts
  ``balance.total + Σ unrealized P&L``.
"""

from __future__ import annotations

import abc
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel

from nautilus.core.config import FrozenConfig
from nautilus.core.registry import Registry
from nautilus.execution.pretrade import PreTradeDecision, TradingView
from nautilus.model.account import MarginAccount
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order

if TYPE_CHECKING:
    from nautilus.risk.exposure_cache import ExposureCache, ExposureState, OrdersState
    from nautilus.risk.limits import Effective
    from nautilus.risk.rules.loss import EquityTracker
    from nautilus.risk.state import TradingStates

ZERO = Decimal(0)
_DECIMALS: dict[float, Decimal] = {}


def dec(value: float) -> Decimal:
    """``Decimal(repr(value))``, memoised (limits are few; the hot path avoids the repr)."""
    d = _DECIMALS.get(value)
    if d is None:
        d = Decimal(repr(value))
        if len(_DECIMALS) < 4096:
            _DECIMALS[value] = d
    return d


class RuleConfig(FrozenConfig):
    """Base config of a rule (rules without options use it as is)."""


class Snapshot:
    """Current exposures of the account behind a view, computed once per check.

    ``qty``/``exposure`` are signed net quantity and market value per instrument; ``gross`` and
    ``net`` sum |value| and value; ``missing_mark`` names a held instrument without a price.
    """

    __slots__ = ("equity", "exposure", "gross", "missing_mark", "net", "qty", "sectors")

    def __init__(self, view: TradingView, sectors: dict[str, str | None] | None = None) -> None:
        qty: dict[str, Decimal] = {}
        exposure: dict[str, Decimal] = {}
        self.missing_mark: str | None = None
        self.sectors = sectors if sectors is not None else {}
        account = view.account()
        margin = isinstance(account, MarginAccount)
        unrealized = ZERO
        ref_of = view.reference_price
        for p in view.positions():
            sq = p.signed_qty
            if not sq:
                continue
            iid = p.instrument_id
            qty[iid] = qty.get(iid, ZERO) + sq
            ref = ref_of(iid)
            if ref is None or not ref[0].is_finite():
                self.missing_mark = iid
                continue
            value = sq * ref[0] * p.multiplier
            exposure[iid] = exposure.get(iid, ZERO) + value
            if margin:
                unrealized += p.unrealized_pnl(ref[0])
        self.qty = qty
        self.exposure = exposure
        gross = net = ZERO
        for v in exposure.values():
            net += v
            gross += v if v > 0 else -v
        self.gross = gross
        self.net = net
        total = account.balance().total
        self.equity = total + unrealized if margin else total + net

    def sector_of(self, view: TradingView, instrument_id: str) -> str | None:
        """The instrument's sector (instruments are immutable, so the gate shares the cache)."""
        s = self.sectors.get(instrument_id, "")
        if s == "":
            inst = view.instrument(instrument_id)
            s = inst.sector if inst is not None else None
            self.sectors[instrument_id] = s
        return s

    def sector_gross_excluding(self, view: TradingView, instrument_id: str,
                               sector: str) -> Decimal:
        """Σ |value| of the other instruments of ``sector``."""
        return sum((abs(v) for i, v in self.exposure.items()
                    if i != instrument_id and self.sector_of(view, i) == sector), ZERO)


class CheckContext:
    """Everything a rule needs about one command; expensive parts are computed on demand."""

    __slots__ = (
        "_gross_net",
        "_notional",
        "_open_same_side",
        "_orders",
        "_pn",
        "_pn_ref",
        "_projected",
        "_snapshot",
        "cache",
        "equity_tracker",
        "instrument",
        "is_modify",
        "limits",
        "new_price",
        "now",
        "order",
        "price",
        "qty",
        "ref",
        "ref_ts",
        "sectors",
        "sign",
        "states",
        "view",
    )

    def __init__(self, order: Order, view: TradingView, instrument: Instrument,
                 limits: Effective, states: TradingStates, equity_tracker: EquityTracker,
                 qty: Decimal, now: int, *, is_modify: bool = False,
                 new_price: Decimal | None = None,
                 sectors: dict[str, str | None] | None = None,
                 cache: ExposureCache | None = None) -> None:
        self.order = order
        self.cache = cache
        self.sectors = sectors
        self.view = view
        self.instrument = instrument
        self.limits = limits
        self.states = states
        self.equity_tracker = equity_tracker
        self.qty = qty
        self.sign = order.side.sign
        self.now = now
        self.is_modify = is_modify
        self.new_price = new_price
        self.price: Decimal = ZERO
        self.ref: Decimal = ZERO
        self.ref_ts = 0
        self._notional: Decimal | None = None
        self._snapshot: Snapshot | ExposureState | None = None
        self._open_same_side: Decimal | None = None
        self._projected: Decimal | None = None
        self._pn: Decimal = ZERO
        self._pn_ref: Decimal | None = None
        self._gross_net: tuple[Decimal, Decimal] | None = None
        self._orders: OrdersState | None = None

    @property
    def limit_price(self) -> Decimal | None:
        """The order's limit price after the command (a modify may change it)."""
        return self.new_price if self.new_price is not None else self.order.price

    @property
    def notional(self) -> Decimal:
        n = self._notional
        if n is None:
            n = self._notional = self.qty * self.price * self.instrument.multiplier
        return n

    @property
    def snapshot(self) -> Snapshot | ExposureState:
        """The account's exposures: the gate's validated cache, else computed from scratch."""
        s = self._snapshot
        if s is None:
            cache = self.cache
            s = self._snapshot = (cache.exposure(self.view) if cache is not None
                                  else Snapshot(self.view, self.sectors))
        return s

    @property
    def orders_state(self) -> OrdersState | None:
        """The validated open-order state when the gate has a cache."""
        st = self._orders
        if st is None:
            cache = self.cache
            if cache is None:
                return None
            st = self._orders = cache.orders(self.view)
        return st

    @property
    def open_same_side(self) -> Decimal:
        """Leaves quantity of open orders on this instrument and side (this order excluded)."""
        v = self._open_same_side
        if v is None:
            o = self.order
            st = self.orders_state
            if st is not None:
                v = self._open_same_side = st.leaves(o)
                return v
            v = ZERO
            for other in self.view.open_orders():
                if (other.instrument_id == o.instrument_id and other.side is o.side
                        and other.client_order_id != o.client_order_id):
                    v += other.leaves_qty
            self._open_same_side = v
        return v

    @property
    def current_qty(self) -> Decimal:
        return self.snapshot.qty.get(self.order.instrument_id, ZERO)

    @property
    def projected_qty(self) -> Decimal:
        """Signed position if this order and the open orders on its side all fill."""
        p = self._projected
        if p is None:
            p = self._projected = self.current_qty + self.sign * (self.open_same_side + self.qty)
        return p

    def projected_notional(self) -> Decimal:
        """Signed market value of the projected position at the reference price."""
        ref = self.ref
        if self._pn_ref is not ref:
            self._pn = self.projected_qty * ref * self.instrument.multiplier
            self._pn_ref = ref
        return self._pn

    def projected_gross_net(self) -> tuple[Decimal, Decimal]:
        gn = self._gross_net
        if gn is None or self._pn_ref is not self.ref:
            snap = self.snapshot
            cur = snap.exposure.get(self.order.instrument_id, ZERO)
            after = self.projected_notional()
            gn = self._gross_net = (snap.gross - abs(cur) + abs(after), snap.net - cur + after)
        return gn

    def deny(self, code: str, message: str, rule: str) -> PreTradeDecision:
        return PreTradeDecision.deny(code, message, rule)


class RiskRule(abc.ABC):
    """A pre-trade rule. Subclasses set ``name`` and register in :data:`RISK_RULES`."""

    name: ClassVar[str]
    priority: ClassVar[int] = 100
    on_submit: ClassVar[bool] = True
    on_modify: ClassVar[bool] = True
    config_class: ClassVar[type[BaseModel]] = RuleConfig

    def __init__(self, config: BaseModel | None = None) -> None:
        self.config = config if config is not None else self.config_class()

    def active(self, limits: Effective) -> bool:
        """False when :meth:`check` passes every command under ``limits`` (no limit of this
        rule is set); the gate then leaves the rule out of that key's precomputed checks."""
        return True

    @abc.abstractmethod
    def check(self, ctx: CheckContext) -> PreTradeDecision | None:
        """``None`` when the command passes this rule, else the denial."""


RISK_RULES: Registry[type[RiskRule]] = Registry("risk_rule")
"""Pre-trade rules by name, each with its config class."""


def fmt(value: object) -> str:
    """Short human rendering of a number for denial messages."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
