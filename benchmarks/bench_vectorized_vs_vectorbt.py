"""Vectorized backtester vs vectorbt: the same SMA-cross work, same data, same trades.

1. Single run: SMA(20) x SMA(100) cross on 1,000,000 bars, fees 5 bps, slippage 2 bps, all-cash
   sizing; signals + simulation + total return, warm (kernels compiled), best of 5.
2. Grid: 100 (fast, slow) pairs over 100,000 bars; ours in one parallel kernel launch.
3. Cold process: a fresh interpreter importing the package and running case 1 on 100k bars
   (numba kernels loaded from the on-disk cache), measured twice.
4. Memory of 10,000 pairs x 1,000,000 bars with the default chunking (computed, not run).

Run: ``.venv/bin/python benchmarks/bench_vectorized_vs_vectorbt.py``. vectorbt fills at the
signal bar's price, so it is fed the signals shifted by one bar (our engine's next-bar fill).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from nautilus.backtest.sweep import Market, SweepConfig, evaluate_chunk
from nautilus.backtest.vectorized import VectorizedConfig, run_signals
from nautilus.backtest.vectorized.engine import cost_vector
from nautilus.backtest.vectorized.grid import ma_table, sma_cross_grid, sma_cross_signals

FEES, SLIP = 0.0005, 0.0002
CFG = VectorizedConfig(
    init_cash=10_000.0,
    fee_model="bps",
    fee_params={"bps": 5, "precision": 12},
    slippage_model="fixed_bps",
    slippage_params={"bps": 2},
)


def best_of(fn: Callable[[], object], n: int = 5) -> tuple[float, object]:
    fn()
    best = float("inf")
    out: object = None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def prices(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))


def ours_single(close: np.ndarray, idx: np.ndarray) -> float:
    up = np.empty(len(close), dtype=np.bool_)
    down = np.empty(len(close), dtype=np.bool_)
    sma_cross_signals(close, 20, 100, up, down)
    res = run_signals(close, up, down, index=idx, config=CFG)
    return float(res.total_return[0])


def vbt_single(vbt: object, close: np.ndarray) -> tuple[float, int]:
    fast = vbt.MA.run(close, 20, short_name="f")  # type: ignore[attr-defined]
    slow = vbt.MA.run(close, 100, short_name="s")  # type: ignore[attr-defined]
    ent = np.zeros(len(close), bool)
    ext = np.zeros(len(close), bool)
    ent[1:] = fast.ma_crossed_above(slow).to_numpy()[:-1]
    ext[1:] = fast.ma_crossed_below(slow).to_numpy()[:-1]
    pf = vbt.Portfolio.from_signals(
        close,
        ent,
        ext,
        init_cash=10_000.0,
        fees=FEES,  # type: ignore[attr-defined]
        slippage=SLIP,
    )
    return float(pf.total_return()), int(pf.orders.count())


def grid_pairs() -> tuple[np.ndarray, np.ndarray]:
    fast, slow = np.meshgrid(np.arange(5, 55, 5), np.arange(60, 260, 20), indexing="ij")
    return fast.ravel().astype(np.int64), slow.ravel().astype(np.int64)


def ours_grid(close: np.ndarray, full: bool) -> np.ndarray:
    fast, slow = grid_pairs()
    windows, inv = np.unique(np.concatenate([fast, slow]), return_inverse=True)
    ma = ma_table(close, windows)
    empty = np.empty(0)
    return sma_cross_grid(
        close,
        empty,
        empty,
        empty,
        empty,
        ma,
        inv[:100].astype(np.int64),
        inv[100:].astype(np.int64),
        cost_vector(CFG),
        False,
        False,
        full,
        252.0,
    )


def vbt_grid(vbt: object, close: np.ndarray) -> np.ndarray:
    fast_w, slow_w = grid_pairs()
    fast = vbt.MA.run(close, fast_w, short_name="f")  # type: ignore[attr-defined]
    slow = vbt.MA.run(close, slow_w, short_name="s")  # type: ignore[attr-defined]
    ent = fast.ma_crossed_above(slow).to_numpy()
    ext = fast.ma_crossed_below(slow).to_numpy()
    se = np.zeros_like(ent)
    sx = np.zeros_like(ext)
    se[1:] = ent[:-1]
    sx[1:] = ext[:-1]
    pf = vbt.Portfolio.from_signals(
        np.repeat(close.reshape(-1, 1), 100, axis=1),
        se,
        sx,  # type: ignore[attr-defined]
        init_cash=10_000.0,
        fees=FEES,
        slippage=SLIP,
    )
    return pf.total_return().to_numpy()


COLD = """
import time; t0 = time.perf_counter()
import numpy as np
from nautilus.backtest.vectorized import run_signals, VectorizedConfig
from nautilus.backtest.vectorized.grid import sma_cross_signals
c = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.001, 100_000)))
u = np.empty(len(c), bool); d = np.empty(len(c), bool)
sma_cross_signals(c, 20, 100, u, d)
r = run_signals(c, u, d, index=np.arange(len(c), dtype=np.int64))
print(f"{time.perf_counter() - t0:.2f}")
"""


def memory_estimate(pairs: int, bars: int, chunk: int, threads: int, windows: int) -> float:
    """Peak bytes of a chunked SMA grid: MA table of one chunk's windows, per-thread buffers
    (3 bool signal arrays, value, returns and metrics buffers), the result matrix, the close."""
    ma = min(windows, 2 * chunk) * bars * 8
    per_thread = bars * (3 + 8 * 3)
    return ma + threads * per_thread + pairs * 25 * 8 + bars * 8


def main() -> None:
    import numba
    import vectorbt as vbt

    print(f"numba threads: {numba.get_num_threads()}  (machine shared, figures as measured)")
    n = 1_000_000
    close = prices(n)
    idx = np.arange(n, dtype=np.int64) * 60_000_000_000
    t_ours, r_ours = best_of(lambda: ours_single(close, idx))
    t_vbt, (r_vbt, n_orders) = best_of(lambda: vbt_single(vbt, close))  # type: ignore[misc]
    assert abs(float(r_ours) - r_vbt) <= 1e-9 * max(1.0, abs(r_vbt)), (r_ours, r_vbt)
    print(
        f"single 1M bars: ours {t_ours * 1e3:.1f} ms  vectorbt {t_vbt * 1e3:.1f} ms  "
        f"ratio {t_vbt / t_ours:.1f}x  ({n_orders} orders, total return {r_vbt:.6f} both)"
    )

    n = 100_000
    close = prices(n, seed=1)
    t_g, tr = best_of(lambda: ours_grid(close, False), 3)
    t_gf, _ = best_of(lambda: ours_grid(close, True), 3)
    t_gv, tr_v = best_of(lambda: vbt_grid(vbt, close), 3)
    np.testing.assert_allclose(np.asarray(tr)[0], np.asarray(tr_v), rtol=1e-9, atol=1e-12)
    combos = 100 * n
    print(
        f"grid 100 x 100k: ours {t_g:.3f} s ({combos / t_g / 1e6:.0f}M bar-combos/s)  "
        f"ours+24 metrics {t_gf:.3f} s ({combos / t_gf / 1e6:.0f}M/s)  vectorbt {t_gv:.3f} s "
        f"({combos / t_gv / 1e6:.0f}M/s)  ratio {t_gv / t_g:.1f}x / {t_gv / t_gf:.1f}x"
    )
    mk = Market(np.arange(n, dtype=np.int64), close)
    fast, slow = grid_pairs()
    params = [{"fast": int(a), "slow": int(b)} for a, b in zip(fast, slow, strict=True)]
    t_api, _ = best_of(lambda: evaluate_chunk(mk, "sma_cross", params, CFG), 3)
    print(f"grid through the sweep API (chunk of 100, 24 metrics): {t_api:.3f} s")

    for i in range(2):
        env = dict(os.environ)
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD], capture_output=True, text=True, env=env, check=True
        )
        wall = time.perf_counter() - t0
        print(f"cold process #{i + 1}: {wall:.2f} s wall (import + run {out.stdout.strip()} s)")

    threads = numba.get_num_threads()
    chunk = SweepConfig().chunk_size
    for label, windows in (("100 fast x 100 slow windows", 103), ("worst case", 10_000)):
        b = memory_estimate(10_000, 1_000_000, chunk, threads, windows)
        print(f"memory 10,000 pairs x 1M bars, chunk {chunk}, {label}: {b / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
