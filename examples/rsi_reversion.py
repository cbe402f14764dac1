"""RSI mean reversion on synthetic 1-minute bars; prints the statistics table.

PYTHONPATH=src python examples/rsi_reversion.py
"""

from __future__ import annotations

from nautilus.backtest.event.jobs import EventBacktestParams, run_event_backtest


def main() -> None:
    result = run_event_backtest(
        EventBacktestParams(
            strategy="rsi_reversion",
            symbols=("FIN01.XSYN",),
            start="2024-03-01",
            end="2024-04-01",
            params={"period": 14, "oversold": 25, "overbought": 75},
        )
    )
    for key in ("total_return", "sharpe", "max_drawdown", "hit_rate", "orders"):
        print(f"{key:>14}: {result.stats.get(key)}")


if __name__ == "__main__":
    main()
