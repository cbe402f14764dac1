"""Indicator kernels vs TA-Lib on 1M bars, and the streaming update cost per bar.

Run: ``.venv/bin/python benchmarks/bench_features_vs_talib.py [--bars 1000000] [--only rsi,ema]``

For every indicator TA-Lib also has, the same inputs and parameters go through our batch
kernel (``Indicator.run`` on pre-stacked float64 rows), through the full ``compute`` dispatch
(input validation and stacking included) and through TA-Lib; the best of ``--repeat`` runs is
reported and the ratio ours/TA-Lib printed (goal <= 1.0). The streaming table gives the median
cost of ``IndicatorStream.update`` per bar (Python call into the same numba kernel) and of the
batched streaming path ``update_block`` with 256-bar blocks.
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
    ratios = []
    for name in names:
        ind = INDICATORS.get(name)
        p = params.get(name, {})
        cfg = ind.make_config(p)
        x = resolve_inputs(ind, data, cfg)
        fn = getattr(talib, ind.talib)
        targs = [data[i] for i in ind.inputs]
        kw = cfg.model_dump()
        t_ta = best(lambda fn=fn, targs=targs, kw=kw: fn(*targs, **kw), args.repeat)
        t_k = best(lambda ind=ind, x=x, cfg=cfg: ind.run(x, cfg), args.repeat)
        t_c = best(lambda name=name, p=p: compute(name, data, **p), args.repeat)
        ratios.append(t_k / t_ta)
        print(
            f"{name:22s} {t_ta * 1e3:9.2f} {t_k * 1e3:9.2f} {t_k / t_ta:7.2f} "
            f"{t_c * 1e3:9.2f} {t_c / t_ta:7.2f}"
        )
    if ratios:
        print(
            f"kernel/talib ratio: median {statistics.median(ratios):.2f}, "
            f"max {max(ratios):.2f}, <= 1.0 for {sum(r <= 1.0 for r in ratios)}/{len(ratios)}"
        )

    print(f"\nstreaming, {args.stream_bars:,} bars (ns per bar)")
    print(f"{'indicator':22s} {'update':>9s} {'block256':>9s}")
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
        upd = s.update
        for r in rows[:200]:
            upd(r)
        per = []
        step = 200
        for k in range(200, m - step, step):
            chunk = rows[k : k + step]
            t = time.perf_counter_ns()
            for r in chunk:
                upd(r)
            per.append((time.perf_counter_ns() - t) / step)
        x = resolve_inputs(ind, {i: c for i, c in zip(ind.inputs, cols, strict=True)}, cfg)
        s2 = IndicatorStream(name)
        blocks = [np.ascontiguousarray(x[:, k : k + 256]) for k in range(0, m, 256)]
        t = time.perf_counter_ns()
        for b in blocks:
            s2.update_block(b)
        blk = (time.perf_counter_ns() - t) / m
        print(f"{name:22s} {statistics.median(per):9.0f} {blk:9.0f}")


if __name__ == "__main__":
    main()
