"""Vectorized backtester vs vectorbt: the same SMA-cross work, same data, same trades.

1. Single run: SMA(20) x SMA(100) cross on 1,000,000 bars, fees 5 bps, slippage 2 bps, all-cash
   sizing; signals + simulation + total return, warm (kernels compiled). Also with the equity
   curve materialised (``res.value``, replayed lazily from the orders).
2. Grid: 100 (fast, slow) pairs over 100,000 bars; ours in one parallel kernel launch.
3. Cold process: a fresh interpreter importing the package and running case 1 on 100k bars
   (numba kernels loaded from the on-disk cache), measured twice; without and with fees.

The machine may be shared: every case runs ours and vectorbt interleaved in the same process
and reports the best of N of both wall and CPU (process) time, plus the 1-minute load.
4. Memory of 10,000 pairs x 1,000,000 bars with the default chunking (computed, not run).

Run: ``.venv/bin/python benchmarks/bench_vectorized_vs_vectorbt.py``. vectorbt fills at the
signal bar's price, so it is fed the signals shifted by one bar (our engine's next-bar fill).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

from nautilus.backtest.sweep import Market, SweepConfig, evaluate_chunk
from nautilus.backtest.vectorized import VectorizedConfig, run_signals
from nautilus.backtest.vectorized.engine import cost_vector
from nautilus.backtest.vectorized.grid import ma_table, sma_cross_grid
from nautilus.backtest.vectorized.indicators import sma_cross_signals

FEES, SLIP = 0.0005, 0.0002
CFG = VectorizedConfig(
    init_cash=10_000.0,
    fee_model="bps",
    fee_params={"bps": 5, "precision": 12},
    slippage_model="fixed_bps",
    slippage_params={"bps": 2},
)


def best_of(*fns: Callable[[], object], n: int = 5) -> list[tuple[float, float, object]]:
    """Best-of-``n`` (wall s, CPU s, last result) per function, the functions interleaved."""
    for fn in fns:
        fn()
    wall = [float("inf")] * len(fns)
    cpu = [float("inf")] * len(fns)
    outs: list[object] = [None] * len(fns)
    for _ in range(n):
        for i, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            outs[i] = fn()
            wall[i] = min(wall[i], time.perf_counter() - t0)
            cpu[i] = min(cpu[i], time.process_time() - c0)
    return list(zip(wall, cpu, outs, strict=True))


def prices(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))


def ours_single(close: np.ndarray, idx: np.ndarray, curve: bool = False) -> float:
    up = np.empty(len(close), dtype=np.bool_)
    down = np.empty(len(close), dtype=np.bool_)
    sma_cross_signals(close, 20, 100, up, down)
    res = run_signals(close, up, down, index=idx, config=CFG)
    if curve:
        return float(res.value[-1, 0] / CFG.init_cash - 1.0)
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
import time; t0 = time.perf_counter(); c0 = time.process_time()
import numpy as np
from nautilus.backtest.vectorized import run_signals, VectorizedConfig
from nautilus.backtest.vectorized.indicators import sma_cross_signals
c = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.001, 100_000)))
u = np.empty(len(c), bool); d = np.empty(len(c), bool)
sma_cross_signals(c, 20, 100, u, d)
cfg = VectorizedConfig(**dict({kw}))
r = run_signals(c, u, d, index=np.arange(len(c), dtype=np.int64), config=cfg)
float(r.total_return[0])
print(f"{time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU")
"""
COLD_FEES = 'fee_model="bps", fee_params={"bps": 5}, slippage_model="fixed_bps", ' + (
    'slippage_params={"bps": 2}'
)


def memory_estimate(pairs: int, bars: int, chunk: int, threads: int, windows: int) -> float:
    """Peak bytes of a chunked SMA grid: MA table of one chunk's windows, per-thread buffers
    (3 bool signal arrays, value, returns and metrics buffers), the result matrix, the close."""
    ma = min(windows, 2 * chunk) * bars * 8
    per_thread = bars * (3 + 8 * 3)
    return ma + threads * per_thread + pairs * 25 * 8 + bars * 8


