"""Time-series store throughput: ArcticStore vs polars + Parquet on the same OHLCV bars.

10M one-minute bars (open/high/low/close/volume float64, int64 ns index). For each side: full
write, full read and a 10% range read (the rows between the 45% and 55% marks), in rows/s.
Goal: ArcticStore full read >= 20M rows/s. With ``--postgres`` the PostgresStore is measured
too (1M rows, write and read) against the test server (a scratch database dropped afterwards).

Run: .venv/bin/python benchmarks/bench_timeseries_vs_polars.py [--rows N] [--postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import polars as pl

from nautilus.core.time import NS_PER_MINUTE, to_ns
from nautilus.persistence.timeseries import ArcticStore, PostgresStore

KEY = "bars/BENCH.XNAS/1m"


def ohlcv(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    spread = np.abs(rng.normal(0.0, 0.05, n))
    return pd.DataFrame(
        {
            "open": close + rng.normal(0.0, 0.02, n),
            "high": close + spread,
            "low": close - spread,
            "close": close,
            "volume": rng.integers(100, 10_000, n).astype(np.float64),
        },
        index=pd.Index(
            to_ns("2000-01-03") + NS_PER_MINUTE * np.arange(n, dtype=np.int64), name="ts"
        ),
    )


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # CPU seconds of this process, all threads, during the same run


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[Timing, Any]:
    """The fastest of ``repeat`` runs (wall time) and the last result."""
    best, out = Timing(float("inf"), 0.0), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        run = Timing(time.perf_counter() - t0, time.process_time() - c0)
        best = min(best, run)
    return best, out


def line(label: str, t: Timing, rows: int) -> None:
    """Wall time and rate; the CPU time shows how much of the wall time we actually ran."""
    print(
        f"  {label:<28} {t.wall * 1e3:9.1f} ms  {rows / t.wall / 1e6:8.2f} M rows/s"
        f"   (cpu {t.cpu * 1e3:8.1f} ms)"
    )


def bench_arctic_and_polars(frame: pd.DataFrame, root: Path, repeat: int) -> None:
    n = len(frame)
    lo, hi = int(frame.index[int(n * 0.45)]), int(frame.index[int(n * 0.55)])
    range_rows = int(((frame.index >= lo) & (frame.index < hi)).sum())

    store = ArcticStore(root / "arctic")
    t_aw, _ = best_of(lambda: store.write(KEY, frame), repeat)
    t_ar, got = best_of(lambda: store.read(KEY), repeat)
    assert len(got) == n and got.index.dtype == np.int64
    t_arr, part = best_of(lambda: store.read(KEY, start_ns=lo, end_ns=hi), repeat)
    assert len(part) == range_rows
    store.close()

    parquet = root / "bars.parquet"
    table = pl.from_pandas(frame.reset_index())
    t_pw, _ = best_of(lambda: table.write_parquet(parquet), repeat)
    t_pr, back = best_of(lambda: pl.read_parquet(parquet), repeat)
    assert back.height == n
    t_prr, sub = best_of(
        lambda: (
            pl.scan_parquet(parquet).filter((pl.col("ts") >= lo) & (pl.col("ts") < hi)).collect()
        ),
        repeat,
    )
    assert sub.height == range_rows
    # The same frame the store hands back: polars -> pandas with the int64 ts index.
    t_prp, _ = best_of(lambda: pl.read_parquet(parquet).to_pandas().set_index("ts"), repeat)

    print(f"OHLCV bars, {n:,} rows x 5 float64 columns; range read = {range_rows:,} rows")
    print(" ArcticStore (ArcticDB on LMDB)")
    line("write", t_aw, n)
    line("full read -> pandas", t_ar, n)
    line("10% range read -> pandas", t_arr, range_rows)
    print(" polars + Parquet (default zstd)")
    line("write_parquet", t_pw, n)
    line("read_parquet -> polars", t_pr, n)
    line("read_parquet -> pandas", t_prp, n)
    line("10% scan+filter -> polars", t_prr, range_rows)
    print(" ratios (polars time / ArcticStore time; > 1 = ArcticStore faster)")
    print(
        f"  write {t_pw.wall / t_aw.wall:6.2f}x   full read vs polars {t_pr.wall / t_ar.wall:6.2f}x"
        f"   vs polars->pandas {t_prp.wall / t_ar.wall:6.2f}x"
        f"   range read {t_prr.wall / t_arr.wall:6.2f}x"
    )
    rate = n / t_ar.wall / 1e6
    print(
        f"  ArcticStore full read {rate:.1f} M rows/s (goal >= 20 M rows/s: "
        f"{'met' if rate >= 20 else 'NOT met'})"
    )


def bench_postgres(frame: pd.DataFrame, repeat: int) -> None:
    from nautilus.testkit.services import temporary_postgres_database

    n = len(frame)
    with temporary_postgres_database("nautilus_bench") as url:
        store = PostgresStore(url)
        try:
            t_w, _ = best_of(lambda: store.write(KEY, frame), repeat)
            t_r, got = best_of(lambda: store.read(KEY), repeat)
            assert len(got) == n
            lo, hi = int(frame.index[int(n * 0.45)]), int(frame.index[int(n * 0.55)])
            t_rr, part = best_of(lambda: store.read(KEY, start_ns=lo, end_ns=hi), repeat)
            half = frame.iloc[n // 2 :].copy()
            half["close"] += 1.0
            t_u, _ = best_of(lambda: store.upsert(KEY, half), 1)
        finally:
            store.close()
    print(f" PostgresStore ({n:,} rows, yearly partitions, binary COPY)")
    line("write (replace)", t_w, n)
    line("full read -> pandas", t_r, n)
    line("10% range read -> pandas", t_rr, len(part))
    line("upsert of the later half", t_u, len(half))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also measure PostgresStore")
    parser.add_argument("--postgres-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    frame = ohlcv(args.rows)
    with tempfile.TemporaryDirectory(prefix="nautilus-bench-") as tmp:
        bench_arctic_and_polars(frame, Path(tmp), args.repeat)
    if args.postgres:
        bench_postgres(frame.iloc[: args.postgres_rows], args.repeat)


if __name__ == "__main__":
    main()
