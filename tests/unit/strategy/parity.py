"""Run one ``SignalStrategy`` through both engines and put their fills and trades side by side.

Fills are compared as ``(bar, column, side, qty, price, commission)`` with exact float
equality (the event engine's Decimal values converted once); trades are rebuilt from the event
fills in Decimal with the vectorized engine's round-trip convention (a trade runs from leaving
zero to returning to zero; a fill crossing zero is split and its commission prorated).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from nautilus.backtest.event import EventBacktest, EventBacktestConfig, EventBacktestResult
from nautilus.backtest.vectorized.results import BacktestResult
from nautilus.model.instrument import Instrument
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.signal import SignalStrategy

from .conftest import gbm_bars

VOLUME_BASE = 1_000_000.0
Fill = tuple[int, int, int, float, float, float]


class ColumnUnits(SignalStrategy):
    """Target units read from the volume column (volume - 1e6; volume 0 = NaN, hold)."""

    name = "column_units"
    kind = "units"

    def targets(self, bars: pd.DataFrame) -> pd.Series:
        v = bars["volume"]
        return (v - VOLUME_BASE).where(v != 0.0)


class ColumnWeights(ColumnUnits):
    """Target weights read from the volume column."""

    name = "column_weights"
    kind = "weights"


def instruments(m: int) -> list[Instrument]:
    return [Instrument.create(f"P{k}.SIM", "crypto", "USD", calendar="24/7") for k in range(m)]


def frames_for(
    insts: list[Instrument], targets: list[np.ndarray], seed: int = 4
) -> dict[str, pd.DataFrame]:
    """One seeded random-walk frame per instrument, its target sequence in the volume column."""
    out = {}
    for k, (inst, t) in enumerate(zip(insts, targets, strict=True)):
        f = gbm_bars(len(t), seed=seed + k, vol=0.002)
        f["volume"] = np.where(np.isnan(t), 0.0, VOLUME_BASE + np.nan_to_num(t))
        out[inst.id] = f
    return out


def run_both(
    strategy: type[SignalStrategy] | SignalStrategy,
    insts: list[Instrument],
    frames: dict[str, pd.DataFrame],
    config: EventBacktestConfig,
) -> tuple[EventBacktest, EventBacktestResult, BacktestResult]:
    if isinstance(strategy, type):
        ev_strat = strategy(StrategyConfig(instruments=[i.id for i in insts]))
    else:
        ev_strat = strategy
    bt = EventBacktest(ev_strat, insts, config)
    for i in insts:
        bt.add_bars(i.id, "1m", frames[i.id])
    ev = bt.run()
    # a fresh instance: the vectorized run must not lean on state the event run left behind
    vec_strat = type(ev_strat)(ev_strat.config)
    vec = vec_strat.run_vectorized(frames, insts, config)
    return bt, ev, vec


def event_fills(
    ev: EventBacktestResult, index: np.ndarray, cols: dict[str, int]
) -> list[tuple[int, int, int, Decimal, Decimal, Decimal]]:
    """Event fills as (bar, col, side, qty, px, fee); the bar is the one after the bar whose
    close sent the order (the bar the venue matched it on)."""
    sent = {o["client_order_id"]: o["ts_init"] for o in ev.orders}
    out = []
    for f in ev.fills:
        bar = int(np.searchsorted(index, sent[f["client_order_id"]], side="right"))
        # the fill happened within that bar: between its open (previous close) and its close
        assert index[bar - 1] <= f["ts_event"] <= index[bar]
        out.append(
            (
                bar,
                cols[f["instrument_id"]],
                1 if f["side"] == "buy" else -1,
                Decimal(f["last_qty"]),
                Decimal(f["last_px"]),
                Decimal(f["commission"]),
            )
        )
    return sorted(out, key=lambda r: (r[0], r[1]))


def as_float(fills: list[tuple[int, int, int, Decimal, Decimal, Decimal]]) -> list[Fill]:
    return [(b, c, s, float(q), float(p), float(f)) for b, c, s, q, p, f in fills]


def vector_fills(vec: BacktestResult) -> list[Fill]:
    o = vec.orders
    rows = [
        (int(b), int(c), int(s), float(q), float(p), float(f))
        for b, c, s, q, p, f in zip(
            o["bar"], o["col"], o["side"], o["qty"], o["price"], o["fee"], strict=True
        )
    ]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def decimal_trades(
    fills: list[tuple[int, int, int, Decimal, Decimal, Decimal]],
    last_close: dict[int, Decimal],
    n_bars: int,
) -> list[dict[str, Any]]:
    """Round trips of the event fills in Decimal (see the module docstring)."""
    trades: list[dict[str, Any]] = []
    for col in sorted({f[1] for f in fills}):
        pos = Decimal(0)
        cur: dict[str, Any] = {}
        for bar, _, side, q, px, fee in (f for f in fills if f[1] == col):
            rest = q
            if pos != 0 and side != cur["dir"]:
                red = min(q, abs(pos))
                cur["x_q"] += red
                cur["x_v"] += red * px
                cur["fees"] += fee * red / q
                pos += side * red
                rest = q - red
                if pos == 0:
                    cur["exit_bar"] = bar
                    trades.append(cur)
                    cur = {}
            if rest > 0:
                if pos == 0:
                    cur = {"col": col, "dir": side, "entry_bar": bar, "e_q": Decimal(0),
                           "e_v": Decimal(0), "x_q": Decimal(0), "x_v": Decimal(0),
                           "fees": Decimal(0), "exit_bar": None}  # fmt: skip
                cur["e_q"] += rest
                cur["e_v"] += rest * px
                cur["fees"] += fee * rest / q
                pos += side * rest
        if pos != 0:
            cur["x_v"] += abs(pos) * last_close[col]
            cur["exit_bar"] = n_bars - 1
            trades.append(cur)
    out = []
    for t in trades:
        ep, xp = t["e_v"] / t["e_q"], t["x_v"] / t["e_q"]
        out.append(
            {
                "col": t["col"],
                "entry_bar": t["entry_bar"],
                "exit_bar": t["exit_bar"],
                "direction": t["dir"],
                "size": t["e_q"],
                "entry_price": ep,
                "exit_price": xp,
                "fees": t["fees"],
                "pnl": t["dir"] * (xp - ep) * t["e_q"] - t["fees"],
            }
        )
    return sorted(out, key=lambda r: (r["col"], r["entry_bar"]))
