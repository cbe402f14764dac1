"""Indicator kernels vs TA-Lib on 1M bars, and the streaming update cost per bar.

Run: ``.venv/bin/python benchmarks/bench_features_vs_talib.py [--bars 1000000] [--only rsi,ema]``

For every indicator TA-Lib also has, the same inputs and parameters go through our batch
kernel (``Indicator.run`` on pre-stacked float64 rows), through the full ``compute`` dispatch
(input validation and stacking included) and through TA-Lib; the best of ``--repeat`` runs is
reported and the ratio ours/TA-Lib printed (goal <= 1.0); the three are timed in turn inside
every round (best of ``--repeat`` rounds) so machine contention hits them alike. The streaming
table gives the median ns per bar of ``IndicatorStream.update`` (bar tuple), of the scalar fast
path ``push``/``push1`` (one compiled step over a single packed array) and of the batched
streaming path ``update_block`` with 256-bar blocks.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import talib

from nautilus.features import INDICATORS, IndicatorStream, compute
from nautilus.features.base import resolve_inputs


def synthetic(n: int, seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1] * np.exp(rng.normal(0, 0.002, n - 1))])
    top, bot = np.maximum(open_, close), np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0, 0.005, n)))
    low = bot * np.exp(-np.abs(rng.normal(0, 0.005, n)))
    volume = np.round(rng.lognormal(13, 0.5, n))
    return {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
        "x": close,
        "y": open_,
    }


def best(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def interleaved(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best-of-``repeat`` wall time of each function, run in turn inside every round so a
    contended machine slows all of them alike (ratios from the same rounds)."""
    for fn in fns:
        fn()
    best_t = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best_t[k] = min(best_t[k], time.perf_counter() - t)
    return best_t


def per_bar_ns(fn: Callable[..., object], rows: list[tuple[float, ...]], step: int = 200) -> float:
    """Median ns per call of ``fn(*row)`` over chunks of ``step`` rows (perf_counter_ns)."""
    per = []
    for k in range(0, len(rows) - step, step):
        chunk = rows[k : k + step]
        t = time.perf_counter_ns()
        for r in chunk:
            fn(*r)
        per.append((time.perf_counter_ns() - t) / step)
    return statistics.median(per)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default="")
    ap.add_argument("--stream-bars", type=int, default=20_000)
    args = ap.parse_args()
    data = synthetic(args.bars)
    names = [n for n in INDICATORS.names() if INDICATORS.get(n).talib]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    params = {"bbands": {"timeperiod": 20}, "ema": {"timeperiod": 20}}

    print(f"batch, {args.bars:,} bars, best of {args.repeat} (ms)")
    print(
        f"{'indicator':22s} {'talib':>9s} {'kernel':>9s} {'ratio':>7s} "
        f"{'compute':>9s} {'ratio':>7s}"
    )
    ratios: list[float] = []
    cratios: list[float] = []
    for name in names:
        ind = INDICATORS.get(name)
        p = params.get(name, {})
        cfg = ind.make_config(p)
        x = resolve_inputs(ind, data, cfg)
        fn = getattr(talib, ind.talib)
        targs = [data[i] for i in ind.inputs]
        kw = cfg.model_dump()
        t_ta, t_k, t_c = interleaved(
            [
                lambda fn=fn, targs=targs, kw=kw: fn(*targs, **kw),
                lambda ind=ind, x=x, cfg=cfg: ind.run(x, cfg),
                lambda name=name, p=p: compute(name, data, **p),
            ],
            args.repeat,
        )
        ratios.append(t_k / t_ta)
        cratios.append(t_c / t_ta)
        print(
            f"{name:22s} {t_ta * 1e3:9.2f} {t_k * 1e3:9.2f} {t_k / t_ta:7.2f} "
            f"{t_c * 1e3:9.2f} {t_c / t_ta:7.2f}"
        )
    if ratios:
        print(
            f"kernel/talib ratio: median {statistics.median(ratios):.2f}, "
            f"max {max(ratios):.2f}, <= 1.0 for {sum(r <= 1.0 for r in ratios)}/{len(ratios)}"
        )
        print(
            f"compute/talib ratio: median {statistics.median(cratios):.2f}, "
            f"max {max(cratios):.2f}, <= 1.0 for {sum(r <= 1.0 for r in cratios)}/{len(cratios)}"
        )

    print(f"\nstreaming, {args.stream_bars:,} bars (ns per bar)")
    print(f"{'indicator':22s} {'update':>9s} {'push':>9s} {'block256':>9s}")
    pushes: list[float] = []
    m = args.stream_bars
    all_names = INDICATORS.names() if not args.only else names
    for name in all_names:
        ind = INDICATORS.get(name)
        cfg = ind.make_config({})
        cols = [
            data[i][:m] if i != "ts" else np.arange(m, dtype=np.int64) * 60_000_000_000
            for i in ind.inputs
        ]
        rows = [tuple(v.item() for v in vals) for vals in zip(*cols, strict=True)]
        s = IndicatorStream(name)
        s.update(rows[0])
        t_upd = per_bar_ns(s.update, [(r,) for r in rows[1:]])
        t_push = float("nan")
        if "ts" not in ind.inputs:
            sp = IndicatorStream(name)
            sp.push(*rows[0])
            fast = sp.push1 if len(ind.inputs) == 1 and len(ind.outputs) == 1 else sp.push
            t_push = per_bar_ns(fast, rows[1:])
            pushes.append(t_push)
        x = resolve_inputs(ind, {i: c for i, c in zip(ind.inputs, cols, strict=True)}, cfg)
        s2 = IndicatorStream(name)
        blocks = [np.ascontiguousarray(x[:, k : k + 256]) for k in range(0, m, 256)]
        t = time.perf_counter_ns()
        for b in blocks:
            s2.update_block(b)
        blk = (time.perf_counter_ns() - t) / m
        print(f"{name:22s} {t_upd:9.0f} {t_push:9.0f} {blk:9.0f}")
    if pushes:
        print(f"push: median {statistics.median(pushes):.0f} ns/bar over {len(pushes)} indicators")


if __name__ == "__main__":
    main()
