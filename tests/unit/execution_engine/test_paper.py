"""Paper trading: parity with the backtest, persisted-before-send, SIGKILL restart."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nautilus.backtest.event import EventBacktest
from nautilus.backtest.event.results import fill_row, order_row
from nautilus.data.sources.replay import ReplaySource
from nautilus.execution.oms import ReconciliationError, VenueReport
from nautilus.execution.paper import PaperSession
from nautilus.execution.tables import OrderRow, SqlLedger
from nautilus.execution.venue import SimulatedVenue
from nautilus.model.instrument import Instrument
from nautilus.model.orders import Order
from nautilus.persistence.db import Database
from nautilus.strategy import build_strategy

from .conftest import gbm_bars


@pytest.mark.parametrize(
    "name,params",
    [
        ("ema_cross", {"fast": 5, "slow": 20, "trend_timeframe": "1h", "trend_period": 3}),
        ("donchian_atr", {"entry": 15, "exit": 8}),
        ("bollinger_breakout", {"period": 10, "nbdev": 1.5}),
    ],
)
def test_paper_on_replay_matches_backtest(
    inst: Instrument, name: str, params: dict[str, Any]
) -> None:
    frame = gbm_bars(1_200, seed=21, vol=0.002)
    p = {**params, "instruments": [inst.id], "quantity": 5}
    bt = EventBacktest(build_strategy(name, p), [inst])
    bt.add_bars(inst.id, "1m", frame)
    res = bt.run()
    feed = ReplaySource()
    feed.load(inst.id, "1m", frame)
    paper = PaperSession(build_strategy(name, p), [inst], account_id="P-1", base_timeframe="1m")
    paper.start(feed)
    feed.play(speed=math.inf)
    paper.stop()
    orders = [order_row(o) for o in paper.oms.orders]
    assert len(res.fills) > 5
    assert orders == res.orders
    fills = [
        fill_row(e) for o in paper.oms.orders for e in o.events if type(e).__name__ == "OrderFilled"
    ]
    assert sorted(fills, key=lambda f: f["trade_id"]) == sorted(
        res.fills, key=lambda f: f["trade_id"]
    )


@pytest.fixture
def db(tmp_path: Path) -> Database:
    d = Database(f"sqlite:///{tmp_path / 'oms.db'}")
    d.migrate()
    return d


class CheckingVenue(SimulatedVenue):
    """The real venue; on every submit it checks that the order row is already stored."""

    db: Database

    def submit(self, order: Order, ts: int) -> Order:
        with self.db.session() as s:
            row = s.scalar(
                select(OrderRow).where(OrderRow.client_order_id == order.client_order_id)
            )
        assert row is not None, f"{order.client_order_id} reached the venue before the store"
        return super().submit(order, ts)


def test_orders_are_persisted_before_they_are_sent(inst: Instrument, db: Database) -> None:
    ledger = SqlLedger(db)
    ledger.create_account(
        "P-2", owner_id="u1", kind="paper", currency="USD", starting_cash=Decimal(1_000_000)
    )
    paper = PaperSession(
        build_strategy(
            "ema_cross", {"instruments": [inst.id], "fast": 3, "slow": 8, "quantity": 2}
        ),
        [inst],
        account_id="P-2",
        base_timeframe="1m",
        ledger=ledger,
    )
    CheckingVenue.db = db
    paper.venue = CheckingVenue(paper.venue_config, [inst], paper._on_venue_event)
    paper.oms.venue = paper.venue
    feed = ReplaySource()
    feed.load(inst.id, "1m", gbm_bars(200, seed=2))
    paper.start(feed)
    feed.play(speed=math.inf)
    orders, events = ledger.load("P-2")
    assert len(orders) == len(paper.oms.orders) > 3
    assert sum(type(e).__name__ == "OrderFilled" for e in events) == len(orders)


CHILD = textwrap.dedent("""
    import math, os, signal, sys
    from decimal import Decimal
    sys.path.insert(0, ".")
    from tests.unit.backtest_event.conftest import gbm_bars
    from nautilus.data.sources.replay import ReplaySource
    from nautilus.execution.paper import PaperSession
    from nautilus.execution.tables import SqlLedger
    from nautilus.model.instrument import Instrument
    from nautilus.persistence.db import Database
    from nautilus.strategy import build_strategy
    db = Database(sys.argv[1]); db.migrate()
    inst = Instrument.create("AAA.SIM", "crypto", "USD", calendar="24/7")
    ledger = SqlLedger(db)
    ledger.create_account("P-K", owner_id="u1", kind="paper", currency="USD",
                          starting_cash=Decimal(100000))
    s = build_strategy("donchian_atr", {"instruments": [inst.id], "entry": 10, "exit": 5,
                                        "quantity": 3})
    paper = PaperSession(s, [inst], account_id="P-K", base_timeframe="1m", ledger=ledger,
                         initial_cash=Decimal(100000))
    feed = ReplaySource(); feed.load(inst.id, "1m", gbm_bars(600, seed=8, vol=0.002))
    paper.start(feed)
    n = 0
    def on_bar(bar):
        global n
        n += 1
        if n == 500:
            print(paper.oms.cash(), paper.oms.net_qty(inst.id),
                  len(paper.oms.open_orders()), len(paper.oms.orders), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    feed.subscribe_bars(inst.id, "1m", on_bar)
    feed.play(speed=math.inf)
""")


def test_sigkill_restart_restores_and_reconciles(inst: Instrument, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, url],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": "src"},
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    cash, qty, n_open, n_orders = proc.stdout.split()
    db = Database(url)
    ledger = SqlLedger(db)
    strategy = build_strategy(
        "donchian_atr", {"instruments": [inst.id], "entry": 10, "exit": 5, "quantity": 3}
    )
    paper = PaperSession(
        strategy,
        [inst],
        account_id="P-K",
        base_timeframe="1m",
        ledger=ledger,
        initial_cash=Decimal(100000),
    )
    summary = paper.resume(*ledger.load("P-K"))
    assert paper.oms.cash() == Decimal(cash)
    assert paper.oms.net_qty(inst.id) == Decimal(qty)
    assert len(paper.oms.orders) == int(n_orders)
    assert len(paper.oms.open_orders()) == int(n_open)
    assert summary["positions"].get(inst.id, "0") == qty
    # the strategy continues where it stopped: fresh ids, no collisions
    feed = ReplaySource()
    feed.load(inst.id, "1m", gbm_bars(700, seed=8, vol=0.002).iloc[500:])
    paper.start(feed)
    feed.play(speed=math.inf)
    assert len(paper.oms.orders) > int(n_orders)
    restored, _ = ledger.load("P-K")
    assert len({o.client_order_id for o, _ in restored}) == len(restored)


def test_missing_position_report_fails_closed(inst: Instrument) -> None:
    paper = PaperSession(
        build_strategy("ema_cross", {"instruments": [inst.id]}),
        [inst],
        account_id="P-3",
        base_timeframe="1m",
    )
    report = VenueReport(account_id="P-3", orders=[], fills=[], positions=None, ts=0)
    with pytest.raises(ReconciliationError) as err:
        paper.oms.reconcile(report)
    assert err.value.code == "position_report_missing"
    assert "not the same as flat" in err.value.detail
    wrong = VenueReport(
        account_id="P-3", orders=[], fills=[], positions={inst.id: Decimal(5)}, ts=0
    )
    with pytest.raises(ReconciliationError) as err:
        paper.oms.reconcile(wrong)
    assert err.value.code == "position_mismatch"


def test_quotes_and_trades_reach_the_strategy_and_the_venue(inst: Instrument) -> None:
    from nautilus.model.data import AggressorSide, Quote, Trade
    from nautilus.model.events import OrderFilled
    from nautilus.strategy.config import StrategyConfig
    from nautilus.strategy.event import EventStrategy

    class Ticks(EventStrategy):
        name = "ticks"

        def setup(self) -> None:
            self.subscribe_quotes(inst.id)
            self.subscribe_trades(inst.id)
            self.seen: list[str] = []

        def on_quote(self, quote: Quote) -> None:
            self.seen.append("quote")
            if len(self.seen) == 1:
                self.buy(inst.id, 2)

        def on_trade(self, trade: Trade) -> None:
            self.seen.append("trade")

        def on_fill(self, order: Order, fill: OrderFilled) -> None:
            self.seen.append(f"fill {fill.last_px}")

    strat = Ticks(StrategyConfig(instruments=(inst.id,)))
    paper = PaperSession(strat, [inst], account_id="P-Q", base_timeframe="1m")
    paper.start()
    for k, (bid, ask) in enumerate([(99.9, 100.1), (99.95, 100.05)]):
        t = 1_700_000_000_000_000_000 + k * 1_000_000_000
        paper.clock.observe(t)  # type: ignore[attr-defined]
        paper.on_quote(
            Quote(
                instrument_id=inst.id,
                bid=bid,
                ask=ask,
                bid_size=10,
                ask_size=10,
                ts_event=t,
                ts_init=t,
            )
        )
    paper.on_trade(
        Trade(
            instrument_id=inst.id,
            price=100.0,
            size=1,
            aggressor=AggressorSide.BUYER,
            trade_id="x1",
            ts_event=1_700_000_002_000_000_000,
            ts_init=1_700_000_002_000_000_000,
        )
    )
    assert strat.seen[0] == "quote" and "trade" in strat.seen
    assert any(s.startswith("fill 100.") for s in strat.seen)
    assert paper.oms.net_qty(inst.id) == 2
