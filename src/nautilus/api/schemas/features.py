"""Features bodies: indicators, values, grids, feature sets. Times are int ns UTC (bar close);
a NaN value (warm-up, missing fact) is ``null``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from nautilus.features.sets import MAX_UNIVERSE


def nullable(values: Any) -> list[float | None]:
    """Floats with NaN/inf as None (JSON has no NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    return [v if np.isfinite(v) else None for v in arr.tolist()]


class IndicatorOut(BaseModel):
    name: str
    summary: str
    category: str
    tags: list[str]
    inputs: list[str]
    outputs: list[str]
    parameters: dict[str, Any] | None = Field(description="JSON Schema of the parameters.")


class FundamentalOut(BaseModel):
    name: str
    group: str
    description: str


class IndicatorValuesOut(BaseModel):
    instrument_id: str
    indicator: str
    params: dict[str, Any] = Field(description="Validated parameters with defaults.")
    lookback: int = Field(description="Leading NaN (null) values of the warm-up.")
    count: int
    ts: list[int]
    values: dict[str, list[float | None]] = Field(description="Output name -> values.")


class GridRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument_id: str = Field(min_length=3, max_length=64)
    indicator: str = Field(min_length=1, max_length=64)
    grid: dict[str, list[int | float | str]] = Field(
        ..., max_length=8, description="Parameter -> values; every combination is run.")
    start: str = Field(description="ISO date/time (UTC if no offset) or int ns UTC.")
    end: str = Field(description="Exclusive end: ISO date/time or int ns UTC.")
    timeframe: str = "1d"


class GridColumn(BaseModel):
    params: dict[str, Any]
    output: str
    values: list[float | None]


class GridOut(BaseModel):
    instrument_id: str
    indicator: str
    combinations: int
    ts: list[int]
    columns: list[GridColumn]

    @classmethod
    def of(cls, instrument_id: str, indicator: str, frame: pd.DataFrame) -> GridOut:
        names = [n for n in frame.columns.names if n != "output"]
        cols = []
        for key in frame.columns:
            *vals, output = key
            cols.append(GridColumn(params=dict(zip(names, vals, strict=True)), output=output,
                                   values=nullable(frame[key])))
        n_out = len(set(frame.columns.get_level_values("output")))
        return cls(instrument_id=instrument_id, indicator=indicator,
                   combinations=len(cols) // max(n_out, 1),
                   ts=[int(t) for t in frame.index], columns=cols)


class FeatureSetCreated(BaseModel):
    name: str
    version: int
    created: bool = Field(description="False when the same feature list was already stored.")


class FeatureSetSummary(BaseModel):
    name: str
    versions: list[int]
    latest: int
    definition: dict[str, Any]


class FeatureSetOut(BaseModel):
    name: str
    version: int
    definition: dict[str, Any]
    columns: list[str]
    instruments: list[str] = Field(description="Instruments with stored values.")


class ComputeSetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instruments: list[str] = Field(..., min_length=1, max_length=MAX_UNIVERSE)
    start: str
    end: str
    version: int | None = Field(None, ge=1, description="Default: the latest version.")


class FeatureValuesOut(BaseModel):
    set: str
    version: int
    instrument_id: str
    count: int
    ts: list[int]
    values: dict[str, list[float | None]]

    @classmethod
    def of(cls, name: str, version: int, instrument_id: str,
           frame: pd.DataFrame) -> FeatureValuesOut:
        return cls(set=name, version=version, instrument_id=instrument_id, count=len(frame),
                   ts=[int(t) for t in frame.index],
                   values={str(c): nullable(frame[c]) for c in frame.columns})
