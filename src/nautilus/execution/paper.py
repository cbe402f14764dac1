"""Paper trading: a strategy on a live feed against the simulated venue.

The strategy, runtime, OMS and venue are the classes of the event-driven backtest; what differs
is the data (bars pushed by a live source: the replay source at N x speed or a provider
stream) and the clock: :class:`~nautilus.backtest.event.clock.WallClock` for provider streams,
:class:`~nautilus.backtest.event.clock.FeedClock` (the latest bar's close time) for replayed
feeds, so a replay at ``speed=inf`` makes exactly the orders and fills of a backtest on the
same bars.

Per bar (under the session lock, which REST commands share): the clock observes the bar's
close; if the instrument has working orders the venue matches them on the bar; the series
takes the bar as a one-bar block (indicators update); due timers fire; ``on_bar`` runs.
Higher timeframes are aggregated here and delivered when a base bar closes their period.

Restart: :meth:`PaperSession.resume` rebuilds orders, positions and cash from the ledger,
re-places working orders at a fresh simulated venue (whose ids get a new prefix so trade ids
never collide with stored ones), and reconciles against that venue's report before the
strategy resumes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from nautilus.backtest.event.clock import Clock, FeedClock
from nautilus.bus.base import MessageBus
from nautilus.core.time import now_ns
from nautilus.execution.config import SimulatedVenueConfig
from nautilus.execution.oms import Ledger, Oms, OrderReport, VenueReport
from nautilus.execution.pretrade import PreTradeGate
from nautilus.execution.venue import SimulatedVenue
from nautilus.model.account import CashAccount
from nautilus.model.data import Bar, Quote, Timeframe, Trade
from nautilus.model.events import OrderEvent, OrderStatus
from nautilus.model.instrument import Instrument
from nautilus.model.position import OmsType
from nautilus.strategy.base import Strategy
from nautilus.strategy.runtime import StrategyRuntime
from nautilus.strategy.series import BarSeries

log = logging.getLogger(__name__)


class BarFeed(Protocol):
    """A live bar source (``ReplaySource``, a provider's live stream)."""

    def subscribe_bars(self, instrument_id: str, timeframe: Any, callback: Any) -> Any: ...


class _Bucket:
    __slots__ = ("c", "h", "label", "lo", "o", "v")

    def __init__(self, label: int, bar: Bar) -> None:
        self.label = label
        self.o, self.h, self.lo, self.c, self.v = bar.open, bar.high, bar.low, bar.close, bar.volume

    def add(self, bar: Bar) -> None:
        self.h = max(self.h, bar.high)
        self.lo = min(self.lo, bar.low)
        self.c = bar.close
        self.v += bar.volume


def _one(values: Iterable[float]) -> np.ndarray:
    return np.fromiter(values, dtype=np.float64)


class PaperSession:
    """One strategy trading one account on a live feed (see the module docstring)."""

    def __init__(
        self,
        strategy: Strategy,
        instruments: Iterable[Instrument],
        *,
        account_id: str,
        base_timeframe: Timeframe | str,
        initial_cash: Decimal = Decimal(1_000_000),
        currency: str = "USD",
        venue: SimulatedVenueConfig | None = None,
        clock: Clock | None = None,
        ledger: Ledger | None = None,
        gate: PreTradeGate | None = None,
        bus: MessageBus | None = None,
        oms_type: OmsType = OmsType.NETTING,
    ) -> None:
        self.account_id = account_id
        self.instruments = {i.id: i for i in instruments}
        self.base_timeframe = Timeframe(base_timeframe)
        self.clock = clock or FeedClock()
        self.lock = threading.RLock()
        account = CashAccount(account_id, currency)
        account.deposit(initial_cash)
        self.initial_cash = initial_cash
        self.venue_config = venue or SimulatedVenueConfig(seed=0)
        self.oms = Oms(
            account,
            self.instruments.values(),
            clock=self.clock.now_ns,
            gate=gate,
            ledger=ledger,
            bus=bus,
            oms_type=oms_type,
            strategy_id=strategy.strategy_id,
        )
        self.venue = SimulatedVenue(
            self.venue_config, self.instruments.values(), self._on_venue_event
        )
        self.oms.venue = self.venue
        self.strategy = strategy
        self.runtime = StrategyRuntime(strategy, self.oms, base_timeframe=self.base_timeframe.value)
        self.equity: list[tuple[int, float]] = []
        self.bars_seen = 0
        self.state = "created"
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._subscriptions: list[Any] = []

    def _on_venue_event(self, event: OrderEvent) -> None:
        self.oms.on_venue_event(event)

    def _now(self) -> int:
        return self.clock.now_ns()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, feed: BarFeed | None = None) -> None:
        """``on_start`` (subscriptions), then subscribe the feed for every instrument."""
        with self.lock:
            self.runtime.now = self._now()
            self.runtime.start()
            self.state = "running"
            if feed is not None:
                for iid in sorted({s.instrument_id for s in self.runtime.series.values()}):
                    self._subscriptions.append(
                        feed.subscribe_bars(iid, self.base_timeframe, self.on_bar)
                    )

    def stop(self) -> None:
        """Stop means stop: ``on_stop``, then the OMS refuses every later order."""
        with self.lock:
            if self.state == "stopped":
                return
            self.state = "stopped"
            self.runtime.stop()
            for sub in self._subscriptions:
                deactivate = getattr(sub, "cancel", None) or getattr(sub, "close", None)
                if callable(deactivate):
                    deactivate()
                elif hasattr(sub, "active"):
                    sub.active = False

    # -- market data ---------------------------------------------------------------------

    def on_bar(self, bar: Bar) -> None:
        """A base-timeframe bar closed (called by the feed, any thread)."""
        with self.lock:
            if self.state != "running":
                return
            rt = self.runtime
            iid = bar.instrument_id
            series = sorted(
                (s for s in rt.series.values() if s.instrument_id == iid), key=lambda x: x.tf_ns
            )
            for s in series:
                b = self._buckets.get(s.key)
                if b is not None and b.label < bar.ts_event:
                    # the period closed before this bar: deliver it at its own close first
                    del self._buckets[s.key]
                    self._advance(b.label)
                    self._deliver(s, b.label, b.o, b.h, b.lo, b.c, b.v)
            self._advance(bar.ts_event)
            if self.oms.open_count.get(iid):
                self.venue.process_bar(bar)
            self.bars_seen += 1
            for s in series:
                if s.tf_ns == self.base_timeframe.ns:
                    self._deliver(
                        s, bar.ts_event, bar.open, bar.high, bar.low, bar.close, bar.volume
                    )
                else:
                    self._aggregate(s, bar)
            self.equity.append((bar.ts_event, rt.equity()))

    def _advance(self, ts: int) -> None:
        observe = getattr(self.clock, "observe", None)
        if observe is not None:
            observe(ts)
        self.runtime.now = max(self._now(), self.runtime.now)

    def _aggregate(self, s: BarSeries, bar: Bar) -> None:
        label = ((bar.ts_event - 1) // s.tf_ns + 1) * s.tf_ns
        b = self._buckets.get(s.key)
        if b is None:
            b = self._buckets[s.key] = _Bucket(label, bar)
        else:
            b.add(bar)
        if bar.ts_event == label:
            del self._buckets[s.key]
            self._deliver(s, label, b.o, b.h, b.lo, b.c, b.v)

    def _deliver(
        self, s: BarSeries, ts: int, o: float, h: float, lo: float, c: float, v: float
    ) -> None:
        s.load(
            np.array([ts], dtype=np.int64),
            {
                "open": _one((o,)),
                "high": _one((h,)),
                "low": _one((lo,)),
                "close": _one((c,)),
                "volume": _one((v,)),
            },
        )
        s.i = 1
        rt = self.runtime
        if rt.now >= rt.next_timer:
            rt.fire_timers(rt.now)
        self.strategy.on_bar(s)

    def on_quote(self, quote: Quote) -> None:
        with self.lock:
            if self.state != "running":
                return
            self.venue.process_quote(quote)
            self.runtime.deliver_quote(quote)

    def on_trade(self, trade: Trade) -> None:
        with self.lock:
            if self.state != "running":
                return
            self.venue.process_trade(trade)
            self.runtime.deliver_trade(trade)

    # -- restart -------------------------------------------------------------------------

    def venue_report(self) -> VenueReport:
        """What the simulated venue holds: its orders and its net positions."""
        orders = [
            OrderReport(
                client_order_id=o.client_order_id,
                instrument_id=o.instrument_id,
                status=o.status,
                filled_qty=o.filled_qty,
                venue_order_id=o.venue_order_id,
            )
            for o in self.venue.orders.values()
        ]
        return VenueReport(
            account_id=self.account_id,
            orders=orders,
            fills=[],
            positions=dict(self.venue.net_qty),
            ts=self._now(),
        )

    def resume(self, orders: Any, events: Any) -> dict[str, Any]:
        """Rebuild state from the ledger and reconcile before the strategy starts.

        Call before :meth:`start`. Working orders are placed again at a fresh venue (its ids
        carry a new prefix); the venue's positions are those of the stored fills.
        """
        with self.lock:
            self.oms.restore(orders, events)
            fresh = self.venue_config.model_copy(
                update={"venue": f"{self.venue_config.venue}-R{now_ns()}"}
            )
            self.venue = SimulatedVenue(fresh, self.instruments.values(), self._on_venue_event)
            self.oms.venue = self.venue
            for pos in self.oms.book.open_positions():
                self.venue.net_qty[pos.instrument_id] = (
                    self.venue.net_qty.get(pos.instrument_id, Decimal(0)) + pos.signed_qty
                )
            last_ts = max((o.ts_last for o in self.oms.orders), default=0)
            observe = getattr(self.clock, "observe", None)
            if observe is not None:
                observe(last_ts)
            for order in self.oms.open_orders():
                self.venue.submit(order, self._now())
                if order.status is OrderStatus.PENDING_CANCEL:
                    # the cancel was sent before the restart: send it again
                    self.venue.cancel(order.client_order_id, self._now())
            summary = self.oms.reconcile(self.venue_report())
            n = 0
            for o in self.oms.orders:
                tail = o.client_order_id.rsplit("-", 1)[-1]
                if tail.isdigit():
                    n = max(n, int(tail))
            self.runtime._order_n = n
            return summary
