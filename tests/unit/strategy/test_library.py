"""Every shipped strategy runs end to end (signal strategies against the vectorized engine:
``test_signal_parity``)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from nautilus.backtest.event import EventBacktest, EventBacktestConfig
from nautilus.model.instrument import Instrument
from nautilus.strategy import build_strategy

from .conftest import gbm_bars


@pytest.mark.parametrize(
    "name,params",
    [
        ("ema_cross", {"fast": 5, "slow": 20}),
        ("ema_cross", {"fast": 5, "slow": 20, "trend_timeframe": "1h", "trend_period": 3}),
        ("rsi_reversion", {"period": 7}),
        ("bollinger_breakout", {"period": 10, "nbdev": 1.5}),
        ("donchian_atr", {"entry": 15, "exit": 8}),
        ("sma_trend_signal", {"window": 20}),
    ],
)
def test_strategy_trades_and_accounts_balance(
    name: str, params: dict[str, object], inst: Instrument
) -> None:
    frame = gbm_bars(1_500, seed=11, vol=0.002)
    strat = build_strategy(name, {**params, "instruments": [inst.id], "quantity": 10})
    bt = EventBacktest(strat, [inst], EventBacktestConfig(initial_cash=Decimal(100_000)))
    bt.add_bars(inst.id, "1m", frame)
    res = bt.run()
    assert len(res.fills) >= 4, name
    # cash = start - sum(signed fill notional); equity at the end = cash + position x close
    flow = sum(
        (
            Decimal(f["last_qty"]) * Decimal(f["last_px"]) * (1 if f["side"] == "buy" else -1)
            for f in res.fills
        ),
        Decimal(0),
    )
    assert Decimal(res.final_cash) == Decimal(100_000) - flow
    pos = bt.oms.net_qty(inst.id)
    assert res.equity[-1] == pytest.approx(
        float(res.final_cash) + float(pos) * frame["close"].iloc[-1]
    )


def test_pairs_trades_both_legs(inst: Instrument, inst_b: Instrument) -> None:
    a = gbm_bars(2_000, seed=1, vol=0.002)
    b = a.copy()
    noise = np.random.default_rng(9).normal(0, 0.3, len(b)).round(2)
    for col in ("open", "high", "low", "close"):
        b[col] = (b[col] + noise).round(2)
    b["high"] = b[["open", "high", "close"]].max(axis=1)
    b["low"] = b[["open", "low", "close"]].min(axis=1)
    strat = build_strategy("pairs", {"instruments": [inst.id, inst_b.id], "window": 30})
    bt = EventBacktest(strat, [inst, inst_b])
    bt.add_bars(inst.id, "1m", a)
    bt.add_bars(inst_b.id, "1m", b)
    res = bt.run()
    legs = {f["instrument_id"] for f in res.fills}
    assert legs == {inst.id, inst_b.id}
    assert bt.oms.net_qty(inst.id) == -bt.oms.net_qty(inst_b.id)
