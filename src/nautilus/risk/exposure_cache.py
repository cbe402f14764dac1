"""Per-account exposure state for the pre-trade hot path, kept incrementally and validated
against the view on every check.

Recomputing an account's exposures from scratch (:class:`~nautilus.risk.rules.base.Snapshot`)
costs one Decimal multiplication per position and per price on every check. The gate keeps,
per account, an :class:`ExposureState` (net quantity and market value per instrument, gross,
net, equity, missing marks, per-sector gross) and an :class:`OrdersState` (open-order leaves
per instrument and side, free-balance reservations per currency) and only recomputes what
changed.

**A missed update cannot make a check pass wrongly.** Nothing is pushed into the cache by
event hooks the caller could forget: on every check the cache compares every input the cached
values were derived from with what the view returns now, by object identity — the account
object, its base balance and ``total``; each open position object with its ``signed_qty``,
``open_cost``, ``multiplier`` and instrument id; each position's reference price (identity,
else an equal finite value); each open order object with its quantity, filled quantity,
prices, side, instrument id and the view's instrument object. Quantities and prices are
immutable ``Decimal`` objects, so an identical object means an identical value; a mutated
position or order carries a new object, and a replaced container entry is a new object. The
states hold strong references to what they compare, so an address can never be reused by a
different object while cached. Any difference rebuilds the state with the same code path and
summation order as the from-scratch :class:`Snapshot` (a position whose inputs are unchanged
reuses its previous product, the same Decimal), so a rebuilt state equals a recomputation
value for value (``tests/unit/risk/test_exposure_cache.py`` checks this and the gate's
decisions against a gate that recomputes everything). The validation is a loop of identity
comparisons: no arithmetic, no allocation beyond the lists the view returns.

States are immutable once built (except that a cached reference tuple is replaced by a newer
tuple of the same price, one atomic list store) and swapped in with one attribute store, so
concurrent checks of the same account each see one consistent state.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from nautilus.execution.pretrade import TradingView
from nautilus.model.account import Account, AccountBalance, MarginAccount
from nautilus.model.events import OrderSide
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order
from nautilus.model.position import Position

if TYPE_CHECKING:
    from nautilus.risk.rules.exposure import CovarianceModel

ZERO = Decimal(0)

Ref = tuple[Decimal, int] | None
VarBase = tuple["CovarianceModel", list[float], list[float], list[float], float, float,
                str | None]


def same_ref(old: Ref, new: Ref) -> bool:
    """Whether a cached reference price still marks a position at the same value."""
    if old is new:
        return True
    if old is None or new is None:
        return False
    a, b = old[0], new[0]
    return a is b or (a.is_finite() and b.is_finite() and a == b)


def sector_of(sectors: dict[str, str | None], view: TradingView, instrument_id: str) -> str | None:
    """The instrument's sector through the gate's shared cache (instruments are immutable)."""
    s = sectors.get(instrument_id, "")
    if s == "":
        inst = view.instrument(instrument_id)
        s = inst.sector if inst is not None else None
        sectors[instrument_id] = s
    return s


class ExposureState:
    """Exposures of one account at one state of its view (the :class:`Snapshot` attributes).

    ``qty``/``exposure`` are signed net quantity and market value per instrument; ``gross``
    and ``net`` sum |value| and value; ``missing_mark`` names a held instrument without a
    price; ``equity`` as documented in ``rules.base``. Derived per-instrument sums (sector
    gross without one instrument, the VaR quadratic form) are memoised on first use.
    """

    __slots__ = (
        "_sector_excl",
        "_var",
        "account",
        "balance",
        "equity",
        "exposure",
        "gross",
        "index",
        "margin",
        "missing_mark",
        "net",
        "pos",
        "pos_cost",
        "pos_iid",
        "pos_mult",
        "pos_qty",
        "qty",
        "refs",
        "sectors",
        "total",
        "unrealized",
        "values",
        "view",
    )

    view: TradingView
    margin: bool

    def __init__(self, view: TradingView, account: Account, balance: AccountBalance,
                 positions: list[Position], sectors: dict[str, str | None],
                 prev: ExposureState | None = None) -> None:
        margin = isinstance(account, MarginAccount)
        if prev is not None and (prev.view is not view or prev.margin is not margin):
            prev = None
        self.view = view
        self.account = account
        self.balance = balance
        self.total = total = balance.total
        self.margin = margin
        self.sectors = sectors
        n = len(positions)
        self.pos = list(positions)
        self.pos_qty: list[Decimal] = [ZERO] * n
        self.pos_cost: list[Decimal] = [ZERO] * n
        self.pos_mult: list[Decimal] = [ZERO] * n
        self.pos_iid: list[str] = [""] * n
        self.refs: list[Ref] = [None] * n
        self.values: list[Decimal | None] = [None] * n
        self.unrealized: list[Decimal] = [ZERO] * n
        self.index: dict[int, int] = {}
        qty: dict[str, Decimal] = {}
        exposure: dict[str, Decimal] = {}
        missing: str | None = None
        unrealized = ZERO
        ref_of = view.reference_price
        old = prev.index if prev is not None else None
        for i, p in enumerate(positions):
            sq, cost, mult = p.signed_qty, p.open_cost, p.multiplier
            self.index[id(p)] = i
            self.pos_qty[i], self.pos_cost[i], self.pos_mult[i] = sq, cost, mult
            iid = self.pos_iid[i] = p.instrument_id
            ref = self.refs[i] = ref_of(iid)
            if not sq:
                continue
            qty[iid] = qty.get(iid, ZERO) + sq
            if ref is None or not ref[0].is_finite():
                missing = iid
                continue
            j = old.get(id(p)) if old is not None else None
            if (j is not None and prev is not None and prev.pos[j] is p and prev.pos_qty[j] is sq
                    and prev.pos_mult[j] is mult and prev.pos_cost[j] is cost
                    and prev.values[j] is not None and same_ref(prev.refs[j], ref)):
                value = prev.values[j]
                unreal = prev.unrealized[j]
                assert value is not None
            else:
                value = sq * ref[0] * mult
                unreal = p.unrealized_pnl(ref[0]) if margin else ZERO
            self.values[i] = value
            self.unrealized[i] = unreal
            exposure[iid] = exposure.get(iid, ZERO) + value
            if margin:
                unrealized += unreal
        self.qty = qty
        self.exposure = exposure
        self.missing_mark = missing
        gross = net = ZERO
        for v in exposure.values():
            net += v
            gross += v if v > 0 else -v
        self.gross = gross
        self.net = net
        self.equity = total + unrealized if margin else total + net
        self._sector_excl: dict[str, Decimal] = {}
        self._var: VarBase | None = None

    def matches(self, view: TradingView, account: Account, balance: AccountBalance,
                positions: list[Position]) -> bool:
        """Whether every input of this state is still what ``view`` shows (identity checks)."""
        if (view is not self.view or account is not self.account or balance is not self.balance
                or balance.total is not self.total or len(positions) != len(self.pos)):
            return False
        ref_of = view.reference_price
        pos, pq, pc, pm, refs = self.pos, self.pos_qty, self.pos_cost, self.pos_mult, self.refs
        iids = self.pos_iid
        i = 0
        for p in positions:
            iid = p.instrument_id
            if (p is not pos[i] or p.signed_qty is not pq[i] or p.open_cost is not pc[i]
                    or p.multiplier is not pm[i] or iid is not iids[i]):
                return False
            ref = ref_of(iid)
            old = refs[i]
            if ref is not old:
                if not same_ref(old, ref):
                    return False
                refs[i] = ref  # same price, new tuple (a new timestamp): keep identity hits
            i += 1
        return True

    def sector_of(self, view: TradingView, instrument_id: str) -> str | None:
        return sector_of(self.sectors, view, instrument_id)

    def sector_gross_excluding(self, view: TradingView, instrument_id: str,
                               sector: str) -> Decimal:
        """Σ |value| of the other instruments of ``sector`` (memoised per instrument)."""
        got = self._sector_excl.get(instrument_id)
        if got is None:
            got = sum((abs(v) for i, v in self.exposure.items()
                       if i != instrument_id and self.sector_of(view, i) == sector), ZERO)
            self._sector_excl[instrument_id] = got
        return got

    def var_base(self, model: CovarianceModel) -> VarBase:
        """``(model, w, Σw, |Σ||w|, wᵀΣw, |w|ᵀ|Σ||w|, unknown)`` of the current exposures in
        the model's order; ``unknown`` is an exposed instrument the model does not cover."""
        got = self._var
        if got is None or got[0] is not model:
            w = np.zeros(len(model.instruments))
            unknown: str | None = None
            for iid, v in self.exposure.items():
                f = float(v)
                k = model.index.get(iid)
                if k is None:
                    if f and unknown is None:
                        unknown = iid
                    continue
                w[k] += f
            sw = model.cov @ w
            aw = np.abs(w)
            asw = np.abs(model.cov) @ aw
            got = self._var = (model, w.tolist(), sw.tolist(), asw.tolist(), float(w @ sw),
                               float(aw @ asw), unknown)
        return got


