"""The ``portfolio.optimise`` job: run a registered optimiser over stored inputs.

Large optimisations (hundreds of assets, CVaR over long scenario sets, sweeps over risk
aversion) run as jobs. The inputs (assets, annualised ``mu`` and ``cov``, optional scenario
returns, group maps, current weights) are stored first in ``portfolio_optimisation_inputs``;
the job reads them by id from the database at ``database_url`` so that a worker process or a
Ray node needs nothing but the id and the URL.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import pydantic
from cvxpy.error import SolverError
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.jobs.base import JOB_KINDS, Progress
from nautilus.persistence.db import Database
from nautilus.portfolio.optimisers import Constraints, optimise, prepare_inputs


class OptimiseParams(FrozenConfig):
    """Parameters of ``portfolio.optimise``."""

    database_url: str = Field(description="SQLAlchemy URL of the relational store.")
    inputs_id: str = Field(min_length=1, max_length=32)
    optimiser: str = Field("min_variance", description="A name in OPTIMISERS.")
    params: dict[str, Any] = Field(default_factory=dict, description="Optimiser config.")
    constraints: Constraints = Field(default_factory=lambda: Constraints.model_validate({}))


def run_stored(
    payload: dict[str, Any], optimiser: str, params: dict[str, Any], constraints: Constraints
) -> dict[str, Any]:
    """Validate a stored payload and run the optimiser; the result as a JSON-ready dict."""
    try:
        inputs = prepare_inputs(
            list(payload["assets"]),
            payload["mu"],
            payload["cov"],
            returns=payload.get("returns"),
            current=payload.get("current"),
            benchmark=payload.get("benchmark"),
            groups=payload.get("groups") or {},
            risk_free=float(payload.get("risk_free", 0.0)),
        )
    except ValueError as exc:  # ragged or non-numeric arrays
        raise ValidationError(f"malformed optimisation inputs: {exc}", code="bad_inputs") from exc
    try:
        result = optimise(optimiser, inputs, constraints, **params)
    except pydantic.ValidationError as exc:
        raise ValidationError(
            f"bad {optimiser} parameters: {exc.errors()[0]['msg']}", code="bad_optimiser_params"
        ) from exc
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, SolverError) as exc:
        # Solver breakdowns on user-supplied inputs are input problems, not server faults.
        raise ValidationError(
            f"{optimiser} failed on these inputs: {exc}", code="optimisation_failed"
        ) from exc
    out: dict[str, Any] = msgspec.to_builtins(result)
    return out


@JOB_KINDS.register("portfolio.optimise", config=OptimiseParams, tags=("portfolio",))
def run_optimise(params: OptimiseParams, progress: Progress) -> dict[str, Any]:
    """Load stored inputs, run the optimiser, return weights and statistics."""
    db = Database(params.database_url)
    try:
        from nautilus.portfolio.repository import PortfolioRepository

        payload = PortfolioRepository(db).inputs(params.inputs_id)
    finally:
        db.dispose()
    progress.update(0.1, f"{len(payload['assets'])} assets loaded")
    out = run_stored(payload, params.optimiser, params.params, params.constraints)
    progress.update(1.0, "optimised")
    return out
