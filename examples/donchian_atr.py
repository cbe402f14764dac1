"""Donchian trend following with an ATR trailing stop, on daily bars over ten years.

PYTHONPATH=src python examples/donchian_atr.py
"""

from __future__ import annotations

from nautilus.backtest.event.jobs import EventBacktestParams, run_event_backtest


def main() -> None:
    result = run_event_backtest(
        EventBacktestParams(
            strategy="donchian_atr",
            symbols=("TEC01.XSYN", "HLT01.XSYN", "FIN01.XSYN"),
            start="2010-01-01",
            end="2020-01-01",
            timeframe="1d",
            params={"entry": 55, "exit": 20, "atr_period": 20, "atr_mult": 3.0},
        )
    )
    s = result.summary()
    print(f"{s['bars']} bars, {s['orders']} orders ({len(result.fills)} fills)")
    print(f"CAGR {result.stats.get('cagr')}, max drawdown {result.stats.get('max_drawdown')}")


if __name__ == "__main__":
    main()