class OrdersState:
    """Open orders of one account: leaves per instrument and side, free-balance reservations.

    ``same_side[side][instrument]`` sums the leaves quantity of every open order; a check whose
    own order is among the open orders (a modify) recomputes the sum without it exactly as the
    rules define it. Reservations are memoised per ``(currency, margin)``.
    """

    __slots__ = ("_reserve", "cids", "fp", "instruments", "orders", "same_side", "view")

    def __init__(self, view: TradingView, orders: list[Order]) -> None:
        self.view = view
        self.orders = orders = list(orders)
        inst_of = view.instrument
        fp: list[object] = []
        instruments: list[Instrument | None] = []
        same: dict[OrderSide, dict[str, Decimal]] = {OrderSide.BUY: {}, OrderSide.SELL: {}}
        cids: set[str] = set()
        for o in orders:
            inst = inst_of(o.instrument_id)
            instruments.append(inst)
            fp.extend((o, o.quantity, o.filled_qty, o.price, o.trigger_price, o.side,
                       o.instrument_id, inst))
            cids.add(o.client_order_id)
            by_iid = same.setdefault(o.side, {})
            by_iid[o.instrument_id] = by_iid.get(o.instrument_id, ZERO) + o.leaves_qty
        self.fp = fp
        self.instruments = instruments
        self.same_side = same
        self.cids = frozenset(cids)
        self._reserve: dict[tuple[str, bool], tuple[Decimal, bool]] = {}

    def matches(self, view: TradingView, orders: list[Order]) -> bool:
        if view is not self.view or len(orders) != len(self.orders):
            return False
        fp = self.fp
        inst_of = view.instrument
        k = 0
        for o in orders:
            iid = o.instrument_id
            if (o is not fp[k] or o.quantity is not fp[k + 1] or o.filled_qty is not fp[k + 2]
                    or o.price is not fp[k + 3] or o.trigger_price is not fp[k + 4]
                    or o.side is not fp[k + 5] or iid is not fp[k + 6]
                    or inst_of(iid) is not fp[k + 7]):
                return False
            k += 8
        return True

    def leaves(self, order: Order) -> Decimal:
        """Leaves of the open orders on ``order``'s instrument and side, ``order`` excluded."""
        cid = order.client_order_id
        if cid not in self.cids:
            return self.same_side[order.side].get(order.instrument_id, ZERO)
        v = ZERO
        for other in self.orders:
            if (other.instrument_id == order.instrument_id and other.side is order.side
                    and other.client_order_id != cid):
                v += other.leaves_qty
        return v

    def reserved(self, currency: str, margin: bool) -> tuple[Decimal, bool]:
        """``(Σ leaves x price x multiplier, all_priced)`` of the open orders that reserve
        ``currency`` (buys only for cash accounts); priced at the limit, else trigger price.
        ``all_priced`` is False when an order needs the reference price (the caller then
        takes the exact path)."""
        key = (currency, margin)
        got = self._reserve.get(key)
        if got is None:
            reserved = ZERO
            priced = True
            for o, inst in zip(self.orders, self.instruments, strict=True):
                if (not margin and not o.is_buy) or inst is None or inst.currency != currency:
                    continue
                px = o.price or o.trigger_price
                if px is None:
                    priced = False
                    continue
                reserved += o.leaves_qty * px * inst.multiplier
            got = self._reserve[key] = (reserved, priced)
        return got


