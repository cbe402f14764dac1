"""Feature sets: named, versioned lists of indicator and fundamental features.

A :class:`FeatureSetDefinition` names its features (indicator + parameters, or a fundamental
from :mod:`nautilus.features.fundamentals`) and a bar timeframe. Defining a set under an
existing name with a different feature list creates the next version (1, 2, ...); the same
list again returns the existing version. Definitions live in the time-series store under
``featuresets/<set>/<version>`` (a one-row frame whose write metadata holds the definition);
computed values under ``features/<set>/<version>/<instrument>``: index ``ts`` = bar close time
(int ns UTC), one float64 column per feature column.

Conventions of the computed values:

* Indicators run over the bars of the requested range only, so each has its documented
  warm-up: the first ``lookback`` rows of that column are NaN (never filled).
* Fundamentals are point in time: a fact is used from its filing date on (see
  :mod:`nautilus.features.fundamentals`); an instrument without facts gets NaN columns.
* A value at row ``t`` uses only bars closing at or before ``t`` and facts filed by then.

The ``features.compute_set`` job computes a set over a universe in a worker from stored bars,
with the company facts snapshotted by the engine at submission.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.features.base import INDICATORS, Indicator, compute
from nautilus.features.fundamentals import check_fundamental, fundamental_features
from nautilus.jobs.base import JOB_KINDS, Progress
from nautilus.model import CompanyFact
from nautilus.persistence.timeseries.base import TimeSeriesStore

SET_NAME = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
COLUMN_NAME = r"^[a-z][a-z0-9_]{0,63}$"
MAX_FEATURES = 100
MAX_UNIVERSE = 500
COMPUTE_JOB = "features.compute_set"


def indicator(name: str) -> Indicator:
    """A registered indicator; 422 ``unknown_indicator`` (not 404: it is a bad input value)."""
    if name not in INDICATORS:
        raise ValidationError(
            f"unknown indicator {name!r} (GET /api/v1/features/indicators lists the "
            f"{len(INDICATORS)} known ones)",
            code="unknown_indicator",
            indicator=name,
        )
    return INDICATORS.get(name)


class IndicatorFeature(FrozenConfig):
    """An indicator column: one output (or every output as ``<name>_<output>``)."""

    kind: Literal["indicator"] = "indicator"
    name: str = Field(pattern=COLUMN_NAME, description="column name")
    indicator: str = Field(min_length=1, max_length=64, description="INDICATORS name")
    params: dict[str, Any] = Field(default_factory=dict, description="indicator parameters")
    output: str | None = Field(None, description="one output of a multi-output indicator")

    def columns(self) -> list[str]:
        outs = indicator(self.indicator).outputs
        if self.output is not None or len(outs) == 1:
            return [self.name]
        return [f"{self.name}_{o}" for o in outs]

    def check(self) -> None:
        ind = indicator(self.indicator)
        ind.make_config(self.params)
        if self.output is not None and self.output not in ind.outputs:
            raise ValidationError(
                f"{self.indicator} has no output {self.output!r} (outputs: "
                f"{', '.join(ind.outputs)})",
                code="unknown_output",
                output=self.output,
            )


class FundamentalFeature(FrozenConfig):
    """A fundamental column (valuation, profitability, growth, leverage), point in time."""

    kind: Literal["fundamental"] = "fundamental"
    name: str = Field(pattern=COLUMN_NAME, description="column name")
    fundamental: str = Field(
        description="earnings_yield, book_to_price, roe, gross_margin, "
        "revenue_yoy or debt_to_equity"
    )

    def columns(self) -> list[str]:
        return [self.name]

    def check(self) -> None:
        check_fundamental(self.fundamental)


FeatureSpec = Annotated[IndicatorFeature | FundamentalFeature, Field(discriminator="kind")]


class FeatureSetDefinition(FrozenConfig):
    """A named list of features over one bar timeframe."""

    name: str = Field(pattern=SET_NAME, description="set name")
    description: str = Field("", max_length=500)
    timeframe: Literal["1d", "1h", "1m"] = "1d"
    features: list[FeatureSpec] = Field(..., min_length=1, max_length=MAX_FEATURES)

    def check(self) -> FeatureSetDefinition:
        """Validate indicator names, parameters and outputs, fundamentals and unique columns."""
        seen: set[str] = set()
        for f in self.features:
            f.check()
            for c in f.columns():
                if c in seen:
                    raise ValidationError(
                        f"feature column {c!r} appears twice", code="duplicate_feature", column=c
                    )
                seen.add(c)
        return self

    def columns(self) -> list[str]:
        return [c for f in self.features for c in f.columns()]

    @property
    def fundamentals(self) -> list[FundamentalFeature]:
        return [f for f in self.features if isinstance(f, FundamentalFeature)]

    def same_features(self, other: FeatureSetDefinition) -> bool:
        return self.timeframe == other.timeframe and [f.model_dump() for f in self.features] == [
            f.model_dump() for f in other.features
        ]


def feature_key(set_name: str, version: int, instrument_id: str) -> str:
    """``features/<set>/<version>/<instrument>``."""
    return f"features/{set_name}/{version}/{instrument_id}"


def definition_key(set_name: str, version: int) -> str:
    return f"featuresets/{set_name}/{version}"


class FeatureSetCatalog:
    """Versioned set definitions in the time-series store (see the module docstring)."""

    def __init__(self, store: TimeSeriesStore) -> None:
        self.store = store

    def versions(self, name: str) -> list[int]:
        keys = self.store.list_keys(f"featuresets/{name}/")
        return sorted(
            int(k.rsplit("/", 1)[1])
            for k in keys
            if k.rsplit("/", 2)[1] == name and k.rsplit("/", 1)[1].isdigit()
        )

    def get(self, name: str, version: int | None = None) -> tuple[int, FeatureSetDefinition]:
        """``(version, definition)``; the latest version when ``version`` is None."""
        versions = self.versions(name)
        if not versions or (version is not None and version not in versions):
            what = f"feature set {name!r}" + (f" version {version}" if version else "")
            raise NotFoundError(f"no {what}", code="unknown_feature_set", name=name)
        v = versions[-1] if version is None else version
        meta = self.store.metadata(definition_key(name, v))["user"]
        return v, FeatureSetDefinition.model_validate(meta["definition"])

    def define(self, definition: FeatureSetDefinition) -> tuple[int, bool]:
        """Store ``definition``; ``(version, created)`` (an unchanged list is not a version)."""
        definition.check()
        versions = self.versions(definition.name)
        if versions:
            last, current = self.get(definition.name, versions[-1])
            if current.same_features(definition):
                return last, False
        version = versions[-1] + 1 if versions else 1
        created = time.time_ns()
        frame = pd.DataFrame(
            {"version": np.array([version], dtype=np.int64)},
            index=pd.Index(np.array([created], dtype=np.int64), name="ts"),
        )
        self.store.write(
            definition_key(definition.name, version),
            frame,
            metadata={"definition": definition.model_dump(mode="json"), "created_at": created},
        )
        return version, True

    def names(self) -> list[str]:
        return sorted({k.split("/")[1] for k in self.store.list_keys("featuresets/")})

    def computed(self, name: str, version: int) -> list[str]:
        """Instruments with stored values of this set version."""
        prefix = f"features/{name}/{version}/"
        return sorted(k[len(prefix) :] for k in self.store.list_keys(prefix))


def compute_frame(
    definition: FeatureSetDefinition, bars: pd.DataFrame, facts: Sequence[CompanyFact] = ()
) -> pd.DataFrame:
    """The set's columns over ``bars`` (index ``ts`` int ns, OHLCV columns)."""
    idx = pd.Index(np.asarray(bars.index, dtype=np.int64), name="ts")
    cols: dict[str, np.ndarray] = {}
    for f in definition.features:
        if isinstance(f, IndicatorFeature):
            ind = indicator(f.indicator)
            out = compute(f.indicator, bars, allow_nonfinite=True, **f.params)
            outs = [f.output] if f.output is not None else list(ind.outputs)
            for name, o in zip(f.columns(), outs, strict=True):
                cols[name] = out[o].to_numpy(np.float64)
    funds = definition.fundamentals
    if funds:
        values = fundamental_features(
            facts,
            idx.to_numpy(),
            bars["close"].to_numpy(np.float64),
            [f.fundamental for f in funds],
        )
        for f in funds:
            cols[f.name] = values[f.fundamental]
    return pd.DataFrame({c: cols[c] for c in definition.columns()}, index=idx)


