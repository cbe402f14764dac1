"""Pre-trade check latency with every rule enabled: p50/p99 per order over 100k orders.

Run: ``.venv/bin/python benchmarks/bench_risk_pretrade.py [n_orders]``. A 10-position cash
account, limits at account, strategy, portfolio and instrument scope, a VaR limit on a
12-instrument covariance; orders alternate instruments, sides and limit prices so the checks
do real work; the clock advances 1 ms per order (inside the 100/s rate only every 10th).
Every 1000 orders the prices tick (new tuples, outside the timed call) and every 5000 orders
one price moves and a fill lands, so the exposure cache is rebuilt inside timed checks too.

Two clocks per check: wall time (``perf_counter_ns``) and this thread's CPU time
(``thread_time_ns``). On a shared, contended machine the wall p99 is dominated by the
scheduler (the thread is descheduled mid-check); the CPU-time figures count only cycles spent
in the check and are the meaningful ones there. Both are reported minus the measured overhead
of an empty timing pair, with the load average and the run's CPU/wall ratio. No
``gc.freeze``/``gc.disable``: the collector runs as in production and the number of
collections during the timed loop is reported.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from decimal import Decimal as D

import numpy as np

from nautilus.model.events import OrderFilled, OrderSide, OrderType
from nautilus.model.instrument import Instrument
from nautilus.model.orders import make_order
from nautilus.risk.gate import RiskGate
from nautilus.risk.limits import LimitBook, LimitScope, LimitSet
from nautilus.risk.rules.exposure import CovarianceModel
from nautilus.risk.state import TradingStates
from nautilus.risk.view import InMemoryView

T0 = 1_735_000_000 * 1_000_000_000


def main(n: int = 100_000) -> None:
    ids = [f"S{i}.XNAS" for i in range(12)]
    view = InMemoryView("ACC", strategy_id="STRAT", cash="10000000")
    view.clock_ns = T0
    for k, iid in enumerate(ids):
        view.add_instrument(Instrument.create(iid, "equity", "USD", sector=f"SEC{k % 4}"))
        view.set_price(iid, f"{100 + k}.00", ts_ns=T0)
    for k, iid in enumerate(ids[:10]):
        view.apply_fill(OrderFilled(
            client_order_id=f"C{k}", instrument_id=iid, ts_event=T0, ts_init=T0,
            venue_order_id="V", trade_id=f"T{k}", side=OrderSide.BUY,
            order_type=OrderType.MARKET, last_qty=D(100), last_px=D(f"{100 + k}.00"),
            currency="USD"))
    book = LimitBook()
    book.assign_portfolio("ACC", "PF")
    everything = LimitSet(
        max_order_qty=D(1000), max_order_notional=D(200_000), max_position_qty=D(5000),
        max_position_notional=D(1_000_000), max_gross_exposure=D(20_000_000),
        max_net_exposure=D(20_000_000), max_leverage=4.0, max_concentration_pct=50,
        max_sector_concentration_pct=80, max_daily_loss=D(500_000), max_drawdown_pct=50,
        price_collar_bps=500, restricted=("BAD.XNAS",), max_var=D(2_000_000),
        check_free_balance=True, max_submit_rate=1e9, max_modify_rate=1e9)
    book.set(LimitScope.ACCOUNT, "ACC", everything)
    book.set(LimitScope.STRATEGY, "STRAT", LimitSet(max_order_qty=D(900)))
    book.set(LimitScope.PORTFOLIO, "PF", LimitSet(max_gross_exposure=D(15_000_000)))
    for iid in ids:
        book.set(LimitScope.INSTRUMENT, iid, LimitSet(max_position_qty=D(4000)))
    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 12)) * 0.01
    gate = RiskGate(book, TradingStates())
    gate.set_covariance(CovarianceModel(ids, a @ a.T + np.eye(12) * 1e-4))
    orders = []
    for k in range(256):
        iid = ids[k % 12]
        px = view.prices[iid][0]
        orders.append(make_order(view.instruments[iid], "buy" if k % 3 else "sell", "limit",
                                 1 + k % 50, price=px + D(k % 5) / 100))
    lat = np.empty(n, dtype=np.int64)
    cpu = np.empty(n, dtype=np.int64)
    approved = 0
    clock = time.perf_counter_ns
    tclock = time.thread_time_ns
    wall_overhead, cpu_overhead = _overheads(clock, tclock)
    gc0 = sum(s["collections"] for s in gc.get_stats())
    load = os.getloadavg()
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        view.clock_ns = now = T0 + i * 1_000_000
        if i % 1000 == 0:  # prices keep ticking (outside the timed call)
            for iid, (px, _) in list(view.prices.items()):
                view.prices[iid] = (px, now)
        if i % 5000 == 2500:  # a price move and a fill (outside the timed call)
            k = (i // 5000) % 10
            view.set_price(ids[k], view.prices[ids[k]][0] + D("0.01"), ts_ns=now)
            view.apply_fill(OrderFilled(
                client_order_id=f"X{i}", instrument_id=ids[k], ts_event=now, ts_init=now,
                venue_order_id="V", trade_id=f"X{i}", side=OrderSide.BUY,
                order_type=OrderType.MARKET, last_qty=D(1), last_px=view.prices[ids[k]][0],
                currency="USD"))
        o = orders[i & 255]
        c = tclock()
        t = clock()
        d = gate.check_submit(o, view)
        lat[i] = clock() - t
        cpu[i] = tclock() - c
        approved += d.approved
    wall_s, cpu_s = time.perf_counter() - w0, time.process_time() - c0
    collections = sum(s["collections"] for s in gc.get_stats()) - gc0
    lat -= wall_overhead
    cpu -= cpu_overhead
    p50, p99 = np.percentile(lat, [50, 99]) / 1000
    c50, c99, c999 = np.percentile(cpu, [50, 99, 99.9]) / 1000
    print(f"rules={len(gate.rules)} orders={n} approved={approved} "
          f"p50={p50:.1f}us p99={p99:.1f}us mean={lat.mean() / 1000:.1f}us (wall)")
    print(f"cpu p50={c50:.1f}us p99={c99:.1f}us p99.9={c999:.1f}us "
          f"mean={cpu.mean() / 1000:.1f}us (thread_time_ns)")
    print(f"load avg {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f} on {os.cpu_count()} cpus; "
          f"loop cpu/wall={cpu_s / wall_s:.2f}; gc collections={collections}; "
          f"timer overhead wall={wall_overhead}ns cpu={cpu_overhead}ns")


def _overheads(clock: object, tclock: object) -> tuple[int, int]:
    """Median cost of an empty timing pair of each clock (subtracted from the samples)."""
    assert callable(clock) and callable(tclock)
    wall = [0] * 20_000
    cpu = [0] * 20_000
    for i in range(20_000):
        c = tclock()
        t = clock()
        wall[i] = clock() - t
        cpu[i] = tclock() - c
    return int(np.median(wall)), int(np.median(cpu))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
