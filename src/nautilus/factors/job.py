"""The ``factors.compute_set`` job: compute a factor set over a universe, return summaries.

The panel source is either the seeded synthetic GBM panel
(:func:`nautilus.factors.panel.synthetic_panel`; the same seed gives the same numbers) or the
platform's stored bars for a universe and date range (:class:`StorePanelSource`, built by
:func:`nautilus.factors.sources.panel_from_store`; the factors engine fills in the store
locations). The
result holds per-factor summary statistics (coverage, mean, std, and with ``evaluate`` the
mean IC / rank IC and IC t-stat at ``horizon``), never the panel itself.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.factors import evaluation
from nautilus.factors.library import resolve
from nautilus.factors.panel import Panel, synthetic_panel
from nautilus.factors.sources import StorePanelSource, panel_from_store
from nautilus.jobs.base import JOB_KINDS, Progress


class SyntheticPanelSource(FrozenConfig):
    """A seeded synthetic OHLCV panel (geometric Brownian motion with sector structure)."""

    kind: Literal["synthetic"] = "synthetic"
    n_dates: int = Field(504, ge=2, le=10_000, description="trading days")
    n_instruments: int = Field(50, ge=2, le=5_000, description="instruments")
    seed: int = Field(0, ge=0, description="random seed")


class FactorSetParams(FrozenConfig):
    """Which factors to compute (registered names or expressions) and over what panel."""

    factors: list[str] = Field(..., min_length=1, max_length=500,
                               description="registered factor names or expressions")
    panel: SyntheticPanelSource | StorePanelSource = Field(
        default_factory=SyntheticPanelSource,
        description="synthetic (the default when 'kind' is left out) or stored bars")
    evaluate: bool = Field(True, description="also score each factor against forward returns")
    horizon: int = Field(1, ge=1, le=252, description="forward-return horizon, rows")


def _stats(values: np.ndarray[Any, np.dtype[np.float64]]) -> dict[str, float | None]:
    finite = values[np.isfinite(values)]
    def num(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None
    return {
        "coverage": float(finite.size / values.size) if values.size else 0.0,
        "mean": num(finite.mean()) if finite.size else None,
        "std": num(finite.std(ddof=1)) if finite.size > 1 else None,
        "min": num(finite.min()) if finite.size else None,
        "max": num(finite.max()) if finite.size else None,
    }


def build_panel(source: SyntheticPanelSource | StorePanelSource, progress: Progress) -> Panel:
    """The panel a job works on (store reads report progress up to 0.2)."""
    if isinstance(source, StorePanelSource):
        return panel_from_store(source, lambda f, m: progress.update(0.2 * f, m))
    return synthetic_panel(source.n_dates, source.n_instruments, seed=source.seed)


def describe_panel(source: SyntheticPanelSource | StorePanelSource,
                   panel: Panel) -> dict[str, Any]:
    """Shape and origin of the panel, for job results."""
    if isinstance(source, StorePanelSource):
        return {"kind": "store", "n_dates": panel.shape[0], "n_instruments": panel.shape[1],
                "instruments": panel.instruments, "timeframe": source.timeframe,
                "first_date": int(panel.dates[0]), "last_date": int(panel.dates[-1])}
    return {"n_dates": panel.shape[0], "n_instruments": panel.shape[1], "seed": source.seed}


@JOB_KINDS.register("factors.compute_set", config=FactorSetParams)
def compute_factor_set(params: FactorSetParams, progress: Progress) -> dict[str, Any]:
    """Compute ``params.factors`` over the panel, reporting progress after each factor."""
    if isinstance(params, dict):
        params = FactorSetParams.model_validate(params)
    factors = [resolve(f) for f in params.factors]  # bad names fail before any work
    progress.update(0.0, "building panel")
    src = params.panel
    panel = build_panel(src, progress)
    fwd = evaluation.forward_returns(panel["close"], params.horizon) if params.evaluate else None
    results: dict[str, Any] = {}
    for i, factor in enumerate(factors):
        if progress.cancelled:
            break
        try:
            values = factor.compute(panel)
        except ValidationError as exc:
            # One factor the panel cannot serve does not sink the whole set.
            results[factor.name] = {"error": exc.detail, "code": exc.code}
            progress.update((i + 1) / len(factors), f"skipped {factor.name}")
            continue
        entry: dict[str, Any] = _stats(values)
        if fwd is not None:
            for method in ("pearson", "spearman"):
                s = evaluation.ic_summary(evaluation.ic_series(values, fwd, method=method))
                prefix = "ic" if method == "pearson" else "rank_ic"
                entry[f"{prefix}_mean"] = s["mean"] if np.isfinite(s["mean"]) else None
                entry[f"{prefix}_t_stat"] = s["t_stat"] if np.isfinite(s["t_stat"]) else None
        results[factor.name] = entry
        progress.update((i + 1) / len(factors), f"computed {factor.name}")
    return {
        "panel": describe_panel(src, panel),
        "horizon": params.horizon if params.evaluate else None,
        "computed": len(results),
        "cancelled": progress.cancelled,
        "factors": results,
    }
