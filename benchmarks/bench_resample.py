"""Resampling 10M one-minute bars to 1h: ours (numpy, epoch grid and NYSE sessions) vs pandas.

Ours: :func:`nautilus.data.resample.resample_bars` without a calendar (UTC hour grid) and with
NYSE sessions (session-aligned buckets, half days, holidays); the peer: pandas
``resample("1h", closed="right", label="right").agg(...)`` on a DatetimeIndex (epoch grid).
Figures: seconds and input rows/s (best of ``--repeat``). The calendar load is not timed.

Run: .venv/bin/python benchmarks/bench_resample.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.time import NS_PER_MINUTE, to_ns
from nautilus.data.resample import resample_bars, sessions_for


def minutes(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    spread = np.abs(rng.normal(0.0, 0.05, n))
    return pd.DataFrame(
        {"open": close + 0.01, "high": close + 0.01 + spread, "low": close - spread,
         "close": close, "volume": rng.integers(100, 10_000, n).astype(np.float64)},
        index=pd.Index(to_ns("2000-01-03") + NS_PER_MINUTE * np.arange(1, n + 1,
                                                                        dtype=np.int64),
                       name="ts"))


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out, t = None, float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        t = min(t, time.perf_counter() - t0)
    return t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    frame = minutes(args.rows)
    xnys = sessions_for("XNYS")
    t_ours, ours = best(lambda: resample_bars(frame, "1h"), args.repeat)
    t_sess, sess = best(lambda: resample_bars(frame, "1h", xnys), args.repeat)
    dt = frame.set_axis(pd.to_datetime(frame.index.to_numpy(), utc=True))
    agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    t_pd, ref = best(lambda: dt.resample("1h", closed="right", label="right").agg(agg).dropna(),
                     args.repeat)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy())
    n = args.rows
    print(f"{n:,} 1-minute bars -> 1h (machine shared, contended)")
    print(f"{'method':<34}{'seconds':>9}{'Mrows/s':>10}{'bars out':>11}")
    for name, t, out in (("ours, UTC hour grid", t_ours, ours),
                         ("ours, NYSE sessions", t_sess, sess),
                         ("pandas resample (UTC grid)", t_pd, ref)):
        print(f"{name:<34}{t:>9.3f}{n / t / 1e6:>10.1f}{len(out):>11,}")
    print(f"ours vs pandas (same grid): {t_pd / t_ours:.2f}x")


if __name__ == "__main__":
    main()
