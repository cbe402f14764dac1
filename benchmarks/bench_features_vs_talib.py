"""Indicator kernels vs TA-Lib on 1M bars (the streaming cost per bar is measured by
``bench_features_streaming.py``).

Run: ``.venv/bin/python benchmarks/bench_features_vs_talib.py [--bars 1000000] [--only rsi,ema]``

For every indicator TA-Lib also has, the same inputs and parameters go through our batch
kernel (``Indicator.run`` on the resolved input rows), through the full ``compute`` dispatch
twice and through TA-Lib; the ratio ours/TA-Lib is printed (goal <= 1.0):

- ``kernel``: the kernel alone on already-resolved rows;
- ``like``: like-for-like ``compute(..., allow_nonfinite=True)``: input resolution and the
  kernel, no input validation (NaN propagates, as in TA-Lib, which does not validate);
- ``compute``: the default ``compute``, which also checks that every input is finite: inside
  the kernel's own pass for indicators registered with ``checks_finite``, else in one
  memory-bound pass over (up to four) input columns before the kernel.

The four are timed in turn inside every round, after a warm-up call (JIT compiled), so machine
contention hits them alike; the best wall time of ``--repeat`` rounds is reported, and the
like-for-like/TA-Lib ratio of the best CPU times (``time.process_time``) as a check against
wall-clock noise. The load average is printed before and after; ``--no-patterns`` skips the
candlestick patterns.
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


def interleaved(
    fns: list[Callable[[], object]], repeat: int, cpu: list[float] | None = None
) -> list[float]:
    """Best-of-``repeat`` wall time of each function, run in turn inside every round so a
    contended machine slows all of them alike (ratios from the same rounds). ``cpu``, if
    given, receives the best process CPU time of each function."""
    for fn in fns:
        fn()
    best_t = [float("inf")] * len(fns)
    best_c = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            c = time.process_time()
            t = time.perf_counter()
            fn()
            best_t[k] = min(best_t[k], time.perf_counter() - t)
            best_c[k] = min(best_c[k], time.process_time() - c)
    if cpu is not None:
        cpu[:] = best_c
    return best_t


def load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-patterns", action="store_true")
    args = ap.parse_args()
    data = synthetic(args.bars)
    names = [n for n in INDICATORS.names() if INDICATORS.get(n).talib]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    if args.no_patterns:
        names = [n for n in names if INDICATORS.get(n).category != "patterns"]
    params = {"bbands": {"timeperiod": 20}, "ema": {"timeperiod": 20}}

    print(f"batch, {args.bars:,} bars, best of {args.repeat} (ms); {load()}")
    print(
        f"{'indicator':22s} {'talib':>9s} {'kernel':>9s} {'ratio':>7s} {'like':>9s} "
        f"{'ratio':>7s} {'compute':>9s} {'ratio':>7s} {'cpu ratio':>9s}"
    )
    kinds = ("kernel", "like-for-like compute", "validated compute")
    ratios: dict[str, list[float]] = {k: [] for k in kinds}
    plain: list[tuple[str, float, float]] = []
    cpu: list[float] = []
    for name in names:
        ind = INDICATORS.get(name)
        p = params.get(name, {})
        cfg = ind.make_config(p)
        x = resolve_rows(ind, data, cfg)
        fn = getattr(talib, ind.talib)
        targs = [data[i] for i in ind.inputs]
        kw = cfg.model_dump()
        t_ta, t_k, t_l, t_c = interleaved(
            [
                lambda fn=fn, targs=targs, kw=kw: fn(*targs, **kw),
                lambda ind=ind, x=x, cfg=cfg: ind.run(x, cfg),
                lambda name=name, p=p: compute(name, data, allow_nonfinite=True, **p),
                lambda name=name, p=p: compute(name, data, **p),
            ],
            args.repeat,
            cpu,
        )
        for kind, t in zip(kinds, (t_k, t_l, t_c), strict=True):
            ratios[kind].append(t / t_ta)
        if ind.category != "patterns":
            plain.append((name, t_l / t_ta, t_c / t_ta))
        print(
            f"{name:22s} {t_ta * 1e3:9.2f} {t_k * 1e3:9.2f} {t_k / t_ta:7.2f} "
            f"{t_l * 1e3:9.2f} {t_l / t_ta:7.2f} {t_c * 1e3:9.2f} {t_c / t_ta:7.2f} "
            f"{cpu[2] / max(cpu[0], 1e-9):9.2f}"
        )
    for kind, rs in ratios.items():
        if rs:
            print(
                f"{kind}/talib ratio: median {statistics.median(rs):.2f}, max {max(rs):.2f}, "
                f"<= 1.0 for {sum(r <= 1.0 for r in rs)}/{len(rs)}"
            )
    if plain:
        for label, k in (("like-for-like compute", 1), ("validated compute", 2)):
            slow = [f"{row[0]} {row[k]:.2f}" for row in plain if row[k] > 1.0]
            print(
                f"non-pattern {label}/talib <= 1.0 for {len(plain) - len(slow)}/{len(plain)}; "
                f"above: {', '.join(slow) or 'none'}"
            )
    print(load())


if __name__ == "__main__":
    main()
