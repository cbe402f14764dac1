"""Bus messages of the ML engine (frozen msgspec structs, registered for the wire).

Topics: ``ml.regime.<instrument>`` (:class:`RegimeUpdate`), ``ml.drift.<model>``
(:class:`~nautilus.ml.drift.DriftAlert`), ``ml.model.<model>`` (:class:`ModelStageChanged`).
"""

from __future__ import annotations

import msgspec

from nautilus.bus.base import message_type
from nautilus.ml.drift import DriftAlert


@message_type
class RegimeUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """The current (filtered, causal) regime of an instrument at bar time ``ts_event``."""

    instrument: str
    regime: str
    confidence: float
    probabilities: dict[str, float]
    hmm_regime: str
    rules_regime: str
    model: str
    version: int
    ts_event: int
    ts_init: int


@message_type
class ModelStageChanged(msgspec.Struct, frozen=True, kw_only=True):
    """A version changed stage (promote, roll back, archive); caches reload on it."""

    model: str
    version: int
    stage: str
    ts_event: int


__all__ = ["DriftAlert", "ModelStageChanged", "RegimeUpdate"]
