"""The float cost primitives land on the venue's Decimal values (ticks, fee rounding, lots)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from nautilus.backtest.vectorized import VectorizedConfig, run_signals, run_targets
from nautilus.backtest.vectorized.costs import (
    affordable_qty,
    fee_of,
    fill_price,
    floor_lot,
    round_half_even,
)
from nautilus.backtest.vectorized.engine import cost_vector
from nautilus.core.money import quantize
from nautilus.execution.models import FEE_MODELS, FixedBpsSlippage, build_model
from nautilus.execution.models.slippage import FixedBpsSlippageConfig, MarketContext
from nautilus.model.events import LiquiditySide, OrderSide
from nautilus.model.instrument import Instrument

INST = Instrument.create("AAA.SIM", "equity", "USD")


def test_round_half_even_decides_ties_on_the_decimal_value() -> None:
    # qty x price(2dp) x 5 bps has 6 decimals: many exact ties at the third one
    rng = np.random.default_rng(0)
    qty = rng.integers(1, 5_000, 4_000)
    cents = rng.integers(1_000, 50_000, 4_000)
    ties = 0
    for q, c in zip(qty.tolist(), cents.tolist(), strict=True):
        exact = Decimal(q) * Decimal(c) / 100 * Decimal("0.0005")
        ties += (exact * 1000) % 10 == 5  # an exact half cent
        want = float(quantize(exact, 2))
        assert round_half_even(q * (c / 100) * 0.0005, 2) == want, exact
    assert ties >= 10
    assert round_half_even(-0.125, 2) == -0.12
    assert round_half_even(2.675, 2) == 2.68  # float 2.67499999... is the decimal 2.675


@pytest.mark.parametrize("bps", [0, 1, 3, 7, 25])
def test_fill_price_matches_fixed_bps_slippage_on_the_tick(bps: int) -> None:
    model = FixedBpsSlippage(FixedBpsSlippageConfig(bps=Decimal(bps)))
    cfg = cost_vector(
        VectorizedConfig(slippage_model="fixed_bps", slippage_params={"bps": bps}, tick_size=0.01)
    )
    rng = np.random.default_rng(bps)
    for c in rng.integers(100, 1_000_000, 3_000).tolist():
        px = Decimal(c) / 100
        for side, sign in ((OrderSide.BUY, 1), (OrderSide.SELL, -1)):
            want = model.adjust_price(INST, side, px, Decimal(1), MarketContext())
            assert fill_price(float(px), sign, cfg) == float(want), (px, side)


def test_fees_match_the_venue_models() -> None:
    cases = [
        ("bps", {"bps": "5"}),
        ("per_share", {"per_share": "0.005", "minimum": "1"}),
        ("per_share", {"per_share": "0.01", "max_bps_of_notional": "3"}),
        ("maker_taker", {"taker_bps": "4.5", "precision": 3}),
    ]
    rng = np.random.default_rng(5)
    for name, params in cases:
        model = build_model(FEE_MODELS, name, params)
        cfg = cost_vector(VectorizedConfig(fee_model=name, fee_params=params))
        for q, c in zip(
            rng.integers(1, 3_000, 1_500).tolist(),
            rng.integers(500, 90_000, 1_500).tolist(),
            strict=True,
        ):
            px = Decimal(c) / 100
            want = model.commission(INST, Decimal(q), px, LiquiditySide.TAKER, 0)
            assert fee_of(float(q), float(px), cfg) == float(want), (name, q, px)


def test_affordable_qty_with_a_rounded_minimum_fee() -> None:
    # the rounded fee used to push every candidate over the cash: nothing was affordable
    cfg = cost_vector(
        VectorizedConfig(
            lot_size=1.0, fee_model="per_share", fee_params={"per_share": "0.005", "minimum": 1}
        )
    )
    q = affordable_qty(100_000.0, 100.0, cfg)
    assert q == 999.0  # 999 x 100 + 5.00 fits, 1000 x 100 + 5.00 does not
    assert q * 100.0 + fee_of(q, 100.0, cfg) <= 100_000.0


def test_floor_lot_towards_zero_on_the_decimal_grid() -> None:
    assert floor_lot(2.9999999999, 1.0) == 3.0
    assert floor_lot(2.99, 1.0) == 2.0
    assert floor_lot(0.7, 0.1) == 0.7  # 7 / 10, not 7 x 0.1 = 0.7000000000000001
    assert floor_lot(1.25, 0.0) == 1.25


def test_target_units_floor_to_the_lot() -> None:
    close = np.array([10.0, 10.0, 10.0, 10.0])
    target = np.array([12.7, 12.7, -3.4, -3.4])
    res = run_targets(
        close,
        target,
        kind="units",
        open=close,
        index=np.arange(4),
        config=VectorizedConfig(execution="next_open", lot_size=1.0),
    )
    assert res.orders["qty"].tolist() == [12.0, 15.0]
    assert res.positions[:, 0].tolist() == [0.0, 12.0, 12.0, -3.0]


def test_weight_sizing_at_the_signal_close_or_the_fill() -> None:
    close = np.array([10.0, 12.0, 12.0])
    open_ = np.array([10.0, 8.0, 12.0])
    target = np.array([0.5, np.nan, np.nan])
    out = {}
    for mode in ("signal", "fill"):
        res = run_targets(
            close,
            target,
            kind="weights",
            open=open_,
            index=np.arange(3),
            config=VectorizedConfig(
                init_cash=1_000.0, execution="next_open", lot_size=1.0, weight_sizing=mode
            ),
        )
        out[mode] = res.orders["qty"].tolist()
    assert out == {"signal": [50.0], "fill": [62.0]}  # 500 / 10 at the close, 500 / 8 at the open


def test_signal_runs_put_slipped_prices_on_the_tick() -> None:
    close = np.array([100.0, 100.37, 101.13, 99.71, 100.0])
    entries = np.array([True, False, False, False, False])
    exits = np.array([False, False, True, False, False])
    common = {"slippage_model": "fixed_bps", "slippage_params": {"bps": 3}}
    raw = run_signals(close, entries, exits, index=np.arange(5), config=VectorizedConfig(**common))
    on_grid = run_signals(
        close,
        entries,
        exits,
        index=np.arange(5),
        config=VectorizedConfig(tick_size=0.01, lot_size=1.0, **common),
    )
    assert raw.orders["price"].tolist() == [100.37 * 1.0003, 99.71 * 0.9997]
    # buy 100.400111 -> 100.41 (up), sell 99.680087 -> 99.68 (down)
    assert on_grid.orders["price"].tolist() == [100.41, 99.68]
    assert on_grid.orders["qty"].tolist() == [995.0, 995.0]
