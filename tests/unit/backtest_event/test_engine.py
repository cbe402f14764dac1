"""The event-driven engine: fills, equity, determinism, block invariance, lean venue use."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal

import pandas as pd
import pytest

from nautilus.backtest.event import EventBacktest, EventBacktestConfig
from nautilus.execution.venue import SimulatedVenue
from nautilus.model.data import Bar
from nautilus.model.instrument import Instrument
from nautilus.strategy.event import EventStrategy
from nautilus.strategy.library.ema_cross import EmaCross, EmaCrossConfig
from nautilus.strategy.series import BarSeries

from .conftest import MINUTE, gbm_bars


class BuyOnce(EventStrategy):
    """Buys 10 at the first bar, sells 10 at bar 5."""

    name = "buy_once"

    def setup(self) -> None:
        self.n = 0

    def on_bar(self, bar: BarSeries) -> None:
        self.n += 1
        if self.n == 1:
            self.buy(bar.instrument_id, 10)
        elif self.n == 5:
            self.sell(bar.instrument_id, 10)


def run(
    strategy: EventStrategy, bars: dict[str, pd.DataFrame], insts: list[Instrument], **cfg: object
) -> EventBacktest:
    bt = EventBacktest(strategy, insts, EventBacktestConfig(**cfg))  # type: ignore[arg-type]
    for iid, frame in bars.items():
        bt.add_bars(iid, "1m", frame)
    bt.result = bt.run()  # type: ignore[attr-defined]
    return bt


def ema(inst: Instrument, **kw: object) -> EmaCross:
    return EmaCross(EmaCrossConfig(instruments=(inst.id,), quantity=Decimal(1), **kw))


def test_market_order_fills_at_next_open_and_equity_is_exact(inst: Instrument) -> None:
    frame = gbm_bars(10)
    bt = run(
        BuyOnce(EventStrategy.config_class(instruments=(inst.id,))),
        {inst.id: frame},
        [inst],
        initial_cash=Decimal(10_000),
    )
    res = bt.result  # type: ignore[attr-defined]
    assert [f["last_px"] for f in res.fills] == [
        str(Decimal(repr(float(frame["open"].iloc[1]))).quantize(Decimal("0.01"))),
        str(Decimal(repr(float(frame["open"].iloc[5]))).quantize(Decimal("0.01"))),
    ]
    buy_px, sell_px = (Decimal(f["last_px"]) for f in res.fills)
    assert Decimal(res.final_cash) == Decimal(10_000) + 10 * (sell_px - buy_px)
    # equity: cash before the buy, cash + 10 x close while long, final cash after the sell
    closes = frame["close"].to_numpy()
    assert res.equity[0] == pytest.approx(10_000.0)
    assert res.equity[1] == pytest.approx(10_000.0 - 10 * float(buy_px) + 10 * closes[1])
    assert res.equity[-1] == pytest.approx(float(res.final_cash))
    assert len(res.equity) == len(frame)
    assert res.stats["orders"] == 2 and "sharpe" in res.stats


def test_same_inputs_give_byte_identical_runs(inst: Instrument) -> None:
    frame = gbm_bars(3_000, seed=3)
    a = run(ema(inst), {inst.id: frame}, [inst]).result  # type: ignore[attr-defined]
    b = run(ema(inst), {inst.id: frame}, [inst]).result  # type: ignore[attr-defined]
    assert len(a.orders) > 20
    assert a.fingerprint() == b.fingerprint()
    assert a.orders == b.orders and a.fills == b.fills
    assert a.equity.tobytes() == b.equity.tobytes()
    c = run(ema(inst), {inst.id: gbm_bars(3_000, seed=4)}, [inst]).result  # type: ignore[attr-defined]
    assert c.fingerprint() != a.fingerprint()


def test_block_size_does_not_change_results(inst: Instrument, inst_b: Instrument) -> None:
    bars = {inst.id: gbm_bars(2_000, seed=5), inst_b.id: gbm_bars(2_000, seed=6)}
    cfg = EmaCrossConfig(
        instruments=(inst.id, inst_b.id), quantity=Decimal(1), trend_timeframe="1h", trend_period=3
    )
    big = run(EmaCross(cfg), bars, [inst, inst_b], block_rows=100_000).result  # type: ignore[attr-defined]
    small = run(EmaCross(cfg), bars, [inst, inst_b], block_rows=37).result  # type: ignore[attr-defined]
    assert len(big.orders) > 10
    assert big.fingerprint() == small.fingerprint()


class CountingVenue(SimulatedVenue):
    """The real venue, counting how often it matches a bar."""

    bar_calls = 0

    def process_bar(self, bar: Bar, **kw: object) -> None:
        type(self).bar_calls += 1
        super().process_bar(bar, **kw)  # type: ignore[arg-type]


def test_venue_matches_only_bars_with_working_orders(inst: Instrument) -> None:
    bt = EventBacktest(BuyOnce(EventStrategy.config_class(instruments=(inst.id,))), [inst])
    bt.venue = CountingVenue(bt.venue.config, [inst], bt.oms.on_venue_event)
    bt.oms.venue = bt.venue
    CountingVenue.bar_calls = 0
    bt.add_bars(inst.id, "1m", gbm_bars(1_000))
    res = bt.run()
    assert len(res.fills) == 2
    assert CountingVenue.bar_calls == 2  # the two bars where the market orders filled


def test_multi_instrument_bars_arrive_in_time_order(inst: Instrument, inst_b: Instrument) -> None:
    seen: list[tuple[int, str]] = []

    class Recorder(EventStrategy):
        name = "recorder"

        def on_bar(self, bar: BarSeries) -> None:
            seen.append((bar.ts, bar.instrument_id))

    a = gbm_bars(50, seed=1)
    b = gbm_bars(30, seed=2, step=2 * MINUTE)
    run(
        Recorder(EventStrategy.config_class(instruments=(inst.id, inst_b.id))),
        {inst.id: a, inst_b.id: b},
        [inst, inst_b],
        block_rows=7,
    )
    assert len(seen) == 80
    assert seen == sorted(seen, key=lambda e: (e[0], e[1] != inst.id))


def test_memory_of_a_long_run_extrapolates_below_2gb() -> None:
    """150k bars streamed in blocks in a fresh process. Memory retained after the run (the
    result with every order, fill and equity point, plus the last block) is measured with
    tracemalloc, taken as per-bar cost (conservative: fixed costs count as per-bar) and
    extrapolated to 10M bars on top of the process's resident size after a warm-up run (which
    compiles the kernels: a cold numba cache spikes RSS while compiling, not while running)
    plus tracemalloc's peak during the run."""
    code = textwrap.dedent("""
        import gc, resource, tracemalloc, numpy as np
        from decimal import Decimal
        from nautilus.backtest.event import EventBacktest, EventBacktestConfig
        from nautilus.model.instrument import Instrument
        from nautilus.strategy.library.ema_cross import EmaCross, EmaCrossConfig
        inst = Instrument.create("AAA.SIM", "crypto", "USD", calendar="24/7")
        N, B = 150_000, 15_000
        def blocks():
            rng = np.random.default_rng(0)
            last = 100.0
            for k in range(N // B):
                c = last * np.exp(np.cumsum(rng.normal(0, 0.0005, B)))
                o = np.r_[last, c[:-1]]
                last = float(c[-1])
                ts = (1_700_000_000 + 60 * np.arange(k * B + 1, (k + 1) * B + 1)) * 10**9
                yield ts.astype(np.int64), {"open": o, "high": np.maximum(o, c) * 1.0002,
                    "low": np.minimum(o, c) * 0.9998, "close": c, "volume": np.ones(B)}
        def backtest(n_blocks):
            s = EmaCross(EmaCrossConfig(instruments=(inst.id,), fast=10, slow=30,
                                        quantity=Decimal(1)))
            bt = EventBacktest(s, [inst], EventBacktestConfig(block_rows=B))
            bt.add_bars(inst.id, "1m", lambda: (b for _, b in zip(range(n_blocks), blocks())))
            return bt
        backtest(1).run()  # warm-up: compile and import everything once
        gc.collect()
        import os
        pages = int(open("/proc/self/statm").read().split()[1])
        rss_kb = pages * os.sysconf("SC_PAGE_SIZE") // 1024
        bt = backtest(N // B)
        tracemalloc.start()
        res = bt.run()
        gc.collect()
        retained, peak = tracemalloc.get_traced_memory()
        print(res.bars, len(res.order_rows), retained, rss_kb + peak // 1024)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": "src"},
        timeout=600,
    )
    bars, orders, retained, peak_kb = (int(x) for x in out.stdout.split())
    assert bars == 150_000 and orders > 5_000  # a heavily trading strategy
    per_bar = retained / bars
    extrapolated = peak_kb * 1024 + per_bar * 10_000_000
    assert extrapolated < 2.0e9, (per_bar, peak_kb, orders)
