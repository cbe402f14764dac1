"""The simulated venue: order commands in, order events out, deterministic given its seeds.

The same venue serves backtests (a replayed clock: the engine passes each data point's time)
and paper trading (a wall clock: the caller passes ``now_ns()``). The venue never reads a clock
itself: every command and every market data call carries its time (int ns UTC), and
:meth:`SimulatedVenue.advance` moves the venue's time forward.

Flow of one order:

- ``submit(order, ts)`` emits ``OrderSubmitted`` at ``ts``; the command arrives at
  ``ts + latency``; at arrival the venue rejects (stable :class:`RejectReason` codes) or accepts
  it and hands it to the instrument's :class:`MatchingEngine`.
- Fills are priced by the matching engine, charged by the fee model and emitted as
  ``OrderFilled`` with a venue trade id ``<venue>-T<n>``.
- ``cancel``/``modify`` emit ``OrderPendingCancel``/``OrderPendingUpdate`` at once and take
  effect (or are refused) at arrival.
- DAY orders expire at the session close (``session_close`` local time in the instrument's
  exchange time zone; UTC midnight for ``24/7`` calendars); GTD orders at ``expire_time_ns``
  (:mod:`nautilus.execution.sessions`).
- Bracket children are held until the entry fills and are released with the entry's filled
  quantity; exits linked OUO shrink each other on partial fills and cancel on a full fill; OCO
  members cancel each other on any fill (:mod:`nautilus.execution.contingency`).
- :meth:`SimulatedVenue.forget` drops a finished order's state (long backtests call it).

The venue keeps its own copy of every order and only emits an event after applying it to that
copy, so the event stream always walks legal transitions of the order state machine.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from nautilus.core.errors import ConflictError, NotFoundError
from nautilus.execution.config import ModelChoice, SimulatedVenueConfig
from nautilus.execution.contingency import ContingentOrders
from nautilus.execution.matching import MatchingEngine, MatchSink
from nautilus.execution.models import (
    FEE_MODELS,
    FILL_MODELS,
    LATENCY_MODELS,
    SLIPPAGE_MODELS,
    FeeModel,
    FillModel,
    LatencyModel,
    SlippageModel,
    build_model,
)
from nautilus.execution.sessions import ExpiryQueue, SessionCalendar
from nautilus.model.data import Bar, BookDelta, Quote, Timeframe, Trade
from nautilus.model.events import (
    LiquiditySide,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
    RejectReason,
    TimeInForce,
)
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order, OrderList

log = logging.getLogger(__name__)
ZERO = Decimal(0)
_TF_NS = {tf.value: tf.ns for tf in Timeframe}
_D1_NS = Timeframe.D1.ns


def _build(registry: Any, choice: ModelChoice, seed: int | None, salt: int) -> Any:
    params = dict(choice.params)
    cfg = registry.spec(choice.name).config
    if seed is not None and cfg is not None and "seed" in cfg.model_fields and "seed" not in params:
        params["seed"] = seed + salt
    return build_model(registry, choice.name, params)


class SimulatedVenue(ContingentOrders, MatchSink):
    """Simulated exchange for a set of instruments. ``on_event`` receives every order event."""

    def __init__(
        self,
        config: SimulatedVenueConfig,
        instruments: Iterable[Instrument],
        on_event: Callable[[OrderEvent], None],
        *,
        latency: LatencyModel | None = None,
        fees: FeeModel | None = None,
        slippage: Iterable[SlippageModel] | None = None,
        fill_model: FillModel | None = None,
    ) -> None:
        self.config = config
        self.on_event = on_event
        self.instruments = {i.id: i for i in instruments}
        seed = config.seed
        self.latency = latency or _build(LATENCY_MODELS, config.latency, seed, 1)
        self.fees = fees or _build(FEE_MODELS, config.fees, seed, 2)
        self.slippage = (
            list(slippage)
            if slippage is not None
            else [_build(SLIPPAGE_MODELS, c, seed, 3 + i) for i, c in enumerate(config.slippage)]
        )
        self.fill_model = fill_model or _build(FILL_MODELS, config.fill_model, seed, 100)
        self.engines = {
            iid: MatchingEngine(
                inst,
                self,
                book_type=config.book_type,
                slippage=self.slippage,
                fill_model=self.fill_model,
            )
            for iid, inst in self.instruments.items()
        }
        self.orders: dict[str, Order] = {}
        self.net_qty: dict[str, Decimal] = {}
        self.clock_ns = 0
        self.sessions = SessionCalendar(config.session_close)
        self._queue: list[tuple[int, int, str, Any]] = []
        self._qseq = 0
        self._expiry = ExpiryQueue()
        self._held: dict[str, list[Order]] = {}
        self._released: set[str] = set()
        self._last_arrival: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._forget_later: set[str] = set()
        self._trade_n = 0
        self._order_n = 0
        self._arrivals: dict[str, Callable[[Any], None]] = {
            "submit": self._arrive_submit,
            "cancel": self._arrive_cancel,
            "modify": self._arrive_modify,
        }

    # -- commands ------------------------------------------------------------------------

    def _schedule(self, ts: int, kind: str, payload: Any) -> None:
        # Commands of one order arrive in the order sent (one session), whatever the jitter.
        oid = payload if isinstance(payload, str) else payload[0]
        arrival = max(
            max(ts, self.clock_ns) + self.latency.delay_ns(), self._last_arrival.get(oid, 0)
        )
        self._last_arrival[oid] = arrival
        self._in_flight[oid] = self._in_flight.get(oid, 0) + 1
        heapq.heappush(self._queue, (arrival, self._qseq, kind, payload))
        self._qseq += 1

    def forget(self, client_order_id: str) -> bool:
        """Drop a closed order's state (long runs keep memory flat); ``False`` if it is open.

        A closed order with commands still travelling is dropped once the last one arrives.
        """
        order = self.orders.get(client_order_id)
        if order is None or not order.is_closed or client_order_id in self._held:
            return False
        if self._in_flight.get(client_order_id):
            self._forget_later.add(client_order_id)
            return True
        del self.orders[client_order_id]
        self._last_arrival.pop(client_order_id, None)
        self._released.discard(client_order_id)
        engine = self.engines.get(order.instrument_id)
        if engine is not None:
            engine.forget(client_order_id)
        return True

    def submit(self, order: Order, ts: int) -> Order:
        """Send ``order`` at ``ts``; a known ``client_order_id`` returns the original, no event."""
        known = self.orders.get(order.client_order_id)
        if known is not None:
            return known
        own = order.clone_initial()
        self.orders[own.client_order_id] = own
        self._emit(
            own,
            OrderSubmitted(
                client_order_id=own.client_order_id,
                instrument_id=own.instrument_id,
                ts_event=ts,
                ts_init=ts,
            ),
        )
        if own.parent_order_id is not None and own.parent_order_id in self.orders:
            self._held.setdefault(own.parent_order_id, []).append(own)
        else:
            self._schedule(ts, "submit", own.client_order_id)
        return own

    def submit_list(self, order_list: OrderList, ts: int) -> list[Order]:
        """Send every order of a bracket or OCO group; bracket children wait for the entry."""
        return [self.submit(o, ts) for o in order_list]

    def cancel(self, client_order_id: str, ts: int) -> None:
        order = self._known(client_order_id)
        self._emit(
            order,
            OrderPendingCancel(
                client_order_id=client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
            ),
        )
        self._schedule(ts, "cancel", client_order_id)

    def modify(
        self,
        client_order_id: str,
        ts: int,
        *,
        quantity: object | None = None,
        price: object | None = None,
        trigger_price: object | None = None,
    ) -> None:
        """Change quantity / limit price / trigger price; validated at arrival."""
        order = self._known(client_order_id)
        self._emit(
            order,
            OrderPendingUpdate(
                client_order_id=client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
            ),
        )
        self._schedule(ts, "modify", (client_order_id, quantity, price, trigger_price))

    def _known(self, client_order_id: str) -> Order:
        order = self.orders.get(client_order_id)
        if order is None:
            raise NotFoundError(
                f"unknown order {client_order_id}", code=RejectReason.UNKNOWN_ORDER.value
            )
        if order.is_closed:
            raise ConflictError(
                f"order {client_order_id} is {order.status.value}",
                code=RejectReason.ORDER_CLOSED.value,
            )
        return order

    # -- time ----------------------------------------------------------------------------

    def advance(self, ts: int) -> None:
        """Move the venue clock to ``ts``: deliver arrived commands, expire DAY/GTD orders."""
        queue = self._queue
        while queue and queue[0][0] <= ts:
            arrival, _, kind, payload = heapq.heappop(queue)
            self._expire(arrival)
            if arrival > self.clock_ns:
                self.clock_ns = arrival
            oid = payload if isinstance(payload, str) else payload[0]
            left = self._in_flight[oid] - 1
            if left:
                self._in_flight[oid] = left
            else:
                del self._in_flight[oid]
            self._arrivals[kind](payload)
            if not left and oid in self._forget_later:
                self._forget_later.discard(oid)
                self.forget(oid)
        self._expire(ts)
        if ts > self.clock_ns:
            self.clock_ns = ts

    def _expire(self, ts: int) -> None:
        nxt = self._expiry.next_due()
        if nxt is None or nxt > ts:
            return
        for t, oid in self._expiry.pop_due(ts):
            order = self.orders[oid]
            if order.is_open:
                self.clock_ns = max(self.clock_ns, t)
                if self._emit(
                    order,
                    OrderExpired(
                        client_order_id=oid,
                        instrument_id=order.instrument_id,
                        ts_event=t,
                        ts_init=t,
                    ),
                ):
                    self._closed(order)

    def day_expiry_ns(self, instrument: Instrument, ts: int) -> int:
        """The next session close at or after ``ts`` (int ns UTC) for a DAY order."""
        return self.sessions.day_expiry_ns(instrument, ts)

    # -- arrivals ------------------------------------------------------------------------

    def _reject(self, order: Order, reason: RejectReason, message: str = "") -> None:
        ts = self.clock_ns
        if self._emit(
            order,
            OrderRejected(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
                reason=reason.value,
                message=message,
            ),
        ):
            self._closed(order)

    def _arrive_submit(self, oid: str) -> None:
        order = self.orders[oid]
        if order.venue_order_id is not None or order.is_closed:
            return
        engine = self.engines.get(order.instrument_id)
        if engine is None:
            self._reject(order, RejectReason.UNKNOWN_INSTRUMENT)
            return
        ts = self.clock_ns
        if order.time_in_force is TimeInForce.GTD and (order.expire_time_ns or 0) <= ts:
            self._reject(order, RejectReason.EXPIRED_GTD)
            return
        if order.post_only and engine.would_take(order):
            self._reject(order, RejectReason.POST_ONLY_WOULD_TAKE)
            return
        if order.reduce_only and self._reduce_room(order) <= 0:
            self._reject(order, RejectReason.REDUCE_ONLY_WOULD_INCREASE)
            return
        self._order_n += 1
        self._emit(
            order,
            OrderAccepted(
                client_order_id=oid,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
                venue_order_id=f"{self.config.venue}-{self._order_n}",
            ),
        )
        if order.time_in_force is TimeInForce.GTD and order.expire_time_ns is not None:
            self._expiry.add(oid, order.expire_time_ns)
        elif order.time_in_force is TimeInForce.DAY:
            self._expiry.add(oid, self.day_expiry_ns(engine.instrument, ts))
        parent = self.orders.get(order.parent_order_id or "")
        if parent is not None and 0 < parent.filled_qty < order.quantity:
            self._update_qty(order, parent.filled_qty)
        engine.add(order)

    def _arrive_cancel(self, oid: str) -> None:
        order = self.orders[oid]
        ts = self.clock_ns
        if order.is_closed:
            self._emit(
                order,
                OrderCancelRejected(
                    client_order_id=oid,
                    instrument_id=order.instrument_id,
                    ts_event=ts,
                    ts_init=ts,
                    reason=RejectReason.ORDER_CLOSED.value,
                ),
            )
            return
        self._cancel(order, "user")

    def _arrive_modify(self, payload: tuple[str, object, object, object]) -> None:
        oid, quantity, price, trigger = payload
        order = self.orders[oid]
        inst = self.instruments.get(order.instrument_id)
        ts = self.clock_ns
        if order.is_closed or inst is None:
            return
        try:
            qty = inst.make_qty(quantity) if quantity is not None else None
            px = inst.make_price(price) if price is not None else None
            trig = inst.make_price(trigger) if trigger is not None else None
            if (
                (qty is not None and qty <= 0)
                or (px is not None and px <= 0)
                or (trig is not None and trig <= 0)
            ):
                raise ConflictError("values must be positive", code="invalid_quantity")
            if qty is not None and qty < order.filled_qty:
                raise ConflictError("below filled", code=RejectReason.QUANTITY_BELOW_FILLED.value)
        except Exception as exc:  # any invalid modify is answered, never raised at the venue
            code = getattr(exc, "code", RejectReason.INVALID_NUMBER.value)
            self._emit(
                order,
                OrderModifyRejected(
                    client_order_id=oid,
                    instrument_id=order.instrument_id,
                    ts_event=ts,
                    ts_init=ts,
                    reason=code,
                    message=str(exc),
                ),
            )
            return
        if self._emit(
            order,
            OrderUpdated(
                client_order_id=oid,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
                quantity=qty,
                price=px,
                trigger_price=trig,
            ),
        ):
            if order.is_closed:
                self._closed(order)
            elif order.client_order_id in self.engines[order.instrument_id].orders:
                self.engines[order.instrument_id].repriced(order)

    # -- market data ---------------------------------------------------------------------

    def _engine(self, instrument_id: str) -> MatchingEngine:
        engine = self.engines.get(instrument_id)
        if engine is None:
            raise NotFoundError(
                f"venue has no instrument {instrument_id}",
                code=RejectReason.UNKNOWN_INSTRUMENT.value,
            )
        return engine

    def process_bar(
        self, bar: Bar, *, session_open: bool | None = None, session_close: bool | None = None
    ) -> None:
        """Match on ``bar``: commands arriving by the bar's open are matched on it.

        Session flags default to ``True`` for daily and longer bars; for intraday bars a
        session opens on the first bar of a new exchange-local date and closes only when
        ``session_close=True`` is passed.
        """
        engine = self._engine(bar.instrument_id)
        tf_ns = _TF_NS.get(bar.timeframe) or Timeframe(bar.timeframe).ns
        t_open = bar.ts_event - tf_ns
        self.advance(t_open)
        daily = tf_ns >= _D1_NS
        if session_open is None:
            new_day = self.sessions.new_day(engine.instrument, t_open)
            session_open = daily or new_day
        engine.process_bar(
            bar,
            session_open=session_open,
            session_close=daily if session_close is None else session_close,
        )
        self.advance(bar.ts_event)

    def process_quote(self, quote: Quote) -> None:
        self.advance(quote.ts_event)
        self._engine(quote.instrument_id).process_quote(quote)

    def process_trade(self, trade: Trade) -> None:
        self.advance(trade.ts_event)
        self._engine(trade.instrument_id).process_trade(trade)

    def process_delta(self, delta: BookDelta) -> None:
        self.advance(delta.ts_event)
        self._engine(delta.instrument_id).process_delta(delta)

    def process_deltas(self, deltas: list[BookDelta]) -> None:
        """Apply a batch of deltas of one instrument (timed by the last), then match once."""
        if not deltas:
            return
        self.advance(deltas[-1].ts_event)
        self._engine(deltas[0].instrument_id).process_deltas(deltas)

    def process_auction(
        self, instrument_id: str, price: float | Decimal, ts: int, *, is_open: bool
    ) -> None:
        """Opening (``is_open``) or closing auction at ``price``: fills MOO or MOC orders."""
        self.advance(ts)
        self._engine(instrument_id).process_auction(price, is_open=is_open)

    # -- MatchSink -----------------------------------------------------------------------

    def _reduce_room(self, order: Order) -> Decimal:
        net = self.net_qty.get(order.instrument_id, ZERO)
        return abs(net) if net * order.side.sign < 0 else ZERO

    def on_fill(self, order: Order, qty: Decimal, px: Decimal, liquidity: LiquiditySide) -> Decimal:
        if order.reduce_only:
            qty = min(qty, self._reduce_room(order))
            if qty <= 0:
                self._cancel(order, "reduce_only")
                return ZERO
        inst = self.instruments[order.instrument_id]
        ts = self.clock_ns
        commission = self.fees.commission(inst, qty, px, liquidity, ts)
        self._trade_n += 1
        fill = OrderFilled(
            client_order_id=order.client_order_id,
            instrument_id=order.instrument_id,
            ts_event=ts,
            ts_init=ts,
            venue_order_id=order.venue_order_id or "",
            trade_id=f"{self.config.venue}-T{self._trade_n}",
            side=order.side,
            order_type=order.order_type,
            last_qty=qty,
            last_px=px,
            currency=inst.currency,
            commission=commission,
            commission_currency=inst.currency,
            liquidity_side=liquidity,
            position_id=order.position_id,
        )
        if not self._emit(order, fill):
            return ZERO
        self.net_qty[order.instrument_id] = (
            self.net_qty.get(order.instrument_id, ZERO) + order.side.sign * qty
        )
        self._contingencies(order)
        if order.is_closed:
            self._closed(order)
        return qty

    def on_trigger(self, order: Order) -> None:
        ts = self.clock_ns
        self._emit(
            order,
            OrderTriggered(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
            ),
        )

    def on_cancel(self, order: Order, reason: str) -> None:
        self._cancel(order, reason)

    def on_clock(self, ts: int) -> None:
        # Orders whose expire time falls strictly before ``ts`` do not trade at ``ts``.
        self._expire(ts - 1)
        self.clock_ns = max(self.clock_ns, ts)

    def on_trigger_moved(self, order: Order, trigger_price: Decimal) -> None:
        ts = self.clock_ns
        self._emit(
            order,
            OrderUpdated(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
                trigger_price=trigger_price,
            ),
        )

    # -- internals -----------------------------------------------------------------------

    def _emit(self, order: Order, event: OrderEvent) -> bool:
        try:
            applied = order.apply(event)
        except ConflictError as exc:
            log.info(
                "venue dropped %s for %s: %s", type(event).__name__, order.client_order_id, exc.code
            )
            return False
        if applied:
            self.on_event(event)
        return applied

    def _cancel(self, order: Order, reason: str) -> None:
        ts = self.clock_ns
        if self._emit(
            order,
            OrderCanceled(
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=ts,
                ts_init=ts,
                reason=reason,
            ),
        ):
            self._closed(order)
