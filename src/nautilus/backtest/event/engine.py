"""The event-driven backtest engine: the live trading path on a replayed clock.

``strategy -> OMS (gate, store) -> SimulatedVenue -> OMS -> positions, cash``: the same
strategy, OMS and venue classes as paper and live trading; only the clock (replayed) and the
data feed (stored bars in blocks) differ.

Loop, per bar (in time order; equal times: finer timeframe first, then subscription order):

1. the clock moves to the bar's close time ``ts`` (int ns UTC); due timers fire;
2. if the instrument has working orders (or commands in flight), the venue matches them on the
   bar (orders that arrived by the bar's open trade on it; see ``execution/matching.py``);
   instruments without working orders cost no venue call;
3. indicators of the series are already current (computed per block by their streaming
   kernels, causal); ``on_bar`` runs. Orders it sends reach the venue after its latency and
   trade on the next bar at the earliest.

Bars are decoded once per block into Python lists; a bar costs a cursor store and the
strategy's own work. The equity curve is computed per block with numpy from the fill log
(cash and positions as step functions, marked at each bar's close), one value per distinct
bar time. Memory is bounded by the block size, the orders and fills, and 16 bytes per equity
point. Deterministic: order ids, venue ids and every model seed derive from the config.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.backtest.event.clock import ReplayClock
from nautilus.backtest.event.feed import (
    DEFAULT_BLOCK_ROWS,
    Block,
    Part,
    frame_blocks,
    merge_blocks,
    resample_blocks,
)
from nautilus.backtest.event.results import (
    EventBacktestResult,
    encode_row,
    fill_row,
    order_row,
    position_row,
)
from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.execution.config import SimulatedVenueConfig
from nautilus.execution.oms import Oms
from nautilus.execution.pretrade import PreTradeGate
from nautilus.execution.venue import SimulatedVenue
from nautilus.model.account import CashAccount
from nautilus.model.data import Bar, Timeframe
from nautilus.model.events import OrderDenied, OrderEvent, OrderFilled, OrderSubmitted
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order
from nautilus.model.position import OmsType
from nautilus.strategy.base import Strategy
from nautilus.strategy.runtime import StrategyRuntime
from nautilus.strategy.series import BarSeries

log = logging.getLogger(__name__)
ProgressFn = Callable[[float, str], None]
BlockSource = pd.DataFrame | Iterable[Block] | Callable[[], Iterator[Block]]


class EventBacktestConfig(FrozenConfig):
    """Settings of one event-driven run (money Decimal, in ``currency``)."""

    initial_cash: Decimal = Field(Decimal(1_000_000), gt=0, description="Starting cash.")
    currency: str = Field("USD", min_length=3, max_length=3)
    account_id: str = Field("BT-001", max_length=64)
    oms_type: OmsType = OmsType.NETTING
    venue: SimulatedVenueConfig = SimulatedVenueConfig()
    seed: int = Field(0, description="Seeds every venue model that takes a seed.")
    block_rows: int = Field(
        DEFAULT_BLOCK_ROWS, ge=1, le=10_000_000, description="Bars decoded per block and stream."
    )
    periods_per_year: float | None = Field(
        None,
        gt=0,
        description="Equity points per year; default from the base timeframe and calendar.",
    )


def periods_per_year(timeframe: str, calendar: str) -> float:
    """Bars per year: 252 sessions of 6.5 h for exchange calendars, 365 x 24 h otherwise."""
    tf = Timeframe(timeframe).ns
    day = Timeframe.D1.ns
    if tf >= day:
        return (252.0 if calendar not in ("24/7",) else 365.0) * day / tf
    session = 23_400 * 1_000_000_000 if calendar not in ("24/7", "24/5") else day
    return (252.0 if calendar != "24/7" else 365.0) * session / tf


_FIRST_EVENTS = frozenset({OrderSubmitted, OrderDenied})


class _FillLog:
    """OMS listener keeping the fills and, per fill, the exact cash and net quantity after it
    (floats of the Decimal ledger values, so the equity curve does not depend on how the run
    was cut into blocks)."""

    def __init__(self, runtime: StrategyRuntime, index: dict[str, int]) -> None:
        self.runtime = runtime
        self.oms = runtime.oms
        self.index = index
        self.fills: list[bytes] = []
        self.sequence: list[str] = []
        self.rows: list[tuple[int, int, float, float]] = []

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        # an order's first event (submitted or denied) fixes its place in the results
        if type(event) in _FIRST_EVENTS:
            self.sequence.append(order.client_order_id)

    def on_order_fill(self, order: Order, fill: OrderFilled) -> None:
        self.fills.append(encode_row(fill_row(fill)))
        iid = fill.instrument_id
        self.rows.append(
            (
                self.runtime.now,
                self.index[iid],
                float(self.oms.net_qty(iid)),
                float(self.oms.cash()),
            )
        )


class EventBacktest:
    """One strategy, its instruments and their bars; :meth:`run` returns the results.

    >>> # see examples/ema_cross.py for a complete run
    """

    def __init__(
        self,
        strategy: Strategy,
        instruments: Iterable[Instrument],
        config: EventBacktestConfig | None = None,
        *,
        gate: PreTradeGate | None = None,
    ) -> None:
        self.config = config or EventBacktestConfig()
        self.strategy = strategy
        self.instruments = {i.id: i for i in instruments}
        self.clock = ReplayClock()
        cfg = self.config
        account = CashAccount(cfg.account_id, cfg.currency)
        account.deposit(cfg.initial_cash)
        self.oms = Oms(
            account,
            self.instruments.values(),
            clock=self.clock.now_ns,
            gate=gate,
            oms_type=cfg.oms_type,
            strategy_id=strategy.strategy_id,
        )
        venue_cfg = (
            cfg.venue
            if cfg.venue.seed is not None
            else cfg.venue.model_copy(update={"seed": cfg.seed})
        )
        self.venue = SimulatedVenue(venue_cfg, self.instruments.values(), self.oms.on_venue_event)
        self.oms.venue = self.venue
        self._data: dict[str, tuple[str, BlockSource]] = {}
        self.runtime: StrategyRuntime | None = None
        self.bars_processed = 0
        self._done: dict[str, bytes] = {}
        self._positions: list[bytes] = []

    def add_bars(self, instrument_id: str, timeframe: Timeframe | str, data: BlockSource) -> None:
        """Bars of ``instrument_id`` at ``timeframe``: a frame, blocks, or a block factory."""
        if instrument_id not in self.instruments:
            raise ValidationError(f"unknown instrument {instrument_id}", code="unknown_instrument")
        self._data[instrument_id] = (Timeframe(timeframe).value, data)

    def _blocks(self, instrument_id: str) -> Iterator[Block]:
        _, src = self._data[instrument_id]
        if isinstance(src, pd.DataFrame):
            return frame_blocks(src, self.config.block_rows)
        if callable(src):
            return iter(src())
        return iter(src)

    def _streams(self, rt: StrategyRuntime) -> tuple[list[BarSeries], list[Iterator[Block]]]:
        by_inst: dict[str, list[BarSeries]] = {}
        order = sorted(enumerate(rt.series.values()), key=lambda e: (e[1].tf_ns, e[0]))
        for _, s in order:
            by_inst.setdefault(s.instrument_id, []).append(s)
        iters: dict[int, Iterator[Block]] = {}
        for iid, lst in by_inst.items():
            if iid not in self._data:
                raise ValidationError(f"no bars for {iid}", code="no_data")
            base_tf = Timeframe(self._data[iid][0]).ns
            copies = itertools.tee(self._blocks(iid), len(lst))
            for s, it in zip(lst, copies, strict=True):
                if s.tf_ns < base_tf:
                    raise ValidationError(
                        f"{s.timeframe} is finer than the {iid} data", code="timeframe_too_fine"
                    )
                iters[id(s)] = it if s.tf_ns == base_tf else resample_blocks(it, s.tf_ns)
        series = [s for _, s in order]
        return series, [iters[id(s)] for s in series]

    def run(
        self,
        progress: ProgressFn | None = None,
        *,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> EventBacktestResult:
        """Replay every bar through the strategy; ``start_ns``/``end_ns`` only scale progress."""
        with _heap_frozen():
            return self._run(progress, start_ns, end_ns)

    def _run(
        self, progress: ProgressFn | None, start_ns: int | None, end_ns: int | None
    ) -> EventBacktestResult:
        t0 = time.perf_counter()
        base = next(iter(self._data.values()))[0] if self._data else "1m"
        rt = StrategyRuntime(self.strategy, self.oms, base_timeframe=base)
        self.runtime = rt
        self.oms.clock = rt.now_ns  # the replayed time is the runtime's ``now``
        rt.start()
        series, iters = self._streams(rt)
        index = {iid: k for k, iid in enumerate(self.instruments)}
        log_ = _FillLog(rt, index)
        self.oms.listeners.insert(0, log_)
        eq = _Equity(self.config.initial_cash, index, self.instruments, series)
        for parts in merge_blocks(iters):
            for sid, ts, cols in parts:
                series[sid].load(ts, cols)
            if len(parts) == 1:
                t_all = self._run_single(rt, series[parts[0][0]], parts[0][1])
                rows_sid = None
            else:
                t_all, rows_sid, _rows_i = self._run_merged(rt, series, parts)
            self.bars_processed += len(t_all)
            eq.close_block(t_all, parts, rows_sid, log_.rows)
            log_.rows.clear()
            self._compact()
            if progress is not None:
                last = int(t_all[-1])
                frac = (
                    (last - start_ns) / (end_ns - start_ns)
                    if start_ns is not None and end_ns is not None and end_ns > start_ns
                    else 0.0
                )
                progress(min(max(frac, 0.0), 1.0), f"{self.bars_processed} bars")
        rt.stop()
        first = self.instruments[next(iter(self._data))] if self._data else None
        ppy = self.config.periods_per_year or periods_per_year(
            base, first.calendar if first else "XNYS"
        )
        ts, equity = eq.curve()
        return EventBacktestResult.build(
            strategy=self.strategy.name,
            config=self.strategy.config.model_dump(mode="json"),
            orders=self._order_rows(log_.sequence),
            fills=log_.fills,
            positions=self._positions
            + [encode_row(position_row(p)) for p in self.oms.book.positions.values()],
            equity_ts=ts,
            equity=equity,
            periods_per_year=ppy,
            bars=self.bars_processed,
            elapsed_s=time.perf_counter() - t0,
            initial_cash=self.config.initial_cash,
            cash=self.oms.cash(),
        )

    # -- memory ------------------------------------------------------------------------

    def _compact(self) -> None:
        """Turn closed orders and positions into result rows and drop the objects.

        An order stays while a linked order (bracket parent or OCO/OUO partner) is open. This
        keeps a long run's memory at about one row per order instead of the order, its events
        and the venue's copy.
        """
        store = self.oms.orders
        for o in [o for o in store if o.is_closed]:
            links = (*o.linked_order_ids, o.parent_order_id or "")
            if any((x := store.get(k)) is not None and not x.is_closed for k in links):
                continue
            self._done[o.client_order_id] = encode_row(order_row(o))
            self.oms.release(o.client_order_id)
            self.venue.forget(o.client_order_id)
        book = self.oms.book
        for pid, p in list(book.positions.items()):
            if not p.is_open and book.net_position(p.instrument_id) is not p:
                self._positions.append(encode_row(position_row(p)))
                del book.positions[pid]

    def _order_rows(self, sequence: list[str]) -> list[bytes]:
        for o in self.oms.orders:
            self._done[o.client_order_id] = encode_row(order_row(o))
        return [self._done[c] for c in sequence if c in self._done]

    # -- hot loops -----------------------------------------------------------------------

    def _venue_bar(self, s: BarSeries, i: int) -> None:
        t = s._t[i]
        self.venue.process_bar(
            Bar(
                instrument_id=s.instrument_id,
                timeframe=s.timeframe,
                open=s._o[i],
                high=s._h[i],
                low=s._l[i],
                close=s._c[i],
                volume=s._v[i],
                ts_event=t,
                ts_init=t,
            )
        )

    def _run_single(self, rt: StrategyRuntime, s: BarSeries, ts: np.ndarray) -> np.ndarray:
        on_bar = self.strategy.on_bar
        tl = s._t
        open_count = self.oms.open_count
        iid = s.instrument_id
        feeds = s.feeds_venue
        venue_bar = self._venue_bar
        for i in range(1, len(tl)):
            t = tl[i]
            s.i = i
            rt.now = t
            if t >= rt.next_timer:
                rt.fire_timers(t)
            if feeds and open_count[iid]:
                venue_bar(s, i)
            on_bar(s)
        return ts

    def _run_merged(
        self, rt: StrategyRuntime, series: list[BarSeries], parts: list[Part]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t_all = np.concatenate([p[1] for p in parts])
        sid_all = np.concatenate([np.full(len(p[1]), p[0], dtype=np.int64) for p in parts])
        row_all = np.concatenate([np.arange(1, len(p[1]) + 1, dtype=np.int64) for p in parts])
        order = np.lexsort((sid_all, t_all))
        t_all, sid_all, row_all = t_all[order], sid_all[order], row_all[order]
        on_bar = self.strategy.on_bar
        open_count = self.oms.open_count
        venue_bar = self._venue_bar
        for t, sid, i in zip(t_all.tolist(), sid_all.tolist(), row_all.tolist(), strict=True):
            s = series[sid]
            s.i = i
            rt.now = t
            if t >= rt.next_timer:
                rt.fire_timers(t)
            if s.feeds_venue and open_count[s.instrument_id]:
                venue_bar(s, i)
            on_bar(s)
        return t_all, sid_all, row_all


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the objects that existed before a run out of the garbage collections during it.

    A run allocates millions of short-lived objects, and each full collection would also walk
    the whole earlier heap (the imported libraries alone are ~10^5 objects), which cost about
    15 % of a trading run. Reference counting still frees everything; cycles among the frozen
    objects are collected after the run.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Equity:
    """Equity per distinct bar time: cash + sum(qty x last close x multiplier), float64."""

    def __init__(
        self,
        cash: Decimal,
        index: dict[str, int],
        instruments: dict[str, Instrument],
        series: list[BarSeries],
    ) -> None:
        n = len(index)
        self.cash = float(cash)
        self.qty = np.zeros(n)
        self.mark = np.full(n, np.nan)
        self.mult = np.array([float(instruments[i].multiplier) for i in index])
        self.inst_of = [index[s.instrument_id] if s.feeds_venue else -1 for s in series]
        self.ts_parts: list[np.ndarray] = []
        self.eq_parts: list[np.ndarray] = []

    def close_block(
        self,
        t_all: np.ndarray,
        parts: list[Part],
        rows_sid: np.ndarray | None,
        fills: list[tuple[int, int, float, float]],
    ) -> None:
        m = len(t_all)
        n = len(self.qty)
        marks = np.empty((n, m))
        for k in range(n):
            marks[k].fill(self.mark[k])
        if rows_sid is None:
            sid, _ts, cols = parts[0]
            k = self.inst_of[sid]
            if k >= 0:
                marks[k] = cols["close"]
        else:
            for sid, _, cols in parts:
                k = self.inst_of[sid]
                if k < 0:
                    continue
                hit = np.flatnonzero(rows_sid == sid)
                col = np.full(m, np.nan)
                col[hit] = cols["close"]
                idx = np.where(np.isnan(col), 0, np.arange(m))
                np.maximum.accumulate(idx, out=idx)
                filled = col[idx]
                filled[: hit[0] if len(hit) else m] = self.mark[k]
                marks[k] = filled
        cash = np.full(m, self.cash)
        qty = np.repeat(self.qty[:, None], m, axis=1)
        if fills:
            f_ts = np.array([r[0] for r in fills], dtype=np.int64)
            f_k = np.array([r[1] for r in fills], dtype=np.int64)
            f_q = np.array([r[2] for r in fills])
            pos = np.searchsorted(f_ts, t_all, side="right")
            cash = np.r_[self.cash, np.array([r[3] for r in fills])][pos]
            for k in np.unique(f_k):
                mine = f_k == k
                steps = np.r_[self.qty[k], f_q[mine]]
                qty[k] = steps[np.searchsorted(f_ts[mine], t_all, side="right")]
            self.cash = float(cash[-1])
            self.qty = qty[:, -1].copy()
        self.mark = marks[:, -1].copy()
        held = np.where(qty != 0, qty * np.nan_to_num(marks) * self.mult[:, None], 0.0)
        equity = cash + held.sum(axis=0)
        last = np.r_[t_all[1:] != t_all[:-1], True]
        self.ts_parts.append(np.asarray(t_all[last], dtype=np.int64))
        self.eq_parts.append(equity[last])

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.ts_parts:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(self.ts_parts), np.concatenate(self.eq_parts)
