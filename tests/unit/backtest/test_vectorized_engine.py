"""Engine behaviour with hand-computed answers: next-bar fills, stops, fees, sizing, errors."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from nautilus.analytics import metrics_table
from nautilus.backtest.vectorized import (
    VectorizedConfig,
    rebalance_schedule,
    run_signals,
    run_targets,
)
from nautilus.core.errors import ValidationError
from nautilus.execution.models import PerShareFee
from nautilus.execution.models.fees import PerShareFeeConfig
from nautilus.model.events import LiquiditySide

DAY = 86_400_000_000_000


def _idx(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) * DAY


def test_signal_that_knows_the_close_cannot_trade_at_that_close() -> None:
    """A dip-buyer that sees bar t's close would earn 11.1 % a round trip filling at that
    close; the engine fills on the next bar, so it buys the rebound and sells the dip."""
    n = 21
    close = np.where(np.arange(n) % 2 == 0, 100.0, 90.0)
    prev = np.concatenate([[np.nan], close[:-1]])
    entries = close < prev  # uses close[t]
    exits = close > prev
    res = run_signals(
        close, entries, exits, index=_idx(n), config=VectorizedConfig(init_cash=1000.0)
    )
    o = res.orders
    assert np.all(o["bar"] >= 1)
    assert (entries | exits)[o["bar"] - 1].all()
    np.testing.assert_array_equal(o["price"], close[o["bar"]])
    buys = o[o["side"] == 1]
    assert (buys["price"] == 100.0).all()  # never the 90 the signal saw
    trips = res.trade_count[0]
    assert trips == 9
    assert res.value[-1, 0] == pytest.approx(1000.0 * 0.9**trips, rel=1e-12)


def test_next_open_fills_at_the_following_open() -> None:
    close = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    open_ = np.array([9.5, 10.5, 11.5, 12.5, 13.5])
    res = run_signals(
        close,
        np.array([1, 0, 0, 0, 0], bool),
        np.array([0, 0, 1, 0, 0], bool),
        open=open_,
        index=_idx(5),
        config=VectorizedConfig(init_cash=105.0, execution="next_open"),
    )
    assert res.orders["bar"].tolist() == [1, 3]
    assert res.orders["price"].tolist() == [10.5, 12.5]
    assert res.value[-1, 0] == pytest.approx(125.0)
    with pytest.raises(ValidationError) as err:
        run_signals(
            close,
            np.ones(5, bool),
            np.zeros(5, bool),
            index=_idx(5),
            config=VectorizedConfig(execution="next_open"),
        )
    assert err.value.code == "missing_open"


def _bars(rows: list[tuple[float, float, float, float]]) -> dict[str, np.ndarray]:
    a = np.array(rows)
    return {"open": a[:, 0], "high": a[:, 1], "low": a[:, 2], "close": a[:, 3]}


def _one_entry(bars: dict[str, np.ndarray], **cfg: object):
    n = len(bars["close"])
    ent = np.zeros(n, bool)
    ent[0] = True
    return run_signals(
        bars["close"],
        ent,
        np.zeros(n, bool),
        open=bars["open"],
        high=bars["high"],
        low=bars["low"],
        index=_idx(n),
        config=VectorizedConfig(init_cash=1000.0, size=1.0, **cfg),
    )


def test_stop_loss_fills_at_the_stop_or_the_gap() -> None:
    bars = _bars(
        [
            (100, 100, 100, 100),
            (100, 101, 99, 100),
            (99, 100, 96, 97),
            (97, 98, 94, 95),
            (95, 95, 95, 95),
        ]
    )
    res = _one_entry(bars, stop_loss=0.05)
    assert res.orders["bar"].tolist() == [1, 3]
    assert res.orders["price"][1] == pytest.approx(95.0)
    assert res.orders_frame()["reason"].tolist() == ["signal", "stop_loss"]
    gap = _bars([(100, 100, 100, 100), (100, 101, 99, 100), (90, 91, 88, 89), (89, 89, 89, 89)])
    res = _one_entry(gap, stop_loss=0.05)
    assert res.orders["price"][1] == 90.0 and res.orders["bar"][1] == 2


def test_take_profit_and_conservative_order_within_a_bar() -> None:
    bars = _bars(
        [(100, 100, 100, 100), (100, 101, 99, 100), (101, 111, 100, 105), (105, 105, 105, 105)]
    )
    res = _one_entry(bars, take_profit=0.1, stop_loss=0.05)
    assert res.orders["price"][1] == pytest.approx(110.0)
    assert res.orders_frame()["reason"].iloc[1] == "take_profit"
    both = _bars(
        [(100, 100, 100, 100), (100, 101, 99, 100), (100, 112, 94, 105), (105, 105, 105, 105)]
    )
    res = _one_entry(both, take_profit=0.1, stop_loss=0.05)
    assert res.orders["price"][1] == pytest.approx(95.0)  # the adverse extreme comes first
    assert res.orders_frame()["reason"].iloc[1] == "stop_loss"


def test_trailing_stop_follows_the_high_and_checks_the_close() -> None:
    bars = _bars(
        [
            (100, 100, 100, 100),
            (100, 101, 99, 100),
            (100, 120, 99, 118),
            (118, 119, 112, 113),
            (113, 113, 113, 113),
        ]
    )
    res = _one_entry(bars, trailing_stop=0.05)
    # bar 3: low 112 < 120 * 0.95 = 114 -> out at 114
    assert res.orders["bar"][1] == 3 and res.orders["price"][1] == pytest.approx(114.0)
    assert res.orders_frame()["reason"].iloc[1] == "trailing_stop"
    h2c = _bars(
        [(100, 100, 100, 100), (100, 101, 99, 100), (100, 120, 99, 110), (110, 110, 110, 110)]
    )
    res = _one_entry(h2c, trailing_stop=0.05)
    assert res.orders["bar"][1] == 2 and res.orders["price"][1] == pytest.approx(114.0)


def test_short_stop_loss_mirrors_the_long() -> None:
    bars = _bars(
        [(100, 100, 100, 100), (100, 101, 99, 100), (101, 106, 100, 104), (104, 104, 104, 104)]
    )
    n = 4
    ent = np.zeros(n, bool)
    ent[0] = True
    res = run_signals(
        bars["close"],
        np.zeros(n, bool),
        np.zeros(n, bool),
        short_entries=ent,
        open=bars["open"],
        high=bars["high"],
        low=bars["low"],
        index=_idx(n),
        config=VectorizedConfig(init_cash=1000.0, size=2.0, stop_loss=0.05),
    )
    assert res.orders["side"].tolist() == [-1, 1]
    assert res.orders["price"][1] == pytest.approx(105.0)
    assert res.value[-1, 0] == pytest.approx(1000.0 - 2 * 5.0)


def test_per_share_fees_equal_the_execution_model() -> None:
    cfg = PerShareFeeConfig(
        per_share=Decimal("0.01"), minimum=Decimal("1"), max_bps_of_notional=Decimal("50")
    )
    model = PerShareFee(cfg)
    close = np.array([10.0, 10.0, 10.0, 2.0, 2.0, 3.0, 3.0])
    ent = np.array([1, 0, 0, 0, 0, 0, 0], bool)
    ext = np.array([0, 1, 0, 0, 0, 0, 0], bool)
    for size in (50.0, 500.0, 2.0):
        res = run_signals(
            close,
            ent,
            ext,
            index=_idx(7),
            config=VectorizedConfig(
                init_cash=100_000.0, size=size, fee_model="per_share", fee_params=cfg.model_dump()
            ),
        )
        inst = _instrument()
        for o in res.orders:
            want = model.commission(
                inst,
                Decimal(repr(float(o["qty"]))),
                Decimal(repr(float(o["price"]))),
                LiquiditySide.TAKER,
                int(o["ts"]),
            )
            assert o["fee"] == pytest.approx(float(want), abs=1e-12)


def _instrument():
    from nautilus.model.instrument import AssetClass, Instrument

    return Instrument(
        id="TEST.SIM", symbol="TEST", venue="SIM", asset_class=AssetClass.EQUITY, currency="USD"
    )


def test_all_cash_entries_are_affordable_with_per_share_minimum() -> None:
    close = np.array([10.0, 10.0, 11.0])
    res = run_signals(
        close,
        np.array([1, 0, 0], bool),
        np.zeros(3, bool),
        index=_idx(3),
        config=VectorizedConfig(
            init_cash=1000.0,
            fee_model="per_share",
            fee_params={"per_share": "0.01", "minimum": "5"},
        ),
    )
    o = res.orders[0]
    assert o["fee"] == 5.0 and o["qty"] == pytest.approx(99.5)
    assert o["qty"] * o["price"] + o["fee"] == pytest.approx(1000.0)


def test_percent_and_target_vol_sizing() -> None:
    rng = np.random.default_rng(2)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 80)))
    ent = np.zeros(80, bool)
    ent[40] = True
    res = run_signals(
        close,
        ent,
        np.zeros(80, bool),
        index=_idx(80),
        config=VectorizedConfig(init_cash=1000.0, size=0.3, size_type="percent"),
    )
    assert res.orders["qty"][0] == pytest.approx(0.3 * 1000.0 / close[41])
    res = run_signals(
        close,
        ent,
        np.zeros(80, bool),
        index=_idx(80),
        config=VectorizedConfig(init_cash=1000.0, size=0.05, size_type="target_vol", vol_window=20),
    )
    sigma = pd.Series(close).pct_change().iloc[21:41].std() * math.sqrt(252)
    assert res.orders["qty"][0] == pytest.approx(0.05 / sigma * 1000.0 / close[41], rel=1e-12)


def test_metrics_are_the_analytics_table(panel, signals) -> None:
    res = run_signals(panel["close"], *signals, index=panel["index"])
    table = res.metrics()
    ref = metrics_table(res.returns)
    np.testing.assert_allclose(table.loc["sharpe"].to_numpy(), ref.loc["sharpe"].to_numpy())
    assert table.loc["trades"].tolist() == res.trade_count.tolist()
    assert res.value_frame().index.tz is not None
    assert len(res.trades_frame()) == len(res.trades)


def test_weights_rebalance_monthly_and_on_drift() -> None:
    idx = pd.date_range("2024-01-01", periods=90, freq="D", tz="UTC").asi8
    reb = rebalance_schedule(idx, "month")
    assert np.flatnonzero(reb).tolist() == [30, 59]  # Jan 31, Feb 29: trade on the 1st
    assert np.flatnonzero(rebalance_schedule(idx, 30)).tolist() == [0, 30, 60]
    close = np.column_stack([np.linspace(100, 200, 90), np.full(90, 50.0)])
    w = np.tile([0.5, 0.5], (90, 1))
    res = run_targets(
        close,
        w,
        kind="weights",
        rebalance=reb,
        index=idx,
        config=VectorizedConfig(init_cash=10_000.0, cash_sharing=True),
    )
    assert sorted(set(res.orders["bar"].tolist())) == [31, 60]
    drift = run_targets(
        close,
        w,
        kind="weights",
        rebalance=np.zeros(90, bool),
        drift_threshold=0.05,
        index=idx,
        config=VectorizedConfig(init_cash=10_000.0, cash_sharing=True),
    )
    bars = sorted(set(drift.orders["bar"].tolist()))
    assert bars[0] == 1  # first bar: weights 0 vs 0.5
    val = drift.value[:, 0]
    wts = drift.positions[:, 0] * close[:, 0] / val
    for b in bars[1:]:
        assert abs(wts[b - 2] - 0.5) <= 0.05 < abs(wts[b - 1] - 0.5)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"close": np.empty((0, 2))}, "empty"),
        ({"close": np.array([1.0, np.nan, 2.0])}, "nan_prices"),
        ({"entries": np.ones((3, 2), bool)}, "misaligned"),
        ({"entries": np.ones(3)}, "bad_dtype"),
        ({"index": np.array([0, 2, 1], dtype=np.int64)}, "unsorted_index"),
        ({"index": np.arange(4, dtype=np.int64)}, "misaligned"),
        ({"close": np.array([1.0, -1.0, 2.0])}, "bad_prices"),
    ],
)
def test_bad_input_is_rejected(kwargs, code) -> None:
    args = {
        "close": np.array([1.0, 2.0, 3.0]),
        "entries": np.ones(3, bool),
        "exits": np.zeros(3, bool),
        "index": np.arange(3, dtype=np.int64),
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        run_signals(args.pop("close"), args.pop("entries"), args.pop("exits"), **args)
    assert err.value.code == code
    assert err.value.detail


def test_misaligned_shapes_are_stated() -> None:
    with pytest.raises(ValidationError, match=r"\(3, 2\).*\(3, 1\)"):
        run_signals(
            np.ones(3), np.ones((3, 2), bool), np.zeros(3, bool), index=np.arange(3, dtype=np.int64)
        )


def test_unexpressible_models_raise() -> None:
    for cfg in (
        VectorizedConfig(fee_model="tiered"),
        VectorizedConfig(slippage_model="volume_participation"),
    ):
        with pytest.raises(ValidationError) as err:
            run_signals(
                np.ones(3),
                np.ones(3, bool),
                np.zeros(3, bool),
                index=np.arange(3, dtype=np.int64),
                config=cfg,
            )
        assert err.value.code == "unsupported_model"
