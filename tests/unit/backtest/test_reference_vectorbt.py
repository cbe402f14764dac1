"""The vectorized engine against vectorbt's Portfolio for the settings both support.

vectorbt fills on the signal bar at the given ``price``; our engine fills on the next bar. So
vectorbt is fed the signals shifted by one bar (and ``price=open`` for next-open execution):
then both describe the same trades and must agree to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest

from nautilus.backtest.vectorized import VectorizedConfig, run_signals, run_targets

from .conftest import shift

vbt = pytest.importorskip("vectorbt")

TOL = 1e-9


def _fees(bps: float, slip_bps: float, **kw: object) -> VectorizedConfig:
    return VectorizedConfig(
        fee_model="bps",
        fee_params={"bps": bps, "precision": 12},
        slippage_model="fixed_bps",
        slippage_params={"bps": slip_bps},
        **kw,
    )


def _assert_orders_equal(ours: np.ndarray, pf: object) -> None:
    rec = pf.orders.records_arr  # type: ignore[attr-defined]
    rec = rec[np.lexsort((rec["idx"], rec["col"]))]
    mine = ours[np.lexsort((ours["bar"], ours["col"]))]
    assert len(mine) == len(rec)
    np.testing.assert_array_equal(mine["bar"], rec["idx"])
    np.testing.assert_array_equal(mine["col"], rec["col"])
    np.testing.assert_allclose(mine["qty"], rec["size"], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(mine["price"], rec["price"], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(mine["fee"], rec["fees"], rtol=TOL, atol=TOL)
    np.testing.assert_array_equal(np.where(mine["side"] > 0, 0, 1), rec["side"])


@pytest.mark.parametrize(
    ("size", "size_type", "vbt_size_type"),
    [(None, "amount", "amount"), (7.0, "amount", "amount"), (2500.0, "value", "value")],
)
def test_long_signals_match_vectorbt(panel, signals, size, size_type, vbt_size_type) -> None:
    ent, ext = signals
    cfg = _fees(10, 5, init_cash=10_000.0, size=size, size_type=size_type)
    res = run_signals(panel["close"], ent, ext, index=panel["index"], config=cfg)
    pf = vbt.Portfolio.from_signals(
        panel["close"],
        shift(ent),
        shift(ext),
        init_cash=10_000.0,
        fees=0.001,
        slippage=0.0005,
        size=np.inf if size is None else size,
        size_type=vbt_size_type,
    )
    np.testing.assert_allclose(res.value, pf.value().to_numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(res.returns, pf.returns().to_numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(res.total_return, pf.total_return().to_numpy(), rtol=TOL)
    np.testing.assert_array_equal(res.trade_count, pf.trades.closed.count().to_numpy())
    _assert_orders_equal(res.orders, pf)
    closed = res.trades[res.trades["closed"]]
    vt = pf.trades.closed.records_arr
    vt = vt[np.lexsort((vt["entry_idx"], vt["col"]))]
    np.testing.assert_allclose(closed["pnl"], vt["pnl"], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(closed["return"], vt["return"], rtol=TOL, atol=TOL)
    np.testing.assert_array_equal(closed["exit_bar"], vt["exit_idx"])


def test_next_open_execution_matches_vectorbt_at_open_price(panel, signals) -> None:
    ent, ext = signals
    cfg = _fees(3, 2, init_cash=5_000.0, execution="next_open")
    res = run_signals(
        panel["close"], ent, ext, open=panel["open"], index=panel["index"], config=cfg
    )
    pf = vbt.Portfolio.from_signals(
        panel["close"],
        shift(ent),
        shift(ext),
        price=panel["open"],
        init_cash=5_000.0,
        fees=0.0003,
        slippage=0.0002,
    )
    np.testing.assert_allclose(res.value, pf.value().to_numpy(), rtol=TOL, atol=TOL)
    _assert_orders_equal(res.orders, pf)


def test_short_only_matches_vectorbt(panel, signals) -> None:
    ent, ext = signals
    cfg = _fees(10, 5, init_cash=10_000.0, size=5.0)
    res = run_signals(
        panel["close"],
        np.zeros_like(ent),
        np.zeros_like(ext),
        short_entries=ent,
        short_exits=ext,
        index=panel["index"],
        config=cfg,
    )
    pf = vbt.Portfolio.from_signals(
        panel["close"],
        shift(ent),
        shift(ext),
        direction="shortonly",
        init_cash=10_000.0,
        fees=0.001,
        slippage=0.0005,
        size=5.0,
    )
    np.testing.assert_allclose(res.value, pf.value().to_numpy(), rtol=TOL, atol=TOL)
    _assert_orders_equal(res.orders, pf)
    closed = res.trades[res.trades["closed"]]
    assert (closed["direction"] == -1).all()
    np.testing.assert_allclose(
        np.sort(closed["pnl"]), np.sort(pf.trades.closed.records_arr["pnl"]), rtol=TOL, atol=TOL
    )


def test_long_short_reversal_value_matches_vectorbt(panel, signals) -> None:
    """Reversals: we send close + open orders, vectorbt one order; the equity is the same."""
    ent, ext = signals
    cfg = _fees(10, 0, init_cash=10_000.0, size=3.0)
    res = run_signals(
        panel["close"],
        ent,
        np.zeros_like(ent),
        short_entries=ext,
        short_exits=np.zeros_like(ext),
        index=panel["index"],
        config=cfg,
    )
    pf = vbt.Portfolio.from_signals(
        panel["close"],
        entries=shift(ent),
        exits=np.zeros_like(ent),
        short_entries=shift(ext),
        short_exits=np.zeros_like(ext),
        init_cash=10_000.0,
        fees=0.001,
        size=3.0,
        upon_opposite_entry="reverse",
    )
    np.testing.assert_allclose(res.value, pf.value().to_numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(res.positions, pf.assets().to_numpy(), rtol=TOL, atol=TOL)


def test_shared_cash_matches_vectorbt_group(panel, signals) -> None:
    ent, ext = signals
    cfg = _fees(10, 5, init_cash=20_000.0, size=10.0, cash_sharing=True)
    res = run_signals(panel["close"], ent, ext, index=panel["index"], config=cfg)
    pf = vbt.Portfolio.from_signals(
        panel["close"],
        shift(ent),
        shift(ext),
        init_cash=20_000.0,
        fees=0.001,
        slippage=0.0005,
        size=10.0,
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
    )
    np.testing.assert_allclose(res.value[:, 0], pf.value().to_numpy(), rtol=TOL, atol=TOL)
    _assert_orders_equal(res.orders, pf)


def test_lot_size_matches_vectorbt_size_granularity(panel, signals) -> None:
    ent, ext = signals
    cfg = _fees(10, 5, init_cash=10_000.0, lot_size=1.0)
    res = run_signals(panel["close"], ent, ext, index=panel["index"], config=cfg)
    pf = vbt.Portfolio.from_signals(
        panel["close"],
        shift(ent),
        shift(ext),
        init_cash=10_000.0,
        fees=0.001,
        slippage=0.0005,
        size_granularity=1.0,
    )
    np.testing.assert_allclose(res.value, pf.value().to_numpy(), rtol=TOL, atol=TOL)
    assert (res.orders["qty"] == np.round(res.orders["qty"])).all()


@pytest.mark.parametrize(
    ("kind", "vbt_type"), [("weights", "targetpercent"), ("units", "targetamount")]
)
def test_targets_match_vectorbt_from_orders(panel, kind, vbt_type) -> None:
    rng = np.random.default_rng(3)
    close = panel["close"]
    raw = (
        rng.uniform(-0.5, 1.0, close.shape)
        if kind == "weights"
        else rng.integers(-20, 40, close.shape).astype(float)
    )
    target = np.where(rng.random(close.shape) < 0.1, raw, np.nan)
    cfg = _fees(10, 5, init_cash=10_000.0)
    res = run_targets(close, target, kind=kind, index=panel["index"], config=cfg)
    pf = vbt.Portfolio.from_orders(
        close,
        size=_shift_nan(target),
        size_type=vbt_type,
        init_cash=10_000.0,
        fees=0.001,
        slippage=0.0005,
    )
    np.testing.assert_allclose(res.value, pf.value().to_numpy(), rtol=TOL, atol=1e-7)
    _assert_orders_equal(res.orders, pf)


def _shift_nan(a: np.ndarray) -> np.ndarray:
    out = np.full_like(a, np.nan)
    out[1:] = a[:-1]
    return out