class AccountCache:
    """The current :class:`ExposureState` and :class:`OrdersState` of one account."""

    __slots__ = ("exposure", "orders")

    def __init__(self) -> None:
        self.exposure: ExposureState | None = None
        self.orders: OrdersState | None = None


class ExposureCache:
    """Validated per-account states for the gate (see the module docstring)."""

    def __init__(self, sectors: dict[str, str | None] | None = None) -> None:
        self.sectors: dict[str, str | None] = sectors if sectors is not None else {}
        self._accounts: dict[str, AccountCache] = {}
        self.rebuilds = 0
        """States built (a measure of cache misses; tests and benchmarks read it)."""

    def _entry(self, account_id: str) -> AccountCache:
        entry = self._accounts.get(account_id)
        if entry is None:
            entry = self._accounts[account_id] = AccountCache()
        return entry

    def exposure(self, view: TradingView) -> ExposureState:
        """The exposures of ``view``'s account, rebuilt only if an input changed."""
        entry = self._entry(view.account_id)
        account = view.account()
        balance = account.balance()
        positions = view.positions()
        state = entry.exposure
        if state is not None and state.matches(view, account, balance, positions):
            return state
        self.rebuilds += 1
        state = entry.exposure = ExposureState(view, account, balance, positions, self.sectors,
                                               state)
        return state

    def orders(self, view: TradingView) -> OrdersState:
        """The open orders of ``view``'s account, rebuilt only if one changed."""
        entry = self._entry(view.account_id)
        orders = view.open_orders()
        state = entry.orders
        if state is not None and state.matches(view, orders):
            return state
        self.rebuilds += 1
        state = entry.orders = OrdersState(view, orders)
        return state

    def forget(self, account_id: str) -> None:
        self._accounts.pop(account_id, None)
