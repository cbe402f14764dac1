"""Execution: order books, matching and the simulated venue with its plug-in models."""

from __future__ import annotations

from nautilus.execution.config import ModelChoice, SimulatedVenueConfig
from nautilus.execution.matching import MatchingEngine, MatchSink
from nautilus.execution.orderbook import (
    BookType,
    LevelBook,
    OrderBook,
    OrderLevelBook,
    make_book,
)
from nautilus.execution.venue import SimulatedVenue

__all__ = [
    "BookType",
    "LevelBook",
    "MatchSink",
    "MatchingEngine",
    "ModelChoice",
    "OrderBook",
    "OrderLevelBook",
    "SimulatedVenue",
    "SimulatedVenueConfig",
    "make_book",
]