def main() -> None:
    import numba
    import vectorbt as vbt

    print(
        f"numba threads: {numba.get_num_threads()}, load avg {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (shared machine: best of N, ours and vectorbt interleaved)"
    )
    n = 1_000_000
    close = prices(n)
    idx = np.arange(n, dtype=np.int64) * 60_000_000_000
    (w_o, c_o, r_o), (w_c, c_c, r_c), (w_v, c_v, (r_vbt, n_orders)) = best_of(  # type: ignore[misc]
        lambda: ours_single(close, idx),
        lambda: ours_single(close, idx, curve=True),
        lambda: vbt_single(vbt, close),
        n=7,
    )
    for r in (r_o, r_c):
        assert abs(float(r) - r_vbt) <= 1e-9 * max(1.0, abs(r_vbt)), (r, r_vbt)  # type: ignore[arg-type]
    print(
        f"single 1M bars: ours {w_o * 1e3:.1f} ms wall / {c_o * 1e3:.1f} ms CPU, with equity "
        f"curve {w_c * 1e3:.1f} / {c_c * 1e3:.1f} ms; vectorbt {w_v * 1e3:.1f} / "
        f"{c_v * 1e3:.1f} ms; ratio {w_v / w_o:.1f}x wall ({w_v / w_c:.1f}x with curve)  "
        f"({n_orders} orders, total return {r_vbt:.6f} both)"
    )

    n = 100_000
    close = prices(n, seed=1)
    (t_g, u_g, tr), (t_gf, _, _), (t_gv, u_gv, tr_v) = best_of(
        lambda: ours_grid(close, False),
        lambda: ours_grid(close, True),
        lambda: vbt_grid(vbt, close),
        n=3,
    )
    np.testing.assert_allclose(np.asarray(tr)[0], np.asarray(tr_v), rtol=1e-9, atol=1e-12)
    combos = 100 * n
    print(
        f"grid 100 x 100k: ours {t_g:.3f} s ({combos / t_g / 1e6:.0f}M bar-combos/s, CPU "
        f"{u_g:.3f} s)  ours+24 metrics {t_gf:.3f} s ({combos / t_gf / 1e6:.0f}M/s)  vectorbt "
        f"{t_gv:.3f} s ({combos / t_gv / 1e6:.0f}M/s, CPU {u_gv:.3f} s)  ratio "
        f"{t_gv / t_g:.1f}x / {t_gv / t_gf:.1f}x"
    )
    mk = Market(np.arange(n, dtype=np.int64), close)
    fast, slow = grid_pairs()
    params = [{"fast": int(a), "slow": int(b)} for a, b in zip(fast, slow, strict=True)]
    ((t_api, _, _),) = best_of(lambda: evaluate_chunk(mk, "sma_cross", params, CFG), n=3)
    print(f"grid through the sweep API (chunk of 100, 24 metrics): {t_api:.3f} s")

    # as given, and with bytecode caching on (.pyc under a temporary prefix, as in a deployment;
    # PYTHONDONTWRITEBYTECODE=1 makes every process compile numpy/numba/pydantic from source)
    pyc = dict(os.environ, PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="bench-pyc-"))
    pyc.pop("PYTHONDONTWRITEBYTECODE", None)
    for env_label, env in (("env as given", dict(os.environ)), ("with .pyc", pyc)):
        for label, kw in (("no costs", ""), ("fees+slippage", COLD_FEES)):
            for i in range(3 if env is pyc else 2):
                t0 = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-c", COLD.replace("{kw}", kw)],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                wall = time.perf_counter() - t0
                print(
                    f"cold process ({env_label}) {label} #{i + 1}: {wall:.2f} s wall "
                    f"(in-process: {out.stdout.strip()}), load {os.getloadavg()[0]:.1f}"
                )

    threads = numba.get_num_threads()
    chunk = SweepConfig().chunk_size
    for label, windows in (("100 fast x 100 slow windows", 103), ("worst case", 10_000)):
        b = memory_estimate(10_000, 1_000_000, chunk, threads, windows)
        print(f"memory 10,000 pairs x 1M bars, chunk {chunk}, {label}: {b / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
