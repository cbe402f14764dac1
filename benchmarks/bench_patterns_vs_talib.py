"""Candlestick pattern kernels vs TA-Lib CDL* on 1M bars, in one process.

Run: ``.venv/bin/python benchmarks/bench_patterns_vs_talib.py [--bars 1000000] [--repeat 15]``

For every pattern the same open/high/low/close go through TA-Lib, through our batch kernel
(``Indicator.run`` on the resolved float64 rows, no copy) and through the full ``compute`` dispatch.
All three are warmed up (numba compiled) first, then timed in turn inside every round; the best
of ``--repeat`` rounds is kept, both wall time (perf_counter) and CPU time of this thread
(thread_time), and the ratio ours/TA-Lib printed (goal <= 1.0). The values are checked equal
after the warm-up before timing.
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

from nautilus.features import INDICATORS, compute
from nautilus.features.base import resolve_rows


def synthetic(n: int, seed: int = 11) -> dict[str, np.ndarray]:
    """Random-walk OHLC bars, a tenth of them near-doji so that every pattern fires."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1] * np.exp(rng.normal(0, 0.002, n - 1))])
    doji = rng.random(n) < 0.1
    close = np.where(doji, open_ * (1 + rng.normal(0, 0.0003, n)), close)
    top, bot = np.maximum(open_, close), np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0, 0.005, n)))
    low = bot * np.exp(-np.abs(rng.normal(0, 0.005, n)))
    return {"open": open_, "high": high, "low": low, "close": close}


def interleaved(fns: list[Callable[[], object]], repeat: int) -> list[tuple[float, float]]:
    """Best (wall, cpu) seconds of each function over ``repeat`` rounds, run in turn."""
    for fn in fns:
        fn()
    best = [(float("inf"), float("inf"))] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            c = time.thread_time()
            t = time.perf_counter()
            fn()
            wall = time.perf_counter() - t
            cpu = time.thread_time() - c
            best[k] = (min(best[k][0], wall), min(best[k][1], cpu))
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    data = synthetic(args.bars)
    names = [n for n in INDICATORS.names() if INDICATORS.get(n).category == "patterns"]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}; {args.bars:,} bars, best of {args.repeat}")
    print(
        f"{'pattern':20s} {'hits':>6s} {'talib ms':>9s} {'ours ms':>8s} {'wall':>6s} "
        f"{'cpu':>6s} {'compute':>8s} {'ratio':>6s}"
    )
    wall_r: list[float] = []
    cpu_r: list[float] = []
    for name in names:
        ind = INDICATORS.get(name)
        cfg = ind.make_config({})
        x = resolve_rows(ind, data, cfg)
        fn = getattr(talib, ind.talib)
        targs = [data[i] for i in ind.inputs]
        kw = cfg.model_dump()
        ours = ind.run(x, cfg)[0]
        ref = fn(*targs, **kw)
        lb = ind.lookback(cfg)
        if not np.array_equal(ours[lb:], ref[lb:]):
            raise SystemExit(f"{name}: values differ from TA-Lib")
        (ta_w, ta_c), (k_w, k_c), (c_w, _) = interleaved(
            [
                lambda fn=fn, targs=targs, kw=kw: fn(*targs, **kw),
                lambda ind=ind, x=x, cfg=cfg: ind.run(x, cfg),
                lambda name=name: compute(name, data),
            ],
            args.repeat,
        )
        wall_r.append(k_w / ta_w)
        cpu_r.append(k_c / ta_c)
        print(
            f"{name:20s} {int(np.count_nonzero(ref)):6d} {ta_w * 1e3:9.2f} {k_w * 1e3:8.2f} "
            f"{k_w / ta_w:6.2f} {k_c / ta_c:6.2f} {c_w * 1e3:8.2f} {c_w / ta_w:6.2f}"
        )
    if wall_r:
        print(
            f"kernel/talib wall: median {statistics.median(wall_r):.2f}, max {max(wall_r):.2f}, "
            f"<= 1.0 for {sum(r <= 1.0 for r in wall_r)}/{len(wall_r)}; cpu: median "
            f"{statistics.median(cpu_r):.2f}, max {max(cpu_r):.2f}, "
            f"<= 1.0 for {sum(r <= 1.0 for r in cpu_r)}/{len(cpu_r)}"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
