"""The features engine: indicators on request over stored bars, grids, and feature sets.

* :meth:`FeaturesEngine.compute_indicator` validates the indicator and its parameters (422
  ``unknown_indicator``; 422 ``parameter_out_of_range`` naming the parameter and its allowed
  range; 422 ``unknown_parameter`` listing the allowed ones) and refuses a range with fewer
  bars than the warm-up needs (422 ``insufficient_bars`` with ``needed`` and ``got``). With
  enough bars the first ``lookback`` values are NaN, as everywhere in the library.
* :meth:`FeaturesEngine.grid` runs every parameter combination (at most
  :data:`MAX_GRID_COMBINATIONS`, else 422 ``grid_too_large`` with the ``limit``).
* Feature sets (:mod:`nautilus.features.sets`): define (versioned), list, compute over a
  universe in process or as the ``features.compute_set`` job, read back by instrument and range.

Bars come from the data engine's public ``bars_frame`` (store first, then the configured
sources); company facts from its ``company_facts`` (an instrument whose company no fundamentals
source knows gets NaN fundamentals and is listed under ``without_fundamentals``). Times are int
ns UTC, ranges half-open ``[start_ns, end_ns)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import pandas as pd

from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import NautilusError, ValidationError
from nautilus.features.base import INDICATORS
from nautilus.features.fundamentals import CONCEPTS, FUNDAMENTALS
from nautilus.features.grid import run_grid
from nautilus.features.sets import (
    COMPUTE_JOB,
    MAX_UNIVERSE,
    FeatureSetCatalog,
    FeatureSetDefinition,
    FeatureSetJobParams,
    compute_frame,
    compute_set,
    fact_rows,
    feature_key,
    indicator,
)
from nautilus.model import CompanyFact

MAX_GRID_COMBINATIONS = 64
"""Largest parameter grid one request may run."""


def _check_range(start_ns: int, end_ns: int) -> None:
    if end_ns <= start_ns:
        raise ValidationError(
            f"end ({end_ns}) must be after start ({start_ns})",
            code="bad_range",
            start_ns=start_ns,
            end_ns=end_ns,
        )


@ENGINES.register("features")
class FeaturesEngine(Engine):
    """Indicators, grids and feature sets over the data engine's bars (see module docstring)."""

    name: ClassVar[str] = "features"
    depends_on: ClassVar[tuple[str, ...]] = ("data",)

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self.sets = FeatureSetCatalog(ctx.timeseries)

    def status(self) -> dict[str, Any]:
        return super().status() | {"indicators": len(INDICATORS)}

    def _data(self) -> Any:
        from nautilus.data.engine import DataEngine

        return self.ctx.engine("data", DataEngine)

    def bars(
        self, instrument_id: str, start_ns: int, end_ns: int, timeframe: str = "1d"
    ) -> pd.DataFrame:
        _check_range(start_ns, end_ns)
        frame: pd.DataFrame = self._data().bars_frame(instrument_id, timeframe, start_ns, end_ns)
        return frame

    # -- indicators ---------------------------------------------------------------------------

    def indicators(self, category: str | None = None) -> list[dict[str, Any]]:
        """Every indicator: name, summary, category, inputs, outputs, parameter JSON schema."""
        out = []
        for spec in INDICATORS.specs():
            ind = spec.obj
            if category is not None and ind.category != category:
                continue
            out.append(
                {
                    **spec.describe(),
                    "category": ind.category,
                    "inputs": list(ind.inputs),
                    "outputs": list(ind.outputs),
                }
            )
        return out

    def compute_indicator(
        self,
        instrument_id: str,
        name: str,
        params: Mapping[str, Any],
        start_ns: int,
        end_ns: int,
        timeframe: str = "1d",
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """``(values, info)``: one column per output indexed by bar close time (int ns), and
        ``{"indicator", "params" (validated, with defaults), "lookback", "bars"}``."""
        ind = indicator(name)
        cfg = ind.make_config(dict(params))
        lookback = ind.lookback(cfg)
        bars = self.bars(instrument_id, start_ns, end_ns, timeframe)
        if len(bars) < lookback + 1:
            raise ValidationError(
                f"{name} needs at least {lookback + 1} bars for its warm-up; "
                f"{instrument_id} has {len(bars)} in the range",
                code="insufficient_bars",
                needed=lookback + 1,
                got=len(bars),
            )
        values = ind.run(_inputs(ind, bars, cfg), cfg)
        frame = pd.DataFrame({o: values[k] for k, o in enumerate(ind.outputs)}, index=bars.index)
        return frame, {
            "indicator": name,
            "params": cfg.model_dump(),
            "lookback": lookback,
            "bars": len(bars),
        }

    def grid(
        self,
        instrument_id: str,
        name: str,
        grid: Mapping[str, Sequence[Any]],
        start_ns: int,
        end_ns: int,
        timeframe: str = "1d",
    ) -> pd.DataFrame:
        """Every combination of ``grid`` (param -> values); columns (params..., output)."""
        ind = indicator(name)
        sizes = [len(v) if isinstance(v, (list, tuple)) else 1 for v in grid.values()]
        combos = 1
        for s in sizes:
            combos *= s
        if combos > MAX_GRID_COMBINATIONS:
            raise ValidationError(
                f"the grid has {combos} combinations; the limit is {MAX_GRID_COMBINATIONS}",
                code="grid_too_large",
                limit=MAX_GRID_COMBINATIONS,
                combinations=combos,
            )
        values = [list(v) if isinstance(v, (list, tuple)) else [v] for v in grid.values()]
        for combo in itertools.product(*values):
            ind.make_config(dict(zip(grid, combo, strict=True)))  # 422 before any bar read
        bars = self.bars(instrument_id, start_ns, end_ns, timeframe)
        return run_grid(name, bars, allow_nonfinite=True, **dict(grid))

    # -- feature sets -------------------------------------------------------------------------

    def define_set(self, definition: FeatureSetDefinition) -> dict[str, Any]:
        """Store a set definition; ``{"name", "version", "created"}``."""
        version, created = self.sets.define(definition)
        return {"name": definition.name, "version": version, "created": created}

    def list_sets(self) -> list[dict[str, Any]]:
        """Every set with its versions and the latest definition."""
        out = []
        for name in self.sets.names():
            version, definition = self.sets.get(name)
            out.append(
                {
                    "name": name,
                    "versions": self.sets.versions(name),
                    "latest": version,
                    "definition": definition.model_dump(mode="json"),
                }
            )
        return out

    def get_set(self, name: str, version: int | None = None) -> dict[str, Any]:
        v, definition = self.sets.get(name, version)
        return {
            "name": name,
            "version": v,
            "definition": definition.model_dump(mode="json"),
            "columns": definition.columns(),
            "instruments": self.sets.computed(name, v),
        }

    def facts(self, instrument_id: str) -> list[CompanyFact]:
        """Company facts for the instrument's symbol (empty when no source knows it)."""
        symbol = instrument_id.split(".")[0]
        try:
            facts: list[CompanyFact] = self._data().company_facts(symbol, CONCEPTS)
        except NautilusError:
            return []
        return facts

    def _facts_for(
        self, definition: FeatureSetDefinition, instruments: Sequence[str]
    ) -> dict[str, list[CompanyFact]]:
        if not definition.fundamentals:
            return {}
        return {i: self.facts(i) for i in instruments}

    def compute_set(
        self,
        name: str,
        instruments: Sequence[str],
        start_ns: int,
        end_ns: int,
        *,
        version: int | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> dict[str, Any]:
        """Compute a set version over ``instruments`` in this process and store it."""
        _check_range(start_ns, end_ns)
        _check_universe(instruments)
        v, definition = self.sets.get(name, version)
        return compute_set(
            definition,
            v,
            instruments,
            lambda i: self.bars(i, start_ns, end_ns, definition.timeframe),
            self._facts_for(definition, instruments),
            self.ctx.timeseries,
            progress=progress,
        )

    def submit_compute_set(
        self,
        name: str,
        instruments: Sequence[str],
        start_ns: int,
        end_ns: int,
        *,
        version: int | None = None,
        owner_id: str | None = None,
    ) -> str:
        """Queue ``features.compute_set`` over stored bars; facts are snapshotted now."""
        _check_range(start_ns, end_ns)
        _check_universe(instruments)
        v, definition = self.sets.get(name, version)
        cfg = self.ctx.config
        backend = cfg.timeseries.backend
        location = (
            str((cfg.data_dir / "timeseries").resolve())
            if backend != "postgres"
            else (cfg.timeseries.url or cfg.database_url or "")
        )
        facts = {i: fact_rows(f) for i, f in self._facts_for(definition, instruments).items()}
        params = FeatureSetJobParams(
            definition=definition,
            version=v,
            instruments=list(instruments),
            start_ns=start_ns,
            end_ns=end_ns,
            facts=facts,
            timeseries_backend=backend,
            timeseries_location=location,
        )
        return self.ctx.jobs.submit(COMPUTE_JOB, params.model_dump(mode="json"), owner_id=owner_id)

    def read_set(
        self,
        name: str,
        instrument_id: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        *,
        version: int | None = None,
    ) -> tuple[int, pd.DataFrame]:
        """``(version, values)`` of a computed set for one instrument in ``[start, end)``."""
        from nautilus.core.errors import NotFoundError

        v, _ = self.sets.get(name, version)
        key = feature_key(name, v, instrument_id)
        if not self.ctx.timeseries.exists(key):
            raise NotFoundError(
                f"feature set {name!r} v{v} is not computed for {instrument_id!r}",
                code="features_not_computed",
                instrument_id=instrument_id,
            )
        return v, self.ctx.timeseries.read(key, start_ns=start_ns, end_ns=end_ns)

    def preview(
        self, definition: FeatureSetDefinition, instrument_id: str, start_ns: int, end_ns: int
    ) -> pd.DataFrame:
        """A definition's values for one instrument, computed and not stored."""
        definition.check()
        bars = self.bars(instrument_id, start_ns, end_ns, definition.timeframe)
        return compute_frame(
            definition, bars, self._facts_for(definition, [instrument_id]).get(instrument_id, [])
        )

    @staticmethod
    def fundamentals() -> list[dict[str, str]]:
        """The fundamental features a set may use: name, group, definition."""
        return [
            {"name": f.name, "group": f.group, "description": f.description}
            for f in FUNDAMENTALS.values()
        ]


def _check_universe(instruments: Sequence[str]) -> None:
    if not instruments:
        raise ValidationError("the universe is empty", code="bad_universe")
    if len(instruments) > MAX_UNIVERSE:
        raise ValidationError(
            f"the universe has {len(instruments)} instruments; the limit is {MAX_UNIVERSE}",
            code="universe_too_large",
            limit=MAX_UNIVERSE,
        )
    if len(set(instruments)) != len(instruments):
        raise ValidationError("the universe lists an instrument twice", code="bad_universe")


def _inputs(ind: Any, bars: pd.DataFrame, cfg: Any) -> Any:
    from nautilus.features.base import resolve_rows

    return resolve_rows(ind, bars, cfg, allow_nonfinite=True)
