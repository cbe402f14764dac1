"""Pairs trading on two synthetic stocks of one sector, then the same strategy as a paper
session on a replay of the same bars (the orders and fills are identical).

    PYTHONPATH=src python examples/pairs.py
"""

from __future__ import annotations

import math

from nautilus.backtest.event import EventBacktest
from nautilus.core.time import to_ns
from nautilus.data.sources.replay import ReplaySource
from nautilus.data.sources.synthetic import minute_bars, universe
from nautilus.execution.paper import PaperSession
from nautilus.strategy import build_strategy

PARAMS = {
    "instruments": ["TEC01.XSYN", "TEC02.XSYN"],
    "window": 120,
    "entry_z": 2.0,
    "exit_z": 0.5,
    "quantity": 50,
}


def main() -> None:
    insts = [i for i in universe(22) if i.id in PARAMS["instruments"]]
    start, end = to_ns("2024-02-01"), to_ns("2024-02-15")
    frames = {i.id: minute_bars(i.id, start, end) for i in insts}
    bt = EventBacktest(build_strategy("pairs", PARAMS), insts)
    for iid, frame in frames.items():
        bt.add_bars(iid, "1m", frame)
    result = bt.run()
    print(f"backtest: {len(result.orders)} orders, final equity {result.equity[-1]:,.2f}")

    feed = ReplaySource()
    for iid, frame in frames.items():
        feed.load(iid, "1m", frame)
    paper = PaperSession(
        build_strategy("pairs", PARAMS), insts, account_id="PAPER-1", base_timeframe="1m"
    )
    paper.start(feed)
    feed.play(speed=math.inf)
    paper.stop()
    same = [o.client_order_id for o in paper.oms.orders] == [
        o["client_order_id"] for o in result.orders
    ]
    print(f"paper:    {len(paper.oms.orders)} orders, same as the backtest: {same}")


if __name__ == "__main__":
    main()
