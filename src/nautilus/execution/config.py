"""Frozen configuration of the execution package (the simulated venue and its models)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.execution.orderbook import BookType


class ModelChoice(FrozenConfig):
    """A plug-in by registry name with its parameters (validated by the plug-in's config)."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class SimulatedVenueConfig(FrozenConfig):
    """Configuration of a :class:`~nautilus.execution.venue.SimulatedVenue`.

    Model names refer to the registries in :mod:`nautilus.execution.models`; ``seed`` gives
    every seeded model a distinct derived seed unless its params set one, so one number makes
    a whole run repeatable.
    """

    venue: str = Field(
        default="SIM", description="Venue name, prefix of venue order and trade ids."
    )
    book_type: BookType = Field(default=BookType.L1, description="Book kept per instrument.")
    latency: ModelChoice = ModelChoice(name="fixed")
    fees: ModelChoice = ModelChoice(name="none")
    slippage: tuple[ModelChoice, ...] = ()
    fill_model: ModelChoice = ModelChoice(name="probabilistic")
    seed: int | None = Field(
        default=None, description="If set, seeds every model with a 'seed' parameter not given."
    )
    session_close: str = Field(
        default="16:00",
        pattern=r"^\d{2}:\d{2}$",
        description="Exchange-local time (HH:MM) at which DAY orders expire.",
    )
