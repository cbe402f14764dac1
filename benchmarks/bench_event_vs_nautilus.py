"""Event-driven backtest throughput: Nautilus (ours) vs NautilusTrader, same bars, same trades.

Workloads on the same seeded 1-minute random-walk bars (prices on a 0.01 grid):

- ``ema_10_30`` / ``ema_50_200``: an EMA cross written in Python, identical arithmetic in
  both engines (EMA seeded with the first close, alpha = 2 / (n + 1)); on every cross it closes
  the position with a market order and opens the other side with another one (the
  NautilusTrader example's order pattern), so both engines send the same number of orders;
- ``no_trades``: a strategy that receives every bar and does nothing.

Ours also runs ``ema_10_30_indicators``: the same cross on the registered streaming EMA
indicators (TA-Lib seeding, so a few early crosses differ; reported for information).

NautilusTrader runs in its own virtual environment (not a project dependency; e.g.
``python3.12 -m venv /tmp/ntvenv && /tmp/ntvenv/bin/pip install nautilus_trader``); this
script re-executes itself there for the peer's part and reads its JSON. When that interpreter
is missing or cannot import ``nautilus_trader``, the ratios are taken against the anchor
figures measured on this machine with NautilusTrader 1.231 at 1M bars (:data:`ANCHORS`), and
the output says so.

    python benchmarks/bench_event_vs_nautilus.py --bars 1000000 --peer-bars 200000
    (peer part)  /tmp/ntvenv/bin/python benchmarks/bench_event_vs_nautilus.py --peer

Bars per second exclude data generation and loading (engine run only); CPU bars per second
divide by the process CPU time of the run, which load from other jobs inflates less than wall.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from typing import Any

import numpy as np
import pandas as pd

WORKLOADS = {
    "ema_10_30": (10, 30, True),
    "ema_50_200": (50, 200, True),
    "no_trades": (10, 30, False),
}
ANCHORS = {
    "ema_10_30": {"bars_per_s": 6_400.0, "crosses": 36_700},
    "ema_50_200": {"bars_per_s": 37_000.0, "crosses": 6_400},
    "no_trades": {"bars_per_s": 59_000.0, "crosses": 0},
}
"""NautilusTrader 1.231 on this machine, 1M 1-minute bars (issue #5). The counts are crosses,
rounded: every cross after the first sends two orders (close, then open the other side)."""
T0 = 1_704_067_200_000_000_000  # 2024-01-01 00:00 UTC
MINUTE = 60_000_000_000


def make_bars(n: int, seed: int = 42, decimals: int = 2) -> pd.DataFrame:
    """Seeded random-walk 1-minute bars on a ``10**-decimals`` grid (``ts`` = close, ns UTC)."""
    rng = np.random.default_rng(seed)
    close = np.round(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0008, n))), decimals)
    open_ = np.r_[100.0, close[:-1]]
    wick = np.round(np.abs(rng.normal(0.0, 0.03, (2, n))), decimals)
    high = np.round(np.maximum(open_, close) + wick[0], decimals)
    low = np.round(np.minimum(open_, close) - wick[1], decimals)
    ts = T0 + np.arange(1, n + 1, dtype=np.int64) * MINUTE
    return pd.DataFrame(
        {
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": np.full(n, 1_000_000.0),
        },
        index=pd.Index(ts, name="ts"),
    )


# -- ours ------------------------------------------------------------------------------------


def run_ours(
    frame: pd.DataFrame, fast: int, slow: int, trade: bool, use_indicators: bool = False
) -> dict[str, Any]:
    from decimal import Decimal

    from nautilus.backtest.event import EventBacktest, EventBacktestConfig
    from nautilus.model.instrument import Instrument
    from nautilus.strategy.config import StrategyConfig
    from nautilus.strategy.event import EventStrategy
    from nautilus.strategy.series import BarSeries

    inst = Instrument.create("AAPL.XNAS", "equity", "USD", calendar="24/7")

    class PyEmaCross(EventStrategy):
        """EMA cross in plain Python (the arithmetic of the peer's strategy)."""

        name = "bench_ema"

        def setup(self) -> None:
            self.af, self.as_ = 2.0 / (fast + 1), 2.0 / (slow + 1)
            self.f = self.s = 0.0
            self.count = 0
            self.side = 0
            self.qty = Decimal(100)

        def on_bar(self, bar: BarSeries) -> None:
            x = bar.close
            if self.count == 0:
                self.f = self.s = x
            else:
                self.f += self.af * (x - self.f)
                self.s += self.as_ * (x - self.s)
            self.count += 1
            if self.count < slow or not trade:
                return
            want = 1 if self.f >= self.s else -1
            if want != self.side:
                iid = bar.instrument_id
                if self.side != 0:
                    (self.buy if want > 0 else self.sell)(iid, self.qty)
                (self.buy if want > 0 else self.sell)(iid, self.qty)
                self.side = want

    class IndEmaCross(EventStrategy):
        """The same cross on the registered streaming EMA indicators."""

        name = "bench_ema_ind"

        def setup(self) -> None:
            s = self.bars[inst.id]
            self.fast, self.slow = (
                self.indicator(s, "ema", timeperiod=fast),
                self.indicator(s, "ema", timeperiod=slow),
            )
            self.side = 0
            self.qty = Decimal(100)

        def on_bar(self, bar: BarSeries) -> None:
            f, s = self.fast.value, self.slow.value
            if s != s:
                return
            want = 1 if f >= s else -1
            if want != self.side:
                iid = bar.instrument_id
                if self.side != 0:
                    (self.buy if want > 0 else self.sell)(iid, self.qty)
                (self.buy if want > 0 else self.sell)(iid, self.qty)
                self.side = want

    cls = IndEmaCross if use_indicators else PyEmaCross
    bt = EventBacktest(
        cls(StrategyConfig(instruments=(inst.id,))),
        [inst],
        EventBacktestConfig(initial_cash=Decimal(1_000_000_000)),
    )
    bt.add_bars(inst.id, "1m", frame)
    t, c = time.perf_counter(), time.process_time()
    res = bt.run()
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "bars": len(frame),
        "seconds": dt,
        "bars_per_s": len(frame) / dt,
        "cpu_bars_per_s": len(frame) / cpu,
        "orders": len(res.orders),
        "fills": len(res.fills),
    }


# -- NautilusTrader (runs in its own venv) ---------------------------------------------------


def run_peer(frame: pd.DataFrame, fast: int, slow: int, trade: bool) -> dict[str, Any]:
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig, StrategyConfig
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.data import Bar, BarType
    from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
    from nautilus_trader.model.identifiers import InstrumentId, Venue
    from nautilus_trader.model.objects import Money, Quantity
    from nautilus_trader.persistence.wranglers import BarDataWrangler
    from nautilus_trader.test_kit.providers import TestInstrumentProvider
    from nautilus_trader.trading.strategy import Strategy

    class Cfg(StrategyConfig, frozen=True):
        instrument_id: str
        bar_type: str

    class NtEmaCross(Strategy):
        def __init__(self, config: Cfg) -> None:
            super().__init__(config)
            self.iid = InstrumentId.from_str(config.instrument_id)
            self.bar_type = BarType.from_str(config.bar_type)
            self.af, self.as_ = 2.0 / (fast + 1), 2.0 / (slow + 1)
            self.f = self.s = 0.0
            self.count = 0
            self.side = 0
            self.qty = Quantity.from_int(100)

        def on_start(self) -> None:
            self.subscribe_bars(self.bar_type)

        def on_bar(self, bar: Bar) -> None:
            x = float(bar.close)
            if self.count == 0:
                self.f = self.s = x
            else:
                self.f += self.af * (x - self.f)
                self.s += self.as_ * (x - self.s)
            self.count += 1
            if self.count < slow or not trade:
                return
            want = 1 if self.f >= self.s else -1
            if want != self.side:
                side = OrderSide.BUY if want > 0 else OrderSide.SELL
                if self.side != 0:
                    self.submit_order(self.order_factory.market(self.iid, side, self.qty))
                self.submit_order(self.order_factory.market(self.iid, side, self.qty))
                self.side = want

    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(
        venue=Venue("XNAS"),
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=USD,
        starting_balances=[Money(1_000_000_000, USD)],
    )
    inst = TestInstrumentProvider.equity("AAPL", "XNAS")
    engine.add_instrument(inst)
    bar_type = "AAPL.XNAS-1-MINUTE-LAST-EXTERNAL"
    df = frame.copy()
    df.index = pd.to_datetime(df.index, unit="ns", utc=True)
    bars = BarDataWrangler(BarType.from_str(bar_type), inst).process(df)
    engine.add_data(bars)
    engine.add_strategy(NtEmaCross(Cfg(instrument_id=str(inst.id), bar_type=bar_type)))
    t, c = time.perf_counter(), time.process_time()
    engine.run()
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    orders = engine.cache.orders_total_count()
    fills = sum(len(o.trade_ids) for o in engine.cache.orders())
    engine.dispose()
    return {
        "bars": len(frame),
        "seconds": dt,
        "bars_per_s": len(frame) / dt,
        "cpu_bars_per_s": len(frame) / cpu,
        "orders": orders,
        "fills": fills,
    }


def measure_peer(nt_python: str, peer_bars: int) -> dict[str, dict[str, Any]] | None:
    """The peer's figures from its own interpreter, or ``None`` when it is not usable."""
    if not os.path.exists(nt_python):
        return None
    env = {**os.environ, "PYTHONPATH": ""}
    probe = subprocess.run(
        [nt_python, "-c", "import nautilus_trader"], capture_output=True, env=env, check=False
    )
    if probe.returncode != 0:
        return None
    proc = subprocess.run(
        [nt_python, __file__, "--peer", "--peer-bars", str(peer_bars)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    out: dict[str, dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000, help="bars for our engine")
    ap.add_argument("--peer-bars", type=int, default=200_000, help="bars for both (ratio)")
    ap.add_argument("--peer", action="store_true", help="run the NautilusTrader part only")
    ap.add_argument("--nt-python", default="/tmp/ntvenv/bin/python")
    args = ap.parse_args()
    if args.peer:
        frame = make_bars(args.peer_bars)
        out = {name: run_peer(frame, *spec) for name, spec in WORKLOADS.items()}
        print(json.dumps(out))
        return
    peer = measure_peer(args.nt_python, args.peer_bars)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    if peer is None:
        print(
            f"peer: nautilus_trader not importable from {args.nt_python}; ratios against the "
            f"anchor figures (NautilusTrader 1.231, 1M bars, this machine), ours at {args.bars}"
        )
        peer, small = ANCHORS, None
    else:
        print(f"peer: NautilusTrader measured now at {args.peer_bars} bars (same data)")
        small = make_bars(args.peer_bars)
    big = make_bars(args.bars)
    print(
        f"{'workload':12s} {'ours bars/s':>12s} {'cpu bars/s':>11s} {'orders':>7s} "
        f"{'peer bars/s':>12s} {'orders':>7s} {'ratio':>6s} {'cpu ratio':>9s}   "
        f"ours @ {args.bars} bars: bars/s (orders)"
    )
    for name, spec in WORKLOADS.items():
        full = run_ours(big, *spec)
        ours = full if small is None else run_ours(small, *spec)
        p = peer[name]
        p_cpu = p.get("cpu_bars_per_s", p["bars_per_s"])
        if small is None:
            crosses = (ours["orders"] + 1) // 2
            near = abs(crosses - p["crosses"]) <= 0.01 * p["crosses"]
            same = f"{crosses} crosses, anchor ~{p['crosses']}" + ("" if near else " DIFFERENT")
            p_orders = f"~{2 * p['crosses']}"
        else:
            same = "same trades" if ours["orders"] == p["orders"] else "DIFFERENT ORDER COUNTS"
            p_orders = str(p["orders"])
        print(
            f"{name:12s} {ours['bars_per_s']:12,.0f} {ours['cpu_bars_per_s']:11,.0f} "
            f"{ours['orders']:7d} {p['bars_per_s']:12,.0f} {p_orders:>7s} "
            f"{ours['bars_per_s'] / p['bars_per_s']:5.1f}x "
            f"{ours['cpu_bars_per_s'] / p_cpu:8.1f}x   {full['bars_per_s']:,.0f} "
            f"({full['orders']})  {same}"
        )
    ind = run_ours(big, 10, 30, True, use_indicators=True)
    print(
        f"{'ema_10_30_indicators':24s} ours @ {args.bars}: {ind['bars_per_s']:,.0f} bars/s, "
        f"{ind['orders']} orders (registered streaming EMA indicators)"
    )


if __name__ == "__main__":
    main()
