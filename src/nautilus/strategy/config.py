"""Frozen configs of strategies: what a user types to run one (params validated, hashed)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, field_validator

from nautilus.core.config import FrozenConfig
from nautilus.model.data import Timeframe


class StrategyConfig(FrozenConfig):
    """Fields every strategy has; plug-ins subclass it with their own parameters.

    ``quantity`` is the order size in instrument units (a Decimal on the lot grid).
    """

    instruments: tuple[str, ...] = Field(
        ("TEC01.XSYN",), min_length=1, description="Instrument ids (SYMBOL.VENUE) traded."
    )
    timeframe: Timeframe = Field(Timeframe.M1, description="Bar timeframe the strategy runs on.")
    quantity: Decimal = Field(Decimal(100), gt=0, description="Order size in instrument units.")
    strategy_id: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="Prefix of client order ids; default the registry name.",
    )

    @field_validator("quantity", mode="before")
    @classmethod
    def _finite(cls, v: object) -> object:
        d = Decimal(str(v))
        if not d.is_finite():
            raise ValueError("quantity must be finite")
        return d
