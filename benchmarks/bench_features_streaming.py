"""Streaming indicator update cost per bar, ours vs talipp, in one process.

Run: ``.venv/bin/python benchmarks/bench_features_streaming.py [--bars 20000] [--only sma,rsi]``

For every registered indicator a fresh ``IndicatorStream`` is warmed on the first ``--warm``
bars, then the remaining bars are fed one call per bar through the per-bar fast path
(``push1(close)`` for one input and one output, ``push(*values)`` otherwise) and through
``update(bar_tuple)``. Cost = median over batches of ``--batch`` calls of the batch's
``perf_counter_ns`` time / batch size (loop overhead included, ~20 ns). Goal: <= 150 ns.
For the indicators talipp also has, talipp's ``add`` is timed the same way on the same bars
(talipp's own input objects built beforehand) and the ratio ours/talipp printed. Machine load
and the process CPU time of the whole run are printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from talipp import indicators as ti
from talipp.ohlcv import OHLCV

from nautilus.features import INDICATORS, IndicatorStream
from nautilus.features.streaming import TWINS

GOAL_NS = 150.0

# our indicator (default parameters) -> talipp indicator with the same parameters, and its input
PEERS: dict[str, tuple[Callable[[], Any], str]] = {
    "sma": (lambda: ti.SMA(30), "close"),
    "ema": (lambda: ti.EMA(30), "close"),
    "wma": (lambda: ti.WMA(30), "close"),
    "dema": (lambda: ti.DEMA(30), "close"),
    "tema": (lambda: ti.TEMA(30), "close"),
    "trix": (lambda: ti.TRIX(30), "close"),
    "hma": (lambda: ti.HMA(20), "close"),
    "kama": (lambda: ti.KAMA(30, 2, 30), "close"),
    "t3": (lambda: ti.T3(5, 0.7), "close"),
    "rsi": (lambda: ti.RSI(14), "close"),
    "roc": (lambda: ti.ROC(10), "close"),
    "stddev": (lambda: ti.StdDev(5), "close"),
    "bbands": (lambda: ti.BB(5, 2.0), "close"),
    "macd": (lambda: ti.MACD(12, 26, 9), "close"),
    "stochrsi": (lambda: ti.StochRSI(14, 5, 3, 3), "close"),
    "atr": (lambda: ti.ATR(14), "ohlcv"),
    "natr": (lambda: ti.NATR(14), "ohlcv"),
    "obv": (lambda: ti.OBV(), "ohlcv"),
    "ad": (lambda: ti.AccuDist(), "ohlcv"),
    "adosc": (lambda: ti.ChaikinOsc(3, 10), "ohlcv"),
    "bop": (lambda: ti.BOP(), "ohlcv"),
    "willr": (lambda: ti.Williams(14), "ohlcv"),
    "cci": (lambda: ti.CCI(14), "ohlcv"),
    "adx": (lambda: ti.ADX(14, 14), "ohlcv"),
    "aroon": (lambda: ti.Aroon(14), "ohlcv"),
    "vwma": (lambda: ti.VWMA(20), "ohlcv"),
    "force_index": (lambda: ti.ForceIndex(13), "ohlcv"),
    "donchian": (lambda: ti.DonchianChannels(20), "ohlcv"),
    "keltner": (lambda: ti.KeltnerChannels(20, 10, 2.0, 2.0), "ohlcv"),
    "stoch": (lambda: ti.Stoch(5, 3), "ohlcv"),
    "ultosc": (lambda: ti.UO(7, 14, 28), "ohlcv"),
}


def synthetic(n: int, seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1] * np.exp(rng.normal(0, 0.002, n - 1))])
    top, bot = np.maximum(open_, close), np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0, 0.005, n)))
    low = bot * np.exp(-np.abs(rng.normal(0, 0.005, n)))
    volume = np.round(rng.lognormal(13, 0.5, n))
    ts = 1_704_153_600 * 10**9 + np.arange(n, dtype=np.int64) * 60 * 10**9
    return {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
        "x": close,
        "y": open_,
        "ts": ts,
    }


CPU: list[float] = []  # thread CPU ns per call of the last fast-path measurement


def per_call_ns(fn: Callable[..., object], rows: list[tuple[Any, ...]], batch: int) -> float:
    """Median wall ns per call of ``fn(*row)`` over consecutive batches of ``batch`` rows; the
    median thread CPU ns per call of the same batches is left in ``CPU[0]``."""
    per, cpu = [], []
    for k in range(0, len(rows) - batch + 1, batch):
        chunk = rows[k : k + batch]
        c = time.thread_time_ns()
        t = time.perf_counter_ns()
        for r in chunk:
            fn(*r)
        per.append((time.perf_counter_ns() - t) / batch)
        cpu.append((time.thread_time_ns() - c) / batch)
    CPU[:] = [statistics.median(cpu)]
    return statistics.median(per)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=20_000)
    ap.add_argument("--warm", type=int, default=1_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    data = synthetic(args.bars)
    names = INDICATORS.names()
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    w = args.warm
    ohlcv = [
        OHLCV(o, h, lo, c, v)
        for o, h, lo, c, v in zip(
            *(data[k].tolist() for k in ("open", "high", "low", "close", "volume")), strict=True
        )
    ]
    closes = data["close"].tolist()
    cpu0 = time.process_time()
    print(f"load average before: {os.getloadavg()}")
    print(
        f"streaming, {args.bars:,} bars ({w:,} warm-up), median ns per update over batches of "
        f"{args.batch}; goal <= {GOAL_NS:.0f} ns"
    )
    print(
        f"{'indicator':22s} {'path':7s} {'push':>7s} {'cpu':>6s} {'update':>7s} "
        f"{'talipp':>8s} {'ratio':>6s}"
    )
    fast: dict[str, float] = {}
    ratios: dict[str, float] = {}
    for name in names:
        ind = INDICATORS.get(name)
        rows = list(zip(*(data[i].tolist() for i in ind.inputs), strict=True))
        s = IndicatorStream(name)
        for r in rows[:w]:
            s.update(r)
        if "ts" in ind.inputs:
            t_push = per_call_ns(s.update, [(r,) for r in rows[w:]], args.batch)
        elif len(ind.inputs) == 1 and len(ind.outputs) == 1:
            t_push = per_call_ns(s.push1, rows[w:], args.batch)
        else:
            t_push = per_call_ns(s.push, rows[w:], args.batch)
        t_cpu = CPU[0]
        s2 = IndicatorStream(name)
        for r in rows[:w]:
            s2.update(r)
        t_upd = per_call_ns(s2.update, [(r,) for r in rows[w:]], args.batch)
        fast[name] = t_push
        peer = ""
        if name in PEERS:
            make, kind = PEERS[name]
            p = make()
            src = closes if kind == "close" else ohlcv
            for v in src[:w]:
                p.add(v)
            t_peer = per_call_ns(p.add, [(v,) for v in src[w:]], args.batch)
            ratios[name] = t_push / t_peer
            peer = f"{t_peer:8.0f} {t_push / t_peer:6.2f}"
        path = "python" if name in TWINS else "numba"
        print(f"{name:22s} {path:7s} {t_push:7.0f} {t_cpu:6.0f} {t_upd:7.0f} {peer}")
    ok = [n for n, t in fast.items() if t <= GOAL_NS]
    print(
        f"\n<= {GOAL_NS:.0f} ns: {len(ok)}/{len(fast)} indicators; median "
        f"{statistics.median(fast.values()):.0f} ns; pure-Python twins: {len(TWINS)}"
    )
    over = sorted((t, n) for n, t in fast.items() if t > GOAL_NS)
    if over:
        print("over the goal: " + ", ".join(f"{n} {t:.0f}" for t, n in over))
    if ratios:
        print(
            f"ours/talipp: median {statistics.median(ratios.values()):.2f}, "
            f"max {max(ratios.values()):.2f} ({max(ratios, key=ratios.__getitem__)}), "
            f"faster on {sum(r < 1.0 for r in ratios.values())}/{len(ratios)}"
        )
    print(
        f"process CPU time {time.process_time() - cpu0:.1f} s; load average after: "
        f"{os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
