"""Sweeps: the one-launch SMA grid equals engine runs and vectorbt; limits, constraints, search."""

from __future__ import annotations

import numpy as np
import pytest

from nautilus.analytics import metrics_table
from nautilus.backtest.signals import channel_breakout, sma_cross
from nautilus.backtest.sweep import (
    Market,
    ParamRange,
    SweepConfig,
    bayesian_search,
    evaluate_chunk,
    grid_search,
    random_search,
)
from nautilus.backtest.vectorized import VectorizedConfig, run_signals
from nautilus.core.errors import ValidationError

from .conftest import gbm_panel, shift

COSTS = VectorizedConfig(
    init_cash=10_000.0,
    fee_model="bps",
    fee_params={"bps": 5, "precision": 12},
    slippage_model="fixed_bps",
    slippage_params={"bps": 2},
)


@pytest.fixture(scope="module")
def market() -> Market:
    p = gbm_panel(2000, 1, seed=5)
    return Market(p["index"], p["close"], p["open"], p["high"], p["low"])


GRID = {"fast": [3, 5, 10, 20], "slow": [15, 30, 60]}


def test_sma_grid_equals_engine_runs(market: Market) -> None:
    rep = grid_search(market, "sma_cross", GRID, COSTS)
    assert rep.n_trials == 11  # (20, 15) has fast >= slow and is dropped
    for _, row in rep.table.iterrows():
        ent, ext = sma_cross(market.close, int(row["fast"]), int(row["slow"]))
        res = run_signals(market.close, ent, ext, index=market.index, config=COSTS)
        ref = metrics_table(res.returns)
        assert row["total_return"] == pytest.approx(res.total_return[0], rel=1e-12, abs=1e-12)
        assert row["sharpe"] == pytest.approx(ref.loc["sharpe", 0], rel=1e-10)
        assert row["max_drawdown"] == pytest.approx(ref.loc["max_drawdown", 0], rel=1e-10)
        assert row["trades"] == res.trade_count[0]


