"""Slippage models: how much worse than the touched price a taker fill executes, and how much
of a bar's volume one order may take.

Prices are Decimal and end on the instrument's tick grid, rounded against the trader (a buy
rounds up, a sell down). Only taker fills (market, stop, marketable limit) are slipped, and a
limit order is never filled beyond its limit price (the venue clamps).
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import ClassVar

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.registry import Registry
from nautilus.model.events import OrderSide
from nautilus.model.instrument import Instrument


@dataclass(frozen=True, slots=True)
class MarketContext:
    """What the venue knows about the market at the fill (``None`` = unknown).

    ``bar_volume``: volume of the bar being matched (units); ``adv``: average daily volume
    (units); ``sigma``: daily return volatility as a fraction (0.02 = 2 %).
    """

    bar_volume: float | None = None
    adv: float | None = None
    sigma: float | None = None


def round_against(instrument: Instrument, side: OrderSide, px: Decimal) -> Decimal:
    """``px`` on the tick grid, rounded up for a buy and down for a sell."""
    tick = instrument.tick_size
    mode = ROUND_CEILING if side is OrderSide.BUY else ROUND_FLOOR
    return (px / tick).to_integral_value(rounding=mode) * tick


class SlippageModel(abc.ABC):
    """Price adjustment and per-fill quantity cap; the defaults change nothing."""

    config_class: ClassVar[type[FrozenConfig]]

    def __init__(self, config: FrozenConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def adjust_price(
        self, instrument: Instrument, side: OrderSide, px: Decimal, qty: Decimal, ctx: MarketContext
    ) -> Decimal:
        """The executed price of a taker fill of ``qty`` at reference price ``px``."""

    def max_fill_qty(self, instrument: Instrument, ctx: MarketContext) -> Decimal | None:
        """Largest quantity one order may fill on this bar, ``None`` for no cap."""
        return None


SLIPPAGE_MODELS: Registry[type[SlippageModel]] = Registry("slippage_model")
"""Slippage plug-ins by name."""


class FixedBpsSlippageConfig(FrozenConfig):
    bps: Decimal = Field(default=Decimal("1"), ge=0, description="Adverse move in basis points.")


@SLIPPAGE_MODELS.register("fixed_bps", config=FixedBpsSlippageConfig)
class FixedBpsSlippage(SlippageModel):
    """Buys pay ``px * (1 + bps/10^4)``, sells get ``px * (1 - bps/10^4)``, rounded to tick."""

    config_class = FixedBpsSlippageConfig

    def __init__(self, config: FixedBpsSlippageConfig | None = None) -> None:
        super().__init__(config or FixedBpsSlippageConfig())

    def adjust_price(
        self, instrument: Instrument, side: OrderSide, px: Decimal, qty: Decimal, ctx: MarketContext
    ) -> Decimal:
        bps: Decimal = self.config.bps  # type: ignore[attr-defined]
        return round_against(instrument, side, px * (1 + side.sign * bps / 10_000))


class VolumeParticipationConfig(FrozenConfig):
    max_participation: float = Field(
        default=0.1,
        gt=0.0,
        le=1.0,
        description="Largest fraction of a bar's volume one order may fill.",
    )


@SLIPPAGE_MODELS.register("volume_participation", config=VolumeParticipationConfig)
class VolumeParticipation(SlippageModel):
    """Caps each bar's fill at ``max_participation * bar volume`` (rounded down to the lot);
    the remainder stays working and is carried to the next bar."""

    config_class = VolumeParticipationConfig

    def __init__(self, config: VolumeParticipationConfig | None = None) -> None:
        super().__init__(config or VolumeParticipationConfig())

    def adjust_price(
        self, instrument: Instrument, side: OrderSide, px: Decimal, qty: Decimal, ctx: MarketContext
    ) -> Decimal:
        return px

    def max_fill_qty(self, instrument: Instrument, ctx: MarketContext) -> Decimal | None:
        if ctx.bar_volume is None:
            return None
        frac = Decimal(repr(self.config.max_participation))  # type: ignore[attr-defined]
        cap = Decimal(repr(float(ctx.bar_volume))) * frac
        lot = instrument.lot_size
        return (cap / lot).to_integral_value(rounding=ROUND_FLOOR) * lot


class SquareRootImpactConfig(FrozenConfig):
    k: float = Field(default=1.0, ge=0.0, description="Impact coefficient (dimensionless).")
    sigma: float | None = Field(
        default=None, gt=0.0, description="Daily volatility as a fraction; market context if unset."
    )
    adv: float | None = Field(
        default=None, gt=0.0, description="Average daily volume in units; market context if unset."
    )


@SLIPPAGE_MODELS.register("sqrt_impact", config=SquareRootImpactConfig)
class SquareRootImpact(SlippageModel):
    """Relative impact ``k * sigma * sqrt(q / ADV)``: ``px * (1 ± impact)``, rounded to tick.

    Without a sigma and an ADV (from the config or the market context) there is no impact.
    """

    config_class = SquareRootImpactConfig

    def __init__(self, config: SquareRootImpactConfig | None = None) -> None:
        super().__init__(config or SquareRootImpactConfig())

    def impact(self, qty: Decimal, ctx: MarketContext) -> float:
        c: SquareRootImpactConfig = self.config  # type: ignore[assignment]
        sigma = c.sigma if c.sigma is not None else ctx.sigma
        adv = c.adv if c.adv is not None else ctx.adv
        if not sigma or not adv:
            return 0.0
        return c.k * sigma * math.sqrt(float(qty) / adv)

    def adjust_price(
        self, instrument: Instrument, side: OrderSide, px: Decimal, qty: Decimal, ctx: MarketContext
    ) -> Decimal:
        frac = Decimal(repr(self.impact(qty, ctx)))
        return round_against(instrument, side, px * (1 + side.sign * frac))
