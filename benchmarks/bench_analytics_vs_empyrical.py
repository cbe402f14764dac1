"""Return metrics for 1,000 series x 2,520 days: our fused kernel vs empyrical-reloaded.

Same data, same metric set (the ones empyrical has), one process. Goal: >= 10x.
Run: .venv/bin/python benchmarks/bench_analytics_vs_empyrical.py
"""

from __future__ import annotations

import time

import empyrical as ep
import numpy as np

from nautilus.analytics import metrics_table


def best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    rng = np.random.default_rng(0)
    returns = rng.normal(0.0004, 0.01, (2520, 1000))
    bench = rng.normal(0.0003, 0.009, 2520)
    metrics_table(returns[:, :2], bench)  # JIT warm-up (cached on disk after the first run)

    def ours() -> None:
        metrics_table(returns, bench)

    def theirs() -> None:
        ep.annual_return(returns)
        ep.annual_volatility(returns)
        ep.sharpe_ratio(returns)
        ep.sortino_ratio(returns)
        ep.downside_risk(returns)
        ep.max_drawdown(returns)
        for j in range(returns.shape[1]):  # these take one series at a time
            col = returns[:, j]
            ep.calmar_ratio(col)
            ep.omega_ratio(col)
            ep.value_at_risk(col)
            ep.conditional_value_at_risk(col)
            ep.alpha_beta(col, bench)
            ep.up_capture(col, bench)
            ep.down_capture(col, bench)
            ep.excess_sharpe(col, bench)

    t_ours = best_of(ours)
    t_theirs = best_of(theirs, repeat=2)
    print(f"metrics, 1000 series x 2520 days ({len(returns)} periods)")
    print(f"  nautilus  {t_ours * 1e3:9.1f} ms  (24 metrics per series)")
    print(f"  empyrical {t_theirs * 1e3:9.1f} ms  (17 of the same metrics)")
    print(f"  speed-up  {t_theirs / t_ours:9.1f}x  (goal >= 10x)")


if __name__ == "__main__":
    main()
