"""Order book depth: levels as exact decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_serializer


class LevelOut(BaseModel):
    price: Decimal = Field(description="Level price, a multiple of the tick size")
    size: Decimal = Field(description="Resting size at the price, a multiple of the lot size")

    @field_serializer("price", "size")
    def _exact(self, value: Decimal) -> str:
        return format(value, "f")


class BookDepthOut(BaseModel):
    instrument_id: str
    ts: int = Field(description="Time of the last applied change, ns UTC (0: empty book)")
    sequence: int = Field(description="Sequence number of the last applied change")
    depth: int = Field(description="Levels asked for per side")
    bids: list[LevelOut] = Field(description="Best (highest) bid first")
    asks: list[LevelOut] = Field(description="Best (lowest) ask first")
    spread: str | None = Field(description="Best ask - best bid; null when a side is empty")
    mid: str | None = Field(description="(best bid + best ask) / 2; null when a side is empty")
    imbalance: float | None = Field(
        description="(bid size - ask size) / (bid size + ask size) over the returned levels, "
        "in [-1, 1]; null on an empty book"
    )

    @classmethod
    def of(cls, depth: dict[str, Any]) -> BookDepthOut:
        def text(v: Decimal | None) -> str | None:
            return None if v is None else format(v, "f")

        return cls(**{**depth, "spread": text(depth["spread"]), "mid": text(depth["mid"])})
