"""Bar storage through the data engine (BarStore on ArcticStore) vs polars + Parquet.

10M one-minute bars (float64 OHLCV, int64 ns close-time index). Ours: ``BarStore.upsert``
(first write of the series), then full and 10% range reads through ``BarStore.read``; the peer:
polars writing and reading the same frame as Parquet (range read with a predicate pushed into
the scan). Figures in rows/s; goal: our full read >= 20M rows/s.

Run: .venv/bin/python benchmarks/bench_data_store_vs_polars.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from nautilus.core.time import NS_PER_MINUTE, to_ns
from nautilus.data.storage import BarStore
from nautilus.persistence.timeseries.arctic import ArcticStore

INST = "BENCH.XNAS"


def bars(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    spread = np.abs(rng.normal(0.0, 0.05, n))
    open_ = close + rng.normal(0.0, 0.02, n)
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.integers(100, 10_000, n).astype(np.float64),
        },
        index=pd.Index(
            to_ns("2000-01-03") + NS_PER_MINUTE * np.arange(n, dtype=np.int64), name="ts"
        ),
    )


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
    n = args.rows
    frame = bars(n)
    lo, hi = int(frame.index[int(n * 0.45)]), int(frame.index[int(n * 0.55)])
    with tempfile.TemporaryDirectory() as tmp:
        store = BarStore(ArcticStore(Path(tmp) / "ts"))
        t_write, _ = best(
            lambda: (
                store.store.delete(f"bars/{INST}/1m") if store.exists(INST, "1m") else None,
                store.upsert(INST, "1m", frame),
            ),
            1,
        )
        t_upsert, _ = best(lambda: store.upsert(INST, "1m", frame.iloc[-100_000:]), args.repeat)
        t_full, full = best(lambda: store.read(INST, "1m"), args.repeat)
        t_range, part = best(lambda: store.read(INST, "1m", lo, hi), args.repeat)
        assert len(full) == n and len(part) == int(n * 0.55) - int(n * 0.45)
        path = Path(tmp) / "bars.parquet"
        pl_frame = pl.from_pandas(frame.reset_index())
        p_write, _ = best(lambda: pl_frame.write_parquet(path), 1)
        p_full, pf = best(lambda: pl.read_parquet(path), args.repeat)
        p_range, pr = best(
            lambda: (
                pl.scan_parquet(path).filter((pl.col("ts") >= lo) & (pl.col("ts") < hi)).collect()
            ),
            args.repeat,
        )
        assert len(pf) == n and len(pr) == len(part)
    rows_range = len(part)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"bars: {n:,} rows; range read {rows_range:,} rows; load average 1/5/15 min {load} "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"{'operation':<28}{'ours s':>9}{'ours Mrows/s':>14}{'polars s':>10}"
        f"{'polars Mrows/s':>16}{'ours/polars':>12}"
    )
    for name, ours, peer, rows in (
        ("write (first upsert)", t_write, p_write, n),
        ("full read", t_full, p_full, n),
        ("10% range read", t_range, p_range, rows_range),
    ):
        print(
            f"{name:<28}{ours:>9.3f}{rows / ours / 1e6:>14.1f}{peer:>10.3f}"
            f"{rows / peer / 1e6:>16.1f}{peer / ours:>12.2f}"
        )
    print(f"{'upsert 100k overlapping':<28}{t_upsert:>9.3f}{1e5 / t_upsert / 1e6:>14.1f}")
    print(f"goal full read >= 20M rows/s: {'met' if n / t_full >= 20e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
