"""Portfolio optimisers as registered plug-ins (see ``base`` for conventions)."""

from __future__ import annotations

from nautilus.portfolio.optimisers import library as _library  # noqa: F401  (registers)
from nautilus.portfolio.optimisers.base import (
    OPTIMISERS,
    Constraints,
    GroupCap,
    OptimisationResult,
    Optimiser,
    PortfolioInputs,
    prepare_inputs,
)
from nautilus.portfolio.optimisers.hrp import hrp_weights
from nautilus.portfolio.optimisers.library import black_litterman


def optimise(
    name: str, inputs: PortfolioInputs, constraints: Constraints | None = None, **params: object
) -> OptimisationResult:
    """Run the registered optimiser ``name`` with ``params`` validated by its config."""
    cls = OPTIMISERS.get(name)
    config = cls.config_class.model_validate(params) if params else None
    return cls(config).optimise(inputs, constraints)


__all__ = [
    "OPTIMISERS",
    "Constraints",
    "GroupCap",
    "OptimisationResult",
    "Optimiser",
    "PortfolioInputs",
    "black_litterman",
    "hrp_weights",
    "optimise",
    "prepare_inputs",
]
