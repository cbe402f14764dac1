"""EMA cross (long/short) on a synthetic 1-minute series, with a 1-hour trend filter.

PYTHONPATH=src python examples/ema_cross.py
"""

from __future__ import annotations

from nautilus.backtest.event.jobs import EventBacktestParams, run_event_backtest


def main() -> None:
    result = run_event_backtest(
        EventBacktestParams(
            strategy="ema_cross",
            symbols=("TEC01.XSYN",),
            start="2024-01-02",
            end="2024-02-01",
            params={
                "fast": 10,
                "slow": 30,
                "trend_timeframe": "1h",
                "trend_period": 10,
                "quantity": 100,
            },
        )
    )
    s = result.summary()
    print(
        f"{s['bars']} bars, {s['orders']} orders, final equity {s['final_equity']:,.2f}, "
        f"sharpe {result.stats.get('sharpe')}"
    )


if __name__ == "__main__":
    main()
