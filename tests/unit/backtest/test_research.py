"""Walk-forward folds and stitching, rotation portfolios, and the registered job kinds."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from nautilus.backtest.jobs import (
    SweepJobParams,
    SyntheticData,
    WalkForwardJobParams,
    run_sweep_job,
    run_walk_forward_job,
    synthetic_market,
)
from nautilus.backtest.rotation import (
    optimiser_rotation,
    optimiser_weight_fn,
    rank_and_rotate,
    top_n_weights,
)
from nautilus.backtest.signals import sma_cross
from nautilus.backtest.sweep import Market, grid_search
from nautilus.backtest.vectorized import VectorizedConfig, rebalance_schedule, run_signals
from nautilus.backtest.walkforward import WalkForwardConfig, walk_forward, walk_forward_folds
from nautilus.jobs.base import JOB_KINDS

from .conftest import gbm_panel


class Recorder:
    """A Progress that keeps every update."""

    def __init__(self) -> None:
        self.updates: list[tuple[float, str | None]] = []

    def update(self, fraction: float, message: str | None = None) -> None:
        self.updates.append((fraction, message))

    @property
    def cancelled(self) -> bool:
        return False


def test_fold_geometry_rolling_anchored_purge_embargo() -> None:
    wf = WalkForwardConfig(train_bars=100, test_bars=50, purge_bars=5, embargo_bars=3)
    folds = walk_forward_folds(320, wf)
    assert [(f.train_start, f.fit_stop, f.test_start, f.test_stop) for f in folds] == [
        (0, 95, 103, 153),
        (50, 145, 153, 203),
        (100, 195, 203, 253),
        (150, 245, 253, 303),
        (200, 295, 303, 320),
    ]
    anchored = walk_forward_folds(320, wf.model_copy(update={"anchored": True}))
    assert all(f.train_start == 0 for f in anchored)
    for f in folds:
        assert f.fit_stop <= f.test_start - wf.purge_bars - wf.embargo_bars


def test_walk_forward_stitches_oos_runs_of_the_in_sample_winner() -> None:
    p = gbm_panel(900, 1, seed=21)
    mk = Market(p["index"], p["close"])
    grid = {"fast": [5, 10], "slow": [30, 60]}
    wf = WalkForwardConfig(train_bars=400, test_bars=150, purge_bars=2, embargo_bars=1)
    cfg = VectorizedConfig(init_cash=1000.0)
    res = walk_forward(mk, "sma_cross", grid, wf, cfg)
    folds = walk_forward_folds(900, wf)
    assert len(res.folds) == len(folds) == 4
    pieces = []
    for f, info in zip(folds, res.folds, strict=True):
        rep = grid_search(mk.slice(f.train_start, f.fit_stop), "sma_cross", grid, cfg)
        assert info["best_params"] == rep.best_params
        ent, ext = sma_cross(mk.close[: f.test_stop], **rep.best_params)
        run = run_signals(
            mk.close[f.test_start : f.test_stop],
            ent[f.test_start :],
            ext[f.test_start :],
            index=mk.index[f.test_start : f.test_stop],
            config=cfg,
        )
        pieces.append(run.returns[:, 0])
    np.testing.assert_allclose(res.returns, np.concatenate(pieces), rtol=1e-12, atol=1e-15)
    assert res.equity[-1] == pytest.approx(1000.0 * np.prod(1 + np.concatenate(pieces)))
    assert res.index[0] == mk.index[folds[0].test_start]
    assert set(res.metrics()) >= {"sharpe", "max_drawdown"}


def test_rank_and_rotate_holds_the_top_names() -> None:
    p = gbm_panel(300, 5, seed=4)
    close = p["close"]
    mom = np.full_like(close, np.nan)
    mom[20:] = close[20:] / close[:-20] - 1.0
    res = rank_and_rotate(
        close, mom, 2, every=21, index=p["index"], config=VectorizedConfig(init_cash=10_000.0)
    )
    reb = rebalance_schedule(p["index"], 21)
    for t in np.flatnonzero(reb)[1:]:
        if t + 1 >= len(close):
            continue
        held = set(np.flatnonzero(res.positions[t + 1] > 0))
        assert held == set(np.argsort(-mom[t], kind="stable")[:2])
        w = res.positions[t + 1] * close[t + 1] / res.value[t + 1, 0]
        np.testing.assert_allclose(w[list(held)], 0.5, atol=1e-12)
    assert top_n_weights(np.array([[np.nan, 1.0, 2.0]]), 2)[0].tolist() == [0.0, 0.5, 0.5]


def test_optimiser_rotation_uses_only_past_returns() -> None:
    p = gbm_panel(260, 3, seed=8)
    seen: list[int] = []

    def inverse_vol(window: np.ndarray) -> np.ndarray:
        seen.append(window.shape[0])
        iv = 1.0 / window.std(axis=0, ddof=1)
        return iv / iv.sum()

    res = optimiser_rotation(
        p["close"],
        inverse_vol,
        60,
        every=20,
        index=p["index"],
        config=VectorizedConfig(init_cash=1000.0),
    )
    assert set(seen) == {60}
    t = 80  # a rebalance bar: decided at its close from returns up to it, traded at t + 1
    rets = p["close"][1:] / p["close"][:-1] - 1
    want = inverse_vol(rets[t - 60 : t])
    w = res.positions[t + 1] * p["close"][t + 1] / res.value[t + 1, 0]
    np.testing.assert_allclose(w, want, atol=1e-12)
    eq = optimiser_rotation(
        p["close"],
        optimiser_weight_fn("equal_weight"),
        60,
        every=20,
        index=p["index"],
        config=VectorizedConfig(init_cash=1000.0),
    )
    w = eq.positions[t + 1] * p["close"][t + 1] / eq.value[t + 1, 0]
    np.testing.assert_allclose(w, 1 / 3, atol=1e-9)


def test_jobs_are_registered_and_run_on_synthetic_data() -> None:
    assert "backtest.sweep" in JOB_KINDS and "backtest.walk_forward" in JOB_KINDS
    data = SyntheticData(symbols=("AAA",), start="2018-01-01", end="2020-12-31", seed=3)
    mk = synthetic_market(data)
    assert mk.n_bars == 784 and (mk.high >= mk.close).all() and (mk.low <= mk.open).all()
    again = synthetic_market(data)
    np.testing.assert_array_equal(mk.close, again.close)
    params = SweepJobParams(data=data, grid={"fast": [5, 10, 20], "slow": [40, 80]}, pbo_blocks=4)
    prog = Recorder()
    out = run_sweep_job(params, prog)
    assert out["n_trials"] == 6 and out["bars"] == 784
    png = base64.b64decode(out["heatmap_png_base64"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert 0.0 <= out["pbo"]["pbo"] <= 1.0
    assert prog.updates[-1][0] == 1.0
    direct = grid_search(mk, "sma_cross", {"fast": [5, 10, 20], "slow": [40, 80]})
    assert out["best_params"] == direct.best_params
    wf = WalkForwardJobParams(
        data=data,
        grid={"fast": [5, 10], "slow": [40]},
        walk_forward=WalkForwardConfig(train_bars=300, test_bars=200),
    )
    res = run_walk_forward_job(wf, Recorder())
    assert len(res["folds"]) == 3 and res["oos_bars"] == 484
