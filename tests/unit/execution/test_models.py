"""Venue plug-in models: registries, configs, exact fee and slippage numbers, seeded draws."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from pydantic import ValidationError as PydanticValidationError

from nautilus.core.time import to_ns
from nautilus.execution.models import (
    FEE_MODELS,
    FILL_MODELS,
    LATENCY_MODELS,
    SLIPPAGE_MODELS,
    MarketContext,
    build_model,
)
from nautilus.execution.models.slippage import round_against
from nautilus.model.events import LiquiditySide, OrderSide
from nautilus.model.instrument import Instrument

AAPL = Instrument.create("AAPL.XNAS", "equity", "USD")
TAKER = LiquiditySide.TAKER


def test_registries_list_models_with_schemas() -> None:
    assert {"fixed", "random"} <= set(LATENCY_MODELS.names())
    assert {"none", "per_share", "bps", "maker_taker", "tiered"} <= set(FEE_MODELS.names())
    assert {"fixed_bps", "volume_participation", "sqrt_impact"} <= set(SLIPPAGE_MODELS.names())
    assert "probabilistic" in FILL_MODELS.names()
    for reg in (LATENCY_MODELS, FEE_MODELS, SLIPPAGE_MODELS, FILL_MODELS):
        for d in reg.describe():
            assert d["parameters"]["type"] == "object" and d["summary"]
    with pytest.raises(PydanticValidationError):
        build_model(LATENCY_MODELS, "fixed", {"delay_ns": -1})
    with pytest.raises(PydanticValidationError):
        build_model(FEE_MODELS, "bps", {"bps": "1", "surprise": 2})


def test_random_latency_is_seeded() -> None:
    def draws(seed: int) -> list[int]:
        m = build_model(LATENCY_MODELS, "random", {"base_ns": 100, "jitter_ns": 50, "seed": seed})
        return [m.delay_ns() for _ in range(50)]

    a, b, c = draws(1), draws(1), draws(2)
    assert a == b and a != c and all(100 <= x <= 150 for x in a)


def test_per_share_fee_minimum_and_cap() -> None:
    fee = build_model(
        FEE_MODELS,
        "per_share",
        {"per_share": "0.005", "minimum": "1.00", "max_bps_of_notional": "100"},
    )
    assert fee.commission(AAPL, D(100), D("50.00"), TAKER, 0) == D("1.00")  # min
    assert fee.commission(AAPL, D(1000), D("50.00"), TAKER, 0) == D("5.00")
    # cap 1 % of 1000 * 0.10 = 1.00 < 5.00
    assert fee.commission(AAPL, D(1000), D("0.10"), TAKER, 0) == D("1.00")


def test_tiered_fee_by_month_volume() -> None:
    fee = build_model(FEE_MODELS, "tiered", {"tiers": [["0", "3"], ["1000000", "2"]]})
    jan = to_ns("2026-01-15")
    assert fee.commission(AAPL, D(6000), D("100.00"), TAKER, jan) == D("180.00")  # 3 bp
    assert fee.commission(AAPL, D(5000), D("100.00"), TAKER, jan) == D("150.00")  # still 3 bp
    assert fee.commission(AAPL, D(1000), D("100.00"), TAKER, jan) == D("20.00")  # 2 bp now
    feb = to_ns("2026-02-01")
    assert fee.commission(AAPL, D(1000), D("100.00"), TAKER, feb) == D("30.00")  # reset
    with pytest.raises(PydanticValidationError):
        build_model(FEE_MODELS, "tiered", {"tiers": [["5", "3"]]})


def test_slippage_numbers() -> None:
    fixed = build_model(SLIPPAGE_MODELS, "fixed_bps", {"bps": "5"})
    ctx = MarketContext()
    assert fixed.adjust_price(AAPL, OrderSide.BUY, D("100.00"), D(1), ctx) == D("100.05")
    assert fixed.adjust_price(AAPL, OrderSide.SELL, D("100.00"), D(1), ctx) == D("99.95")
    # 33.33 * 1.0005 = 33.346665 -> buy rounds up to 33.35, sell 33.33*0.9995 = 33.313 -> 33.31
    assert fixed.adjust_price(AAPL, OrderSide.BUY, D("33.33"), D(1), ctx) == D("33.35")
    assert fixed.adjust_price(AAPL, OrderSide.SELL, D("33.33"), D(1), ctx) == D("33.31")
    sq = build_model(SLIPPAGE_MODELS, "sqrt_impact", {"k": 0.5})
    assert sq.adjust_price(AAPL, OrderSide.BUY, D("100.00"), D(40000), ctx) == D("100.00")
    ctx2 = MarketContext(adv=1_000_000, sigma=0.03)
    assert sq.impact(D(40000), ctx2) == pytest.approx(0.5 * 0.03 * 0.2)
    assert sq.adjust_price(AAPL, OrderSide.SELL, D("100.00"), D(40000), ctx2) == D("99.70")
    cap = build_model(SLIPPAGE_MODELS, "volume_participation", {"max_participation": 0.05})
    assert cap.max_fill_qty(AAPL, MarketContext(bar_volume=1234)) == D(61)
    assert cap.max_fill_qty(AAPL, ctx) is None
    assert round_against(AAPL, OrderSide.BUY, D("10.001")) == D("10.01")


def test_fill_model_probability() -> None:
    never = build_model(FILL_MODELS, "probabilistic", {"prob_fill_on_touch": 0.0})
    always = build_model(FILL_MODELS, "probabilistic", {"prob_fill_on_touch": 1.0})
    assert not any(never.fill_on_touch() for _ in range(100))
    assert all(always.fill_on_touch() for _ in range(100))
    half = build_model(FILL_MODELS, "probabilistic", {"prob_fill_on_touch": 0.3, "seed": 3})
    hits = sum(half.fill_on_touch() for _ in range(2000))
    assert 500 < hits < 700
