"""Event-driven backtest throughput: Nautilus (ours) vs backtrader on an SMA cross.

Same seeded 1-minute random walk as ``bench_event_vs_nautilus.py`` (0.000001 grid); the same
long-only strategy in both engines: buy ``size`` when the fast SMA crosses above the slow SMA
(backtrader's ``CrossOver`` rule: the last non-zero difference was negative and now
fast > slow), close the position on the opposite cross. Both engines fill market orders at
the next bar's open, so the orders and the fill prices are the same; the script prints both.

Ours uses its registered streaming SMA indicators; backtrader its ``SMA`` and ``CrossOver``
indicators (``runonce`` mode, default observers on: it records the broker value every bar as
we record equity). backtrader's time includes its feed preloading (it cannot be separated);
ours excludes building the bar frame only.

    python benchmarks/bench_event_vs_backtrader.py --bars 200000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_event_vs_nautilus import make_bars


def run_ours(frame: pd.DataFrame, fast: int, slow: int) -> dict[str, Any]:
    from nautilus.backtest.event import EventBacktest, EventBacktestConfig
    from nautilus.model.instrument import Instrument
    from nautilus.strategy.config import StrategyConfig
    from nautilus.strategy.event import EventStrategy
    from nautilus.strategy.series import BarSeries

    inst = Instrument.create("SYN.XNAS", "equity", "USD", calendar="24/7", tick_size="0.000001")

    class SmaCross(EventStrategy):
        name = "bench_sma"

        def setup(self) -> None:
            s = self.bars[inst.id]
            self.fast = self.indicator(s, "sma", timeperiod=fast)
            self.slow = self.indicator(s, "sma", timeperiod=slow)
            self.nzd = 0.0
            self.long = False
            self.qty = Decimal(10)

        def on_bar(self, bar: BarSeries) -> None:
            f, s = self.fast.value, self.slow.value
            if s != s:
                return
            prev = self.nzd
            d = f - s
            if d != 0.0:
                self.nzd = d
            if prev < 0.0 and f > s and not self.long:
                self.buy(inst.id, self.qty)
                self.long = True
            elif prev > 0.0 and f < s and self.long:
                self.sell(inst.id, self.qty)
                self.long = False

    bt = EventBacktest(
        SmaCross(StrategyConfig(instruments=(inst.id,))),
        [inst],
        EventBacktestConfig(initial_cash=Decimal(1_000_000)),
    )
    bt.add_bars(inst.id, "1m", frame)
    t, c = time.perf_counter(), time.process_time()
    res = bt.run()
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "bars_per_s": len(frame) / dt,
        "cpu_bars_per_s": len(frame) / cpu,
        "seconds": dt,
        "orders": len(res.orders),
        "first_fills": [f["last_px"] for f in res.fills[:5]],
    }


def run_backtrader(frame: pd.DataFrame, fast: int, slow: int) -> dict[str, Any]:
    import backtrader as bt

    class SmaCross(bt.Strategy):  # type: ignore[misc]
        params = (("fast", fast), ("slow", slow))

        def __init__(self) -> None:
            self.cross = bt.indicators.CrossOver(
                bt.indicators.SMA(period=self.p.fast), bt.indicators.SMA(period=self.p.slow)
            )
            self.orders = 0
            self.fills: list[str] = []

        def notify_order(self, order: Any) -> None:
            if order.status == order.Completed and len(self.fills) < 5:
                self.fills.append(f"{order.executed.price:.6f}")

        def next(self) -> None:
            if self.cross > 0 and not self.position:
                self.buy(size=10)
                self.orders += 1
            elif self.cross < 0 and self.position:
                self.close()
                self.orders += 1

    df = frame.copy()
    df.index = pd.to_datetime(df.index, unit="ns")
    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=df))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(1_000_000.0)
    t, c = time.perf_counter(), time.process_time()
    strat = cerebro.run()[0]
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "bars_per_s": len(frame) / dt,
        "cpu_bars_per_s": len(frame) / cpu,
        "seconds": dt,
        "orders": strat.orders,
        "first_fills": strat.fills,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=200_000)
    ap.add_argument("--fast", type=int, default=10)
    ap.add_argument("--slow", type=int, default=30)
    args = ap.parse_args()
    # a 0.000001 grid: on coarse grids the two SMAs tie exactly now and then, and whether a
    # float sum then says 'equal' depends on its summation order, not on the strategy
    frame = make_bars(args.bars, decimals=6)
    ours = run_ours(frame, args.fast, args.slow)
    peer = run_backtrader(frame, args.fast, args.slow)
    load = os.getloadavg()
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; "
        f"{args.bars} bars, SMA {args.fast}/{args.slow} cross"
    )
    for name, r in (("ours", ours), ("backtrader", peer)):
        print(
            f"{name:10s} {r['bars_per_s']:12,.0f} bars/s  {r['cpu_bars_per_s']:12,.0f} CPU bars/s"
            f"  {r['orders']:6d} orders  first fills {r['first_fills']}"
        )
    same = "same orders" if ours["orders"] == peer["orders"] else "DIFFERENT ORDER COUNTS"
    print(
        f"ratio {ours['bars_per_s'] / peer['bars_per_s']:.1f}x wall, "
        f"{ours['cpu_bars_per_s'] / peer['cpu_bars_per_s']:.1f}x CPU  ({same})"
    )


if __name__ == "__main__":
    main()
