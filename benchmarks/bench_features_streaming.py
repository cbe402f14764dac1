"""Streaming indicator update cost per bar, ours vs talipp, in one process.

Run: ``.venv/bin/python benchmarks/bench_features_streaming.py [--bars 20000] [--only sma,rsi]``

For every registered indicator a fresh ``IndicatorStream`` is warmed on the first ``--warm``
bars, then the remaining bars are fed one call per bar through the per-bar fast path
(``push1(close)`` for one input and one output, ``push(*values)`` otherwise; ``ts`` as int ns,
as in the bar) and through ``update(bar_tuple)``. Cost = median over batches of ``--batch``
calls of the batch's ``perf_counter_ns`` time / batch size (loop overhead included, ~20 ns),
with the garbage collector paused while timing (as ``timeit`` does) and each batch's input
objects read once just before it is timed (a live bar arrives hot in cache, while rows built up
front end up scattered over the heap as the run goes on: +50-90 ns of cache misses per call
late in a full run), for ours and talipp alike. Goal: <= 150 ns.
For the indicators talipp also has, talipp's ``add`` is timed the same way on the same bars
(talipp's own input objects built beforehand) and the ratio ours/talipp printed. Machine load
and the process CPU time of the whole run are printed with the figures.

Universe section (``--universe 500,50``): a ``UniverseStream`` per indicator updates N
instruments per call (all instruments' bars of one bar close, one compiled call); after
``--uwarm`` bars fed with ``update_many``, each of ``--ubars`` bar closes is timed on its own
(``update(array (n_inputs, N))``, input checks and result array included). Cost = median ns
per update / N, i.e. per instrument-bar, best of ``--rounds`` rounds. Goal: <= 150 ns.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from talipp import indicators as ti
from talipp.ohlcv import OHLCV

from nautilus.features import INDICATORS, IndicatorStream, UniverseStream

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


def universe_bars(n_inst: int, n: int, seed: int = 13) -> dict[str, np.ndarray]:
    """``(n_inst, n)`` OHLCV random walks (one per instrument) and a shared ``ts`` (n,)."""
    rng = np.random.default_rng(seed)
    shape = (n_inst, n)
    start = rng.uniform(10.0, 500.0, (n_inst, 1))
    close = start * np.exp(np.cumsum(rng.normal(0.0, 0.01, shape), axis=1))
    open_ = np.concatenate(
        [start, close[:, :-1] * np.exp(rng.normal(0, 0.002, (n_inst, n - 1)))], axis=1
    )
    top, bot = np.maximum(open_, close), np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0, 0.005, shape)))
    low = bot * np.exp(-np.abs(rng.normal(0, 0.005, shape)))
    volume = np.round(rng.lognormal(13, 0.5, shape))
    ts = 1_704_153_600 * 10**9 + np.arange(n, dtype=np.int64) * 60 * 10**9
    d = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    return {**d, "x": close, "y": open_, "ts": ts}


def universe_ns(name: str, data: dict[str, np.ndarray], warm: int, rounds: int) -> float:
    """Median ns per instrument-bar of ``UniverseStream.update`` (best of ``rounds``)."""
    ind = INDICATORS.get(name)
    n_inst, n = data["close"].shape
    price = [k for k in ind.inputs if k != "ts"]
    x = np.stack([data[k] for k in price])  # (n_inputs without ts, N, n)
    ts = data["ts"]
    u = UniverseStream(name, n_inst)
    bars = [np.ascontiguousarray(x[:, :, t]) for t in range(n)]
    best = float("inf")
    for _ in range(rounds):
        u.reset()
        kw: dict[str, Any] = {}
        for t in range(warm):  # warm-up bar by bar (update_many would need ts transformed)
            if "ts" in ind.inputs:
                kw["ts"] = int(ts[t])
            u.update(bars[t], **kw)
        per = []
        for t in range(warm, n):
            if "ts" in ind.inputs:
                kw["ts"] = int(ts[t])
            b = bars[t]
            t0 = time.perf_counter_ns()
            u.update(b, **kw)
            per.append(time.perf_counter_ns() - t0)
        best = min(best, statistics.median(per) / n_inst)
    return best


def summary(label: str, figures: dict[str, float]) -> None:
    ok = [n for n, t in figures.items() if t <= GOAL_NS]
    print(
        f"\n{label}: <= {GOAL_NS:.0f} ns: {len(ok)}/{len(figures)} indicators; median "
        f"{statistics.median(figures.values()):.0f} ns"
    )
    over = sorted((t, n) for n, t in figures.items() if t > GOAL_NS)
    if over:
        print("over the goal: " + ", ".join(f"{n} {t:.0f}" for t, n in over))


def run_universe(names: list[str], sizes: list[int], args: argparse.Namespace) -> None:
    print(
        f"\nuniverse streaming: one update per bar close for N instruments; median ns per "
        f"instrument-bar over {args.ubars} bar closes ({args.uwarm} warm-up), best of "
        f"{args.rounds} rounds; goal <= {GOAL_NS:.0f} ns"
    )
    datas = {n: universe_bars(n, args.uwarm + args.ubars) for n in sizes}
    print(f"{'indicator':22s} " + " ".join(f"{'N=' + str(n):>8s}" for n in sizes))
    figures: dict[int, dict[str, float]] = {n: {} for n in sizes}
    for name in names:
        row = []
        for n in sizes:
            t = universe_ns(name, datas[n], args.uwarm, args.rounds)
            figures[n][name] = t
            row.append(f"{t:8.1f}")
        print(f"{name:22s} " + " ".join(row))
    for n in sizes:
        summary(f"universe N={n}, per instrument-bar", figures[n])


CPU: list[float] = []  # thread CPU ns per call of the last fast-path measurement


def per_call_ns(fn: Callable[..., object], rows: list[tuple[Any, ...]], batch: int) -> float:
    """Median wall ns per call of ``fn(*row)`` over consecutive batches of ``batch`` rows; the
    median thread CPU ns per call of the same batches is left in ``CPU[0]``."""
    per, cpu = [], []
    gc.collect()
    gc.disable()  # as timeit does: a collection inside a batch times the heap, not the call
    try:
        _batches(fn, rows, batch, per, cpu)
    finally:
        gc.enable()
    CPU[:] = [statistics.median(cpu)]
    return statistics.median(per)


def _batches(
    fn: Callable[..., object],
    rows: list[tuple[Any, ...]],
    batch: int,
    per: list[float],
    cpu: list[float],
) -> None:
    for k in range(0, len(rows) - batch + 1, batch):
        chunk = rows[k : k + batch]
        for r in chunk:  # load the batch's input objects into cache: a live bar arrives hot
            for v in r:
                type(v)
        c = time.thread_time_ns()
        t = time.perf_counter_ns()
        for r in chunk:
            fn(*r)
        per.append((time.perf_counter_ns() - t) / batch)
        cpu.append((time.thread_time_ns() - c) / batch)


def run_single(names: list[str], data: dict[str, np.ndarray], args: argparse.Namespace) -> None:
    w = args.warm
    ohlcv = [
        OHLCV(o, h, lo, c, v)
        for o, h, lo, c, v in zip(
            *(data[k].tolist() for k in ("open", "high", "low", "close", "volume")), strict=True
        )
    ]
    closes = data["close"].tolist()
    print(
        f"streaming, {args.bars:,} bars ({w:,} warm-up), median ns per update over batches of "
        f"{args.batch}; goal <= {GOAL_NS:.0f} ns"
    )
    print(
        f"{'indicator':22s} {'push':>7s} {'cpu':>6s} {'update':>7s} "
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
        if len(ind.inputs) == 1 and len(ind.outputs) == 1:
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
        print(f"{name:22s} {t_push:7.0f} {t_cpu:6.0f} {t_upd:7.0f} {peer}")
    summary("single instrument, per call", fast)
    if ratios:
        print(
            f"ours/talipp: median {statistics.median(ratios.values()):.2f}, "
            f"max {max(ratios.values()):.2f} ({max(ratios, key=ratios.__getitem__)}), "
            f"faster on {sum(r < 1.0 for r in ratios.values())}/{len(ratios)}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=20_000)
    ap.add_argument("--warm", type=int, default=1_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--only", default="")
    ap.add_argument("--universe", default="500,50", help="universe sizes; empty: skip")
    ap.add_argument("--ubars", type=int, default=300)
    ap.add_argument("--uwarm", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-single", action="store_true", help="only the universe section")
    args = ap.parse_args()
    data = synthetic(args.bars)
    names = INDICATORS.names()
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    cpu0 = time.process_time()
    print(f"load average before: {os.getloadavg()}")
    if not args.skip_single:
        run_single(names, data, args)
    sizes = [int(n) for n in args.universe.split(",") if n]
    if sizes:
        run_universe(names, sizes, args)
    print(
        f"process CPU time {time.process_time() - cpu0:.1f} s; load average after: "
        f"{os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