FactRow = tuple[str, float, int, int, str | None]
"""A fact in job params: ``(concept, value, period_end_ns, ts_known, fiscal_period)``."""


def fact_rows(facts: Sequence[CompanyFact]) -> list[FactRow]:
    return [(f.concept, f.value, f.period_end_ns, f.ts_known, f.fiscal_period) for f in facts]


def facts_of(rows: Sequence[Sequence[Any]], instrument_id: str) -> list[CompanyFact]:
    return [
        CompanyFact(
            cik="",
            ticker=instrument_id.split(".")[0],
            concept=str(c),
            unit="",
            value=float(v),
            period_end_ns=int(p),
            ts_known=int(k),
            form="",
            fiscal_period=fp,
        )
        for c, v, p, k, fp in rows
    ]


def compute_set(
    definition: FeatureSetDefinition,
    version: int,
    instruments: Sequence[str],
    read_bars: Callable[[str], pd.DataFrame],
    facts: Mapping[str, Sequence[CompanyFact]],
    store: TimeSeriesStore,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Compute the set for each instrument and write it (replacing earlier values).

    Instruments without bars are listed under ``missing`` and nothing is written for them.
    """
    written: dict[str, int] = {}
    missing: list[str] = []
    for k, inst in enumerate(instruments):
        if cancelled():
            break
        bars = read_bars(inst)
        if len(bars) == 0:
            missing.append(inst)
        else:
            frame = compute_frame(definition, bars, facts.get(inst, ()))
            store.write(
                feature_key(definition.name, version, inst),
                frame,
                metadata={"set": definition.name, "version": version, "instrument_id": inst},
            )
            written[inst] = len(frame)
        if progress is not None:
            progress((k + 1) / len(instruments), f"{inst}: {written.get(inst, 0)} rows")
    return {
        "set": definition.name,
        "version": version,
        "columns": definition.columns(),
        "rows": written,
        "missing": missing,
        "without_fundamentals": sorted(
            i for i in written if definition.fundamentals and not facts.get(i)
        ),
        "cancelled": cancelled(),
    }


class FeatureSetJobParams(FrozenConfig):
    """Params of ``features.compute_set`` (the engine fills in the store and the facts)."""

    definition: FeatureSetDefinition
    version: int = Field(ge=1)
    instruments: list[str] = Field(..., min_length=1, max_length=MAX_UNIVERSE)
    start_ns: int
    end_ns: int
    facts: dict[str, list[FactRow]] = Field(default_factory=dict)
    timeseries_backend: Literal["arctic", "postgres"] = "arctic"
    timeseries_location: str


@JOB_KINDS.register(COMPUTE_JOB, config=FeatureSetJobParams, tags=("features",))
def run_compute_set(params: FeatureSetJobParams, progress: Progress) -> dict[str, Any]:
    """Compute a feature set over a universe from stored bars (progress per instrument)."""
    from nautilus.data.storage import BarStore

    if isinstance(params, dict):
        params = FeatureSetJobParams.model_validate(params)
    if params.timeseries_backend == "postgres":
        from nautilus.persistence.timeseries.postgres import PostgresStore

        store: TimeSeriesStore = PostgresStore(params.timeseries_location)
    else:
        from nautilus.persistence.timeseries.arctic import ArcticStore

        store = ArcticStore(Path(params.timeseries_location))
    try:
        bars = BarStore(store)
        tf = params.definition.timeframe
        return compute_set(
            params.definition,
            params.version,
            params.instruments,
            lambda i: bars.read_or_empty(i, tf, params.start_ns, params.end_ns),
            {i: facts_of(rows, i) for i, rows in params.facts.items()},
            store,
            progress=progress.update,
            cancelled=lambda: progress.cancelled,
        )
    finally:
        store.close()
