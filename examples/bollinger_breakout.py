"""Bollinger breakout with bracket orders (take profit + stop, linked OUO at the venue).

PYTHONPATH=src python examples/bollinger_breakout.py
"""

from __future__ import annotations

from collections import Counter

from nautilus.backtest.event.jobs import EventBacktestParams, run_event_backtest


def main() -> None:
    result = run_event_backtest(
        EventBacktestParams(
            strategy="bollinger_breakout",
            symbols=("ENE01.XSYN",),
            start="2024-01-02",
            end="2024-01-20",
            params={"period": 20, "nbdev": 2.0, "reward": 1.5},
        )
    )
    print("order statuses:", dict(Counter(o["status"] for o in result.orders)))
    print("final equity:", result.summary()["final_equity"])


if __name__ == "__main__":
    main()
