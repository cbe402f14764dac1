"""Plug-in models of the simulated venue: latency, fees, slippage and fill probability.

Each kind has an abstract base, a registry and a few registered implementations, each with a
frozen config; :func:`build_model` makes one from a registry name and parameters.
"""

from __future__ import annotations

from typing import Any, TypeVar

from nautilus.core.registry import Registry
from nautilus.execution.models.fees import (
    FEE_MODELS,
    BpsFee,
    FeeModel,
    MakerTakerFee,
    NoFee,
    PerShareFee,
    TieredFee,
)
from nautilus.execution.models.fill import FILL_MODELS, FillModel, ProbabilisticFill
from nautilus.execution.models.latency import (
    LATENCY_MODELS,
    FixedLatency,
    LatencyModel,
    RandomLatency,
)
from nautilus.execution.models.slippage import (
    SLIPPAGE_MODELS,
    FixedBpsSlippage,
    MarketContext,
    SlippageModel,
    SquareRootImpact,
    VolumeParticipation,
)

M = TypeVar("M")


def build_model(registry: Registry[type[M]], name: str, params: dict[str, Any] | None = None) -> M:
    """Instantiate plug-in ``name`` of ``registry`` with its config built from ``params``.

    >>> build_model(LATENCY_MODELS, "fixed", {"delay_ns": 5}).delay_ns()
    5
    """
    spec = registry.spec(name)
    cfg_cls = spec.config
    if cfg_cls is None:
        return spec.obj()
    return spec.obj(cfg_cls(**(params or {})))  # type: ignore[call-arg]


__all__ = [
    "FEE_MODELS",
    "FILL_MODELS",
    "LATENCY_MODELS",
    "SLIPPAGE_MODELS",
    "BpsFee",
    "FeeModel",
    "FillModel",
    "FixedBpsSlippage",
    "FixedLatency",
    "LatencyModel",
    "MakerTakerFee",
    "MarketContext",
    "NoFee",
    "PerShareFee",
    "ProbabilisticFill",
    "RandomLatency",
    "SlippageModel",
    "SquareRootImpact",
    "TieredFee",
    "VolumeParticipation",
    "build_model",
]