def test_sma_grid_equals_vectorbt(market: Market) -> None:
    vbt = pytest.importorskip("vectorbt")
    rep = grid_search(market, "sma_cross", GRID, COSTS)
    close = market.close[:, 0]
    fast = vbt.MA.run(close, window=rep.table["fast"].to_numpy(), short_name="f")
    slow = vbt.MA.run(close, window=rep.table["slow"].to_numpy(), short_name="s")
    ent = fast.ma_crossed_above(slow).to_numpy()
    ext = fast.ma_crossed_below(slow).to_numpy()
    pf = vbt.Portfolio.from_signals(
        np.repeat(market.close, len(rep.table), axis=1),
        shift(ent),
        shift(ext),
        init_cash=10_000.0,
        fees=0.0005,
        slippage=0.0002,
    )
    np.testing.assert_allclose(
        rep.table["total_return"], pf.total_return().to_numpy(), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_array_equal(rep.table["trades"], pf.trades.closed.count().to_numpy())


def test_generic_strategy_chunks_equal_single_runs(market: Market) -> None:
    grid = {"entry_window": [10, 20, 40], "exit_window": [5, 10]}
    one = grid_search(market, "channel_breakout", grid, COSTS, SweepConfig(chunk_size=1))
    many = grid_search(market, "channel_breakout", grid, COSTS, SweepConfig(chunk_size=4))
    np.testing.assert_allclose(one.table["sharpe"], many.table["sharpe"], rtol=1e-12)
    ent, ext = channel_breakout(market.close, 40, 10)
    res = run_signals(market.close, ent, ext, index=market.index, config=COSTS)
    row = one.table[(one.table.entry_window == 40) & (one.table.exit_window == 10)].iloc[0]
    assert row["total_return"] == pytest.approx(res.total_return[0], rel=1e-12)


def test_panel_trials_sum_the_groups() -> None:
    p = gbm_panel(600, 3, seed=9)
    mk = Market(p["index"], p["close"])
    rows = evaluate_chunk(mk, "sma_cross", [{"fast": 5, "slow": 20}], COSTS)
    ent, ext = sma_cross(mk.close, 5, 20)
    res = run_signals(mk.close, ent, ext, index=mk.index, config=COSTS)
    assert rows[0, 0] == pytest.approx(res.value[-1].sum() / 30_000.0 - 1.0, rel=1e-12)
    assert rows[-1, 0] == res.trade_count.sum()


def test_objective_constraints_and_best(market: Market) -> None:
    sw = SweepConfig(objective="total_return", min_trades=40, max_drawdown=0.5)
    rep = grid_search(market, "sma_cross", GRID, COSTS, sw)
    t = rep.table
    expect = (t["trades"] >= 40) & (t["max_drawdown"] >= -0.5)
    np.testing.assert_array_equal(t["feasible"], expect)
    best = t[expect]["total_return"].idxmax()
    assert rep.best_index == best
    assert rep.best_params == {"fast": int(t.at[best, "fast"]), "slow": int(t.at[best, "slow"])}
    d = rep.to_dict(top=3)
    assert d["n_trials"] == 11 and len(d["top"]) == min(3, int(expect.sum()))
    assert d["deflated_sharpe"] is None or 0.0 <= d["deflated_sharpe"] <= 1.0


def test_grid_larger_than_the_limit_is_refused(market: Market) -> None:
    with pytest.raises(ValidationError, match="limit is 10") as err:
        grid_search(
            market,
            "sma_cross",
            {"fast": list(range(1, 5)), "slow": list(range(10, 13))},
            sweep=SweepConfig(max_combinations=10),
        )
    assert err.value.code == "grid_too_large"
    with pytest.raises(ValidationError) as err:
        grid_search(market, "sma_cross", GRID, sweep=SweepConfig(objective="beta"))
    assert err.value.code == "benchmark_required"
    with pytest.raises(ValidationError):
        grid_search(market, "sma_cross", GRID, sweep=SweepConfig(objective="nope"))


def test_random_search_is_seeded(market: Market) -> None:
    space = {"fast": ParamRange(low=2, high=20), "slow": ParamRange(low=25, high=80)}
    a = random_search(market, "sma_cross", space, 12, seed=3, config=COSTS)
    b = random_search(market, "sma_cross", space, 12, seed=3, config=COSTS)
    assert a.table[["fast", "slow"]].equals(b.table[["fast", "slow"]])
    assert a.table["fast"].between(2, 20).all() and a.table["slow"].between(25, 80).all()
    assert a.n_trials == 12


def test_bayesian_search_records_every_trial(market: Market) -> None:
    pytest.importorskip("optuna")
    space = {"fast": ParamRange(low=2, high=20), "slow": ParamRange(low=25, high=80)}
    rep = bayesian_search(
        market, "sma_cross", space, 8, seed=1, config=COSTS, sweep=SweepConfig(objective="sharpe")
    )
    assert rep.n_trials == 8
    best = rep.table["sharpe"][rep.table["feasible"]].max()
    assert rep.best_value == pytest.approx(best)
    again = bayesian_search(market, "sma_cross", space, 8, seed=1, config=COSTS)
    assert rep.table[["fast", "slow"]].equals(again.table[["fast", "slow"]])


@pytest.mark.ray
@pytest.mark.slow
def test_ray_executor_equals_local(market: Market) -> None:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        local = grid_search(market, "sma_cross", GRID, COSTS, SweepConfig(chunk_size=5))
        remote = grid_search(
            market, "sma_cross", GRID, COSTS, SweepConfig(chunk_size=5, executor="ray")
        )
    finally:
        ray.shutdown()
    np.testing.assert_allclose(remote.table["sharpe"], local.table["sharpe"], rtol=1e-12)
    assert remote.n_trials == local.n_trials == 11
