"""Fee models: the commission of one fill, a Decimal in the instrument currency.

A positive commission is a cost, a negative one a rebate. Results are rounded half-even to
``precision`` decimals (2 = cents). Notional is ``qty * px * multiplier``; 1 bp = 0.01 %.
"""

from __future__ import annotations

import abc
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import Field, field_validator

from nautilus.core.config import FrozenConfig
from nautilus.core.money import quantize
from nautilus.core.registry import Registry
from nautilus.model.events import LiquiditySide
from nautilus.model.instrument import Instrument

BP = Decimal("0.0001")


class FeeModel(abc.ABC):
    """Commission of a fill."""

    config_class: ClassVar[type[FrozenConfig]]

    def __init__(self, config: FrozenConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def commission(
        self,
        instrument: Instrument,
        qty: Decimal,
        px: Decimal,
        liquidity: LiquiditySide,
        ts_ns: int,
    ) -> Decimal:
        """Commission (Decimal, instrument currency) of filling ``qty`` at ``px`` at ``ts_ns``."""


FEE_MODELS: Registry[type[FeeModel]] = Registry("fee_model")
"""Fee plug-ins by name."""


class _FeeConfig(FrozenConfig):
    precision: int = Field(
        default=2, ge=0, le=12, description="Decimals the commission is rounded to."
    )


class NoFeeConfig(_FeeConfig):
    pass


@FEE_MODELS.register("none", config=NoFeeConfig)
class NoFee(FeeModel):
    """Zero commission."""

    config_class = NoFeeConfig

    def __init__(self, config: NoFeeConfig | None = None) -> None:
        super().__init__(config or NoFeeConfig())

    def commission(
        self,
        instrument: Instrument,
        qty: Decimal,
        px: Decimal,
        liquidity: LiquiditySide,
        ts_ns: int,
    ) -> Decimal:
        return Decimal(0)


class PerShareFeeConfig(_FeeConfig):
    per_share: Decimal = Field(
        default=Decimal("0.005"), ge=0, description="Currency per unit traded."
    )
    minimum: Decimal = Field(default=Decimal("0"), ge=0, description="Minimum commission per fill.")
    max_bps_of_notional: Decimal | None = Field(
        default=None, ge=0, description="Cap as bps of notional (e.g. 100 = 1 %), none if unset."
    )


@FEE_MODELS.register("per_share", config=PerShareFeeConfig)
class PerShareFee(FeeModel):
    """``max(minimum, per_share * qty)``, capped at ``max_bps_of_notional`` of notional."""

    config_class = PerShareFeeConfig

    def __init__(self, config: PerShareFeeConfig | None = None) -> None:
        super().__init__(config or PerShareFeeConfig())

    def commission(
        self,
        instrument: Instrument,
        qty: Decimal,
        px: Decimal,
        liquidity: LiquiditySide,
        ts_ns: int,
    ) -> Decimal:
        c: PerShareFeeConfig = self.config  # type: ignore[assignment]
        fee = max(c.minimum, c.per_share * qty)
        if c.max_bps_of_notional is not None:
            fee = min(fee, instrument.notional(qty, px) * c.max_bps_of_notional * BP)
        return quantize(fee, c.precision)


class BpsFeeConfig(_FeeConfig):
    bps: Decimal = Field(default=Decimal("1"), description="Fee in basis points of notional.")


@FEE_MODELS.register("bps", config=BpsFeeConfig)
class BpsFee(FeeModel):
    """``bps`` basis points of notional."""

    config_class = BpsFeeConfig

    def __init__(self, config: BpsFeeConfig | None = None) -> None:
        super().__init__(config or BpsFeeConfig())

    def commission(
        self,
        instrument: Instrument,
        qty: Decimal,
        px: Decimal,
        liquidity: LiquiditySide,
        ts_ns: int,
    ) -> Decimal:
        c: BpsFeeConfig = self.config  # type: ignore[assignment]
        return quantize(instrument.notional(qty, px) * c.bps * BP, c.precision)


class MakerTakerFeeConfig(_FeeConfig):
    maker_bps: Decimal = Field(
        default=Decimal("-0.2"), description="Maker fee in bps (negative = rebate)."
    )
    taker_bps: Decimal = Field(default=Decimal("0.3"), description="Taker fee in bps of notional.")


@FEE_MODELS.register("maker_taker", config=MakerTakerFeeConfig)
class MakerTakerFee(FeeModel):
    """Maker fills pay ``maker_bps`` (often a rebate), taker fills ``taker_bps`` of notional."""

    config_class = MakerTakerFeeConfig

    def __init__(self, config: MakerTakerFeeConfig | None = None) -> None:
        super().__init__(config or MakerTakerFeeConfig())

    def commission(
        self,
        instrument: Instrument,
        qty: Decimal,
        px: Decimal,
        liquidity: LiquiditySide,
        ts_ns: int,
    ) -> Decimal:
        c: MakerTakerFeeConfig = self.config  # type: ignore[assignment]
        bps = c.maker_bps if liquidity is LiquiditySide.MAKER else c.taker_bps
        return quantize(instrument.notional(qty, px) * bps * BP, c.precision)


class TieredFeeConfig(_FeeConfig):
    tiers: tuple[tuple[Decimal, Decimal], ...] = Field(
        default=(
            (Decimal(0), Decimal("3")),
            (Decimal("1000000"), Decimal("2")),
            (Decimal("10000000"), Decimal("1")),
        ),
        description="(monthly notional from which the tier applies, bps) pairs, ascending.",
    )

    @field_validator("tiers")
    @classmethod
    def _ascending(
        cls, v: tuple[tuple[Decimal, Decimal], ...]
    ) -> tuple[tuple[Decimal, Decimal], ...]:
        if not v or v[0][0] != 0 or any(a[0] >= b[0] for a, b in itertools.pairwise(v)):
            raise ValueError("tiers must start at 0 and ascend strictly")
        return v


@FEE_MODELS.register("tiered", config=TieredFeeConfig)
class TieredFee(FeeModel):
    """Bps of notional by the notional already traded this UTC calendar month.

    The tier is chosen from the month-to-date notional *before* the fill; the fill's notional is
    then added. The volume resets when a fill falls in a new month.
    """

    config_class = TieredFeeConfig

    def __init__(self, config: TieredFeeConfig | None = None) -> None:
        super().__init__(config or TieredFeeConfig())
        self.month: tuple[int, int] | None = None
        self.month_volume = Decimal(0)

    def rate_bps(self, month_volume: Decimal) -> Decimal:
        c: TieredFeeConfig = self.config  # type: ignore[assignment]
        rate = c.tiers[0][1]
        for threshold, bps in c.tiers:
            if month_volume >= threshold:
                rate = bps
        return rate

    def commission(
        self,
        instrument: Instrument,
        qty: Decimal,
        px: Decimal,
        liquidity: LiquiditySide,
        ts_ns: int,
    ) -> Decimal:
        c: TieredFeeConfig = self.config  # type: ignore[assignment]
        dt = datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC)
        if self.month != (dt.year, dt.month):
            self.month = (dt.year, dt.month)
            self.month_volume = Decimal(0)
        notional = instrument.notional(qty, px)
        fee = quantize(notional * self.rate_bps(self.month_volume) * BP, c.precision)
        self.month_volume += notional
        return fee
