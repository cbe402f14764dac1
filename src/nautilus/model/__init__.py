"""Domain values: instruments, market data, orders, fills, positions, accounts, events."""

from __future__ import annotations

from nautilus.model.data import (
    BAR_COLUMNS,
    Bar,
    BookAction,
    BookDelta,
    BookSide,
    CompanyFact,
    EconomicObservation,
    Quote,
    Timeframe,
    Trade,
)
from nautilus.model.instrument import AssetClass, Instrument, parse_instrument_id

__all__ = [
    "BAR_COLUMNS",
    "AssetClass",
    "Bar",
    "BookAction",
    "BookDelta",
    "BookSide",
    "CompanyFact",
    "EconomicObservation",
    "Instrument",
    "Quote",
    "Timeframe",
    "Trade",
    "parse_instrument_id",
]
