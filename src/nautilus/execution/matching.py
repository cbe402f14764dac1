"""Matching of working orders against bars, quotes, trades and order books for one instrument.

The :class:`MatchingEngine` decides *what* fills (order, quantity, price, maker/taker) and
tells a :class:`MatchSink` (the venue), which turns that into order events, fees and
contingencies. Prices handed to the sink are ``Decimal`` on the instrument's tick grid,
quantities ``Decimal`` on its lot grid.

Bar conventions (``process_bar``; a bar's ``ts_event`` is its close):

1. An order that reaches the venue at or before a bar's open is matched on that bar; so a
   strategy acting on bar *k*'s close gets its market order filled at bar *k+1*'s open.
2. The intra-bar path is O→H→L→C when the high is nearer the open than the low
   (``H - O <= O - L``, ties go high first), else O→L→H→C: the nearer extreme is assumed to
   come first, with straight moves between the four points.
3. At the open: market orders fill at the open; MOO orders fill at the open of a bar that
   starts a session; a stop that the open has already gapped through fills at the open, not at
   its trigger; a limit the open has gapped through fills at the open (price improvement).
   IOC/FOK orders are evaluated only at the open and canceled for any unfilled remainder
   (FOK: all or nothing).
4. Along each segment: a stop is triggered when the segment reaches its trigger and fills at the
   trigger price (stop-limit: becomes a limit at its limit price); a limit the path *crosses*
   (goes strictly through) fills at the limit price as maker; a limit *touched* exactly at a
   segment end fills only if the fill model says so (one draw per order per bar). Orders act in
   the order the path reaches their prices, then by arrival (price-time priority).
5. Trailing stops move their trigger after each path point (a sell trails the highest price by
   the offset, a buy the lowest); MOC orders fill at the close of a bar that ends a session.
6. Fill times: the open's fills happen at the bar's open time, a segment's at its end, taking
   the three segments as thirds of the bar (the close at ``ts_event``); an order that expires
   before a segment ends does not trade in it.
7. Taker fills (market, stop, gap) are slipped by the slippage models and capped per bar by
   their ``max_fill_qty`` (volume participation); a capped remainder is carried to the next bar.

Book conventions (``process_quote`` / ``process_trade`` / ``process_delta``): arriving marketable
orders take displayed liquidity level by level (taker, price-time priority among our orders);
a resting limit crossed by the opposite best fills at its limit price as maker up to the size
displayed at prices through it; displayed size is available afresh on every market data update.
A trade through a resting limit fills it up to the trade's size; a trade exactly at the limit
fills it only if the fill model says so.
"""

from __future__ import annotations

import abc
import itertools
import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from nautilus.execution.models.fill import FillModel, ProbabilisticFill
from nautilus.execution.models.slippage import MarketContext, SlippageModel
from nautilus.execution.orderbook import BookType, OrderBook, make_book
from nautilus.model.data import Bar, BookDelta, BookSide, Quote, Timeframe, Trade
from nautilus.model.events import (
    LiquiditySide,
    OrderSide,
    OrderType,
    TimeInForce,
    TrailingOffsetType,
)
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order

ZERO = Decimal(0)
_STOPS = frozenset({OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP})
_AUCTION = frozenset({OrderType.MARKET_ON_OPEN, OrderType.MARKET_ON_CLOSE})
_TF_NS = {tf.value: tf.ns for tf in Timeframe}


class MatchSink(abc.ABC):
    """Receiver of matching decisions (implemented by the simulated venue)."""

    @abc.abstractmethod
    def on_fill(self, order: Order, qty: Decimal, px: Decimal, liquidity: LiquiditySide) -> Decimal:
        """Fill ``qty`` of ``order`` at ``px``; returns the quantity actually filled."""

    @abc.abstractmethod
    def on_trigger(self, order: Order) -> None:
        """A stop-limit was triggered and now works as a limit order."""

    @abc.abstractmethod
    def on_cancel(self, order: Order, reason: str) -> None:
        """Cancel the rest of ``order`` (IOC remainder, FOK not fillable)."""

    @abc.abstractmethod
    def on_trigger_moved(self, order: Order, trigger_price: Decimal) -> None:
        """A trailing stop's trigger moved to ``trigger_price``."""

    def on_clock(self, ts: int) -> None:  # noqa: B027 - optional hook
        """Market time inside a bar reached ``ts`` (int ns UTC); fills that follow happen then."""


class MatchingEngine:
    """Working orders of one instrument and the market state they are matched against."""

    def __init__(
        self,
        instrument: Instrument,
        sink: MatchSink,
        *,
        book_type: BookType | str = BookType.L1,
        slippage: Sequence[SlippageModel] = (),
        fill_model: FillModel | None = None,
        context: MarketContext | None = None,
    ) -> None:
        self.instrument = instrument
        self.sink = sink
        self.book: OrderBook = make_book(instrument.id, book_type)
        self.slippage = tuple(slippage)
        self.fill_model = fill_model or ProbabilisticFill()
        self.context = context or MarketContext()
        self.orders: dict[str, Order] = {}
        self.has_book = False
        self.last_px: Decimal | None = None
        self._seq: dict[str, int] = {}
        self._next_seq = 0
        self._new: set[str] = set()
        self._triggered: set[str] = set()
        self._bar_filled: dict[str, Decimal] = {}
        self._bar_cap: Decimal | None = None
        self._touch_drawn: set[str] = set()
        # the tick grid as a quantize exponent, read on every price converted
        self._quantum = Decimal(1).scaleb(-instrument.price_precision)

    # -- order management ----------------------------------------------------------------

    def _px(self, value: float) -> Decimal:
        """``value`` as a Decimal rounded half-even to the instrument's price precision."""
        return Decimal(repr(float(value))).quantize(self._quantum, rounding=ROUND_HALF_EVEN)

    def _qty(self, value: float) -> Decimal:
        lot = self.instrument.lot_size
        return (Decimal(repr(float(value))) / lot).to_integral_value(rounding=ROUND_FLOOR) * lot

    def add(self, order: Order) -> None:
        """Start working an accepted order; in book mode it is matched at once."""
        self.orders[order.client_order_id] = order
        self._seq[order.client_order_id] = self._next_seq
        self._next_seq += 1
        self._new.add(order.client_order_id)
        if order.order_type is OrderType.TRAILING_STOP and order.trigger_price is None:
            ref = self._reference(order.side)
            if ref is not None:
                self._trail(order, ref, initial=True)
        if self.has_book:
            self._arrive_book(order)

    def remove(self, client_order_id: str) -> None:
        self.orders.pop(client_order_id, None)
        self._new.discard(client_order_id)
        self._triggered.discard(client_order_id)

    def forget(self, client_order_id: str) -> None:
        """Drop every trace of a finished order (its time priority too)."""
        self.remove(client_order_id)
        self._seq.pop(client_order_id, None)

    def repriced(self, order: Order) -> None:
        """``order`` was modified: it loses time priority and is matched again as new."""
        self._seq[order.client_order_id] = self._next_seq
        self._next_seq += 1
        self._new.add(order.client_order_id)
        if self.has_book:
            self._arrive_book(order)

    def would_take(self, order: Order) -> bool:
        """``True`` if a limit ``order`` is marketable now (used for post-only rejection)."""
        if order.price is None:
            return True
        if self.has_book:
            ref = self.book.best_ask_price() if order.is_buy else self.book.best_bid_price()
            if ref is None:
                return False
            ref_d = self._px(ref)
        elif self.last_px is not None:
            ref_d = self.last_px
        else:
            return False
        return order.price >= ref_d if order.is_buy else order.price <= ref_d

    def _reference(self, side: OrderSide) -> Decimal | None:
        if self.has_book:
            px = self.book.best_ask_price() if side is OrderSide.BUY else self.book.best_bid_price()
            if px is not None:
                return self._px(px)
        return self.last_px

    def _priority(self) -> list[Order]:
        """Open orders by price-time priority: market-like first, then limits best price
        first, then untriggered stops; ties by arrival."""

        def key(o: Order) -> tuple[int, Decimal, int]:
            seq = self._seq[o.client_order_id]
            if self._is_limit(o) and o.price is not None:
                return (1, -o.price if o.is_buy else o.price, seq)
            if o.order_type in _STOPS and not self._acts_as_market(o):
                return (2, ZERO, seq)
            return (0, ZERO, seq)

        return sorted((o for o in self.orders.values() if o.is_open), key=key)

    def _is_limit(self, o: Order) -> bool:
        return o.order_type is OrderType.LIMIT or (
            o.order_type is OrderType.STOP_LIMIT
            and (o.is_triggered or o.client_order_id in self._triggered)
        )

    def _acts_as_market(self, o: Order) -> bool:
        return o.order_type is OrderType.MARKET or (
            o.order_type in (OrderType.STOP, OrderType.TRAILING_STOP)
            and o.client_order_id in self._triggered
        )

    # -- fills ---------------------------------------------------------------------------

    def _fill(
        self, o: Order, qty: Decimal, px: Decimal, liq: LiquiditySide, slip: bool = False
    ) -> Decimal:
        qty = min(qty, o.leaves_qty)
        if self._bar_cap is not None:
            qty = min(qty, self._bar_cap - self._bar_filled.get(o.client_order_id, ZERO))
        if qty <= 0 or not o.is_open:
            return ZERO
        if slip:
            for model in self.slippage:
                px = model.adjust_price(self.instrument, o.side, px, qty, self.context)
            if o.price is not None and self._is_limit(o):
                px = min(px, o.price) if o.is_buy else max(px, o.price)
        done = self.sink.on_fill(o, qty, px, liq)
        self._bar_filled[o.client_order_id] = self._bar_filled.get(o.client_order_id, ZERO) + done
        if not o.is_open:
            self.remove(o.client_order_id)
        return done

    def _trigger(self, o: Order) -> None:
        self._triggered.add(o.client_order_id)
        if o.order_type is OrderType.STOP_LIMIT:
            self.sink.on_trigger(o)

    def _trail(self, o: Order, ref: Decimal, initial: bool = False) -> None:
        off = o.trailing_offset or ZERO
        if o.trailing_offset_type is TrailingOffsetType.PERCENT:
            off = ref * off / 100
        tick = self.instrument.tick_size
        if o.is_buy:
            new = ((ref + off) / tick).to_integral_value(rounding=ROUND_CEILING) * tick
            better = o.trigger_price is None or new < o.trigger_price
        else:
            new = ((ref - off) / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
            better = o.trigger_price is None or new > o.trigger_price
        if better and new > 0:
            if initial and o.trigger_price is None:
                o.trigger_price = new
            else:
                self.sink.on_trigger_moved(o, new)

    def _end_immediate(self, orders: Iterable[Order]) -> None:
        for o in orders:
            if o.is_open and o.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
                self.sink.on_cancel(o, o.time_in_force.value)
                self.remove(o.client_order_id)

    # -- bars ----------------------------------------------------------------------------

    def process_bar(
        self, bar: Bar, *, session_open: bool = True, session_close: bool = True
    ) -> None:
        """Match working orders along the bar's intra-bar path (see module docstring)."""
        o_, h, lo, c = (
            self._px(bar.open),
            self._px(bar.high),
            self._px(bar.low),
            self._px(bar.close),
        )
        self.context = MarketContext(
            bar_volume=bar.volume, adv=self.context.adv, sigma=self.context.sigma
        )
        caps = [m.max_fill_qty(self.instrument, self.context) for m in self.slippage]
        known = [x for x in caps if x is not None]
        self._bar_cap = min(known) if known else None
        self._bar_filled = {}
        self._touch_drawn = set()
        tf_ns = _TF_NS.get(bar.timeframe) or Timeframe(bar.timeframe).ns
        t_open = bar.ts_event - tf_ns
        times = [t_open, t_open + tf_ns // 3, t_open + 2 * tf_ns // 3, bar.ts_event]
        try:
            self.sink.on_clock(t_open)
            self._bar_open(o_, session_open)
            path = [o_, h, lo, c] if h - o_ <= o_ - lo else [o_, lo, h, c]
            for k, (p0, p1) in enumerate(itertools.pairwise(path)):
                self.sink.on_clock(times[k + 1])
                if p1 != p0 and self.orders:
                    self._segment(p0, p1)
            if session_close:
                for o in self._priority():
                    if o.order_type is OrderType.MARKET_ON_CLOSE:
                        self._fill(o, o.leaves_qty, c, LiquiditySide.TAKER)
        finally:
            self._bar_cap = None
        self.last_px = c
        self._new.clear()

    def _bar_open(self, px: Decimal, session_open: bool) -> None:
        immediate: list[Order] = []
        for o in self._priority():
            oid = o.client_order_id
            if o.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
                immediate.append(o)
                if o.time_in_force is TimeInForce.FOK and not self._fok_fillable_at(o, px):
                    continue
            t = o.order_type
            if t is OrderType.MARKET_ON_OPEN:
                if session_open:
                    self._fill(o, o.leaves_qty, px, LiquiditySide.TAKER)
                continue
            if t in _STOPS and oid not in self._triggered and not o.is_triggered:
                trig = o.trigger_price
                if trig is not None and (px >= trig if o.is_buy else px <= trig):
                    self._trigger(o)
                elif t is OrderType.TRAILING_STOP:
                    self._trail(o, px, initial=trig is None)
                    continue
                else:
                    continue
            if self._acts_as_market(o):
                self._fill(o, o.leaves_qty, px, LiquiditySide.TAKER, slip=True)
            elif self._is_limit(o) and o.price is not None:
                if (o.is_buy and o.price >= px) or (not o.is_buy and o.price <= px):
                    new = oid in self._new or oid in self._triggered
                    liq = LiquiditySide.TAKER if new else LiquiditySide.MAKER
                    self._fill(o, o.leaves_qty, px, liq, slip=new)
        self._end_immediate(immediate)

    def _fok_fillable_at(self, o: Order, px: Decimal) -> bool:
        cap_ok = self._bar_cap is None or self._bar_cap >= o.leaves_qty
        if o.order_type is OrderType.MARKET:
            return cap_ok
        if o.price is not None and o.order_type is OrderType.LIMIT:
            return cap_ok and (o.price >= px if o.is_buy else o.price <= px)
        return False

    def _segment(self, p0: Decimal, p1: Decimal) -> None:
        up = p1 > p0
        acts: list[tuple[Decimal, int, Order]] = []
        for o in self._priority():
            oid = o.client_order_id
            if o.order_type in _STOPS and oid not in self._triggered and not o.is_triggered:
                t = o.trigger_price
                if t is not None and o.is_buy == up and ((p0 < t <= p1) if up else (p1 <= t < p0)):
                    acts.append((abs(t - p0), self._seq[oid], o))
            elif self._is_limit(o) and o.price is not None and o.is_buy != up:
                lim = o.price
                if (p0 < lim <= p1) if up else (p1 <= lim < p0):
                    acts.append((abs(lim - p0), self._seq[oid], o))
        acts.sort(key=lambda a: (a[0], a[1]))
        for _, _, o in acts:
            if not o.is_open:
                continue
            if (
                o.order_type in _STOPS
                and o.client_order_id not in self._triggered
                and not o.is_triggered
            ):
                trig = o.trigger_price
                assert trig is not None
                self._trigger(o)
                if o.order_type is OrderType.STOP_LIMIT:
                    stop_lim = o.price
                    assert stop_lim is not None
                    if (stop_lim >= trig) if o.is_buy else (stop_lim <= trig):
                        self._fill(o, o.leaves_qty, trig, LiquiditySide.TAKER, slip=True)
                else:
                    self._fill(o, o.leaves_qty, trig, LiquiditySide.TAKER, slip=True)
                continue
            limit_px = o.price
            assert limit_px is not None
            if limit_px == p1:
                if o.client_order_id in self._touch_drawn:
                    continue
                self._touch_drawn.add(o.client_order_id)
                if not self.fill_model.fill_on_touch():
                    continue
            self._fill(o, o.leaves_qty, limit_px, LiquiditySide.MAKER)
        for o in self._priority():
            if o.order_type is OrderType.TRAILING_STOP and o.client_order_id not in self._triggered:
                self._trail(o, p1)

    # -- quotes, trades, books -----------------------------------------------------------

    def process_quote(self, quote: Quote) -> None:
        """Replace the top of book with ``quote`` and match."""
        self.book.update_quote(quote)
        self.has_book = True
        self._match_book(self._priority())

    def process_delta(self, delta: BookDelta) -> None:
        self.book.apply(delta)
        self.has_book = True
        self._match_book(self._priority())

    def process_deltas(self, deltas: Iterable[BookDelta]) -> None:
        """Apply a batch of deltas, then match once."""
        self.book.apply_deltas(deltas)
        self.has_book = True
        self._match_book(self._priority())

    def _snapshot(self, side: OrderSide) -> list[list[Decimal]]:
        book_side = BookSide.ASK if side is OrderSide.BUY else BookSide.BID
        return [[self._px(p), self._qty(s)] for p, s in self.book.levels(book_side, 64)]

    def _arrive_book(self, o: Order) -> None:
        if o.time_in_force is TimeInForce.FOK:
            levels = self._snapshot(o.side)
            limit = o.price if o.order_type is OrderType.LIMIT else None
            avail = sum(
                (
                    sz
                    for px, sz in levels
                    if limit is None or (px <= limit if o.is_buy else px >= limit)
                ),
                ZERO,
            )
            if o.order_type not in (OrderType.MARKET, OrderType.LIMIT) or avail < o.leaves_qty:
                self.sink.on_cancel(o, "fok")
                self.remove(o.client_order_id)
                return
        self._match_book([o])
        self._end_immediate([o])

    def _take(self, o: Order, levels: list[list[Decimal]], limit: Decimal | None) -> None:
        for level in levels:
            if not o.is_open or o.leaves_qty <= 0:
                break
            px, sz = level
            if sz <= 0:
                continue
            if limit is not None and (px > limit if o.is_buy else px < limit):
                break
            level[1] -= self._fill(o, sz, px, LiquiditySide.TAKER, slip=True)

    def _match_book(self, orders: list[Order]) -> None:
        books = {
            OrderSide.BUY: self._snapshot(OrderSide.BUY),
            OrderSide.SELL: self._snapshot(OrderSide.SELL),
        }
        for o in orders:
            if not o.is_open or o.order_type in _AUCTION:
                continue
            oid = o.client_order_id
            levels = books[o.side]
            if o.order_type in _STOPS and oid not in self._triggered and not o.is_triggered:
                ref = levels[0][0] if levels else None
                if ref is None:
                    continue
                if o.order_type is OrderType.TRAILING_STOP:
                    own = self._reference(o.side)
                    if own is not None:
                        self._trail(o, own, initial=o.trigger_price is None)
                trig = o.trigger_price
                if trig is None or not (ref >= trig if o.is_buy else ref <= trig):
                    continue
                self._trigger(o)
                self._new.add(oid)
            if self._acts_as_market(o):
                self._take(o, levels, None)
            elif self._is_limit(o) and o.price is not None:
                if oid in self._new:
                    self._take(o, levels, o.price)
                else:
                    self._rest_crossed(o, levels)
        self._new.difference_update(o.client_order_id for o in orders)

    def _rest_crossed(self, o: Order, levels: list[list[Decimal]]) -> None:
        lim = o.price
        assert lim is not None
        for level in levels:
            px, sz = level
            if (px > lim) if o.is_buy else (px < lim):
                break
            if sz > 0:
                level[1] -= self._fill(o, sz, lim, LiquiditySide.MAKER)
            if not o.is_open:
                break

    def process_trade(self, trade: Trade) -> None:
        """Match against a trade print: stops trigger, limits fill up to the trade's size."""
        px = self._px(trade.price)
        left = self._qty(trade.size) if math.isfinite(trade.size) else ZERO
        self.last_px = px
        for o in self._priority():
            if not o.is_open or left <= 0 or o.order_type in _AUCTION:
                continue
            oid = o.client_order_id
            if o.order_type in _STOPS and oid not in self._triggered and not o.is_triggered:
                if o.order_type is OrderType.TRAILING_STOP:
                    self._trail(o, px, initial=o.trigger_price is None)
                trig = o.trigger_price
                if trig is None or not (px >= trig if o.is_buy else px <= trig):
                    continue
                self._trigger(o)
            if self._acts_as_market(o):
                levels = self._snapshot(o.side) if self.has_book else []
                if levels:
                    self._take(o, levels, None)
                else:
                    left -= self._fill(o, left, px, LiquiditySide.TAKER, slip=True)
            elif self._is_limit(o) and o.price is not None:
                lim = o.price
                through = px < lim if o.is_buy else px > lim
                if px == lim and not self.fill_model.fill_on_touch():
                    continue
                if through or px == lim:
                    left -= self._fill(o, left, lim, LiquiditySide.MAKER)

    def process_auction(self, price: float | Decimal, *, is_open: bool) -> None:
        """Fill MOO (``is_open``) or MOC orders at an auction ``price`` (book/tick data)."""
        px = price if isinstance(price, Decimal) else self._px(price)
        kind = OrderType.MARKET_ON_OPEN if is_open else OrderType.MARKET_ON_CLOSE
        for o in self._priority():
            if o.order_type is kind:
                self._fill(o, o.leaves_qty, px, LiquiditySide.TAKER)
