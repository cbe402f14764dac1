"""Feature set definitions, versions in the time-series store, and the compute job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.synthetic import daily_bars
from nautilus.data.storage import BarStore
from nautilus.features import compute
from nautilus.features.sets import (
    COMPUTE_JOB,
    FeatureSetCatalog,
    FeatureSetDefinition,
    compute_frame,
    fact_rows,
    feature_key,
    run_compute_set,
)
from nautilus.jobs.base import JOB_KINDS
from nautilus.model import CompanyFact
from nautilus.persistence.timeseries.arctic import ArcticStore

START, END = to_ns("2023-01-01"), to_ns("2024-01-01")
SET = {"name": "mix", "features": [
    {"kind": "indicator", "name": "sma5", "indicator": "sma", "params": {"timeperiod": 5}},
    {"kind": "indicator", "name": "macd", "indicator": "macd"},
    {"kind": "fundamental", "name": "ey", "fundamental": "earnings_yield"}]}


class Recorder:
    def __init__(self) -> None:
        self.updates: list[float] = []

    def update(self, fraction: float, message: str | None = None) -> None:
        self.updates.append(fraction)

    @property
    def cancelled(self) -> bool:
        return False


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ArcticStore]:
    s = ArcticStore(tmp_path / "ts")
    yield s
    s.close()


def test_definitions_are_checked() -> None:
    defn = FeatureSetDefinition.model_validate(SET).check()
    assert defn.columns() == ["sma5", "macd_macd", "macd_macdsignal", "macd_macdhist", "ey"]
    cases = [
        ({"kind": "indicator", "name": "x", "indicator": "nosuch"}, "unknown_indicator"),
        ({"kind": "indicator", "name": "x", "indicator": "sma", "params": {"timeperiod": 1}},
         "parameter_out_of_range"),
        ({"kind": "indicator", "name": "x", "indicator": "macd", "output": "nope"},
         "unknown_output"),
        ({"kind": "fundamental", "name": "x", "fundamental": "pe"}, "unknown_fundamental"),
    ]
    for feature, code in cases:
        with pytest.raises(ValidationError) as err:
            FeatureSetDefinition(name="bad", features=[feature]).check()  # type: ignore[list-item]
        assert err.value.code == code
    dup = {"name": "dup", "features": [SET["features"][0], SET["features"][0]]}
    with pytest.raises(ValidationError) as err:
        FeatureSetDefinition.model_validate(dup).check()
    assert err.value.code == "duplicate_feature"
    with pytest.raises(pydantic.ValidationError):
        FeatureSetDefinition.model_validate({"name": "Bad Name", "features": SET["features"]})


def test_versions_are_stored_and_unchanged_lists_reuse_them(store: ArcticStore) -> None:
    cat = FeatureSetCatalog(store)
    defn = FeatureSetDefinition.model_validate(SET)
    assert cat.define(defn) == (1, True)
    assert cat.define(defn.model_copy(update={"description": "same list"})) == (1, False)
    smaller = FeatureSetDefinition.model_validate({**SET, "features": SET["features"][:1]})
    assert cat.define(smaller) == (2, True)
    assert cat.versions("mix") == [1, 2] and cat.names() == ["mix"]
    v, got = cat.get("mix")
    assert v == 2 and got.columns() == ["sma5"]
    assert cat.get("mix", 1)[1].columns()[-1] == "ey"
    with pytest.raises(NotFoundError):
        cat.get("mix", 3)
    with pytest.raises(NotFoundError):
        cat.get("other")


def test_compute_frame_matches_the_library_and_is_point_in_time() -> None:
    bars = daily_bars("TEC01.XSYN", START, END, 7)
    filed = int(bars.index[100])
    facts = [CompanyFact(cik="1", ticker="TEC01", concept="us-gaap:EarningsPerShareDiluted",
                         unit="USD/shares", value=3.0, period_end_ns=filed - 40 * 86_400 * 10**9,
                         ts_known=filed, form="10-K", fiscal_period="FY")]
    frame = compute_frame(FeatureSetDefinition.model_validate(SET), bars, facts)
    assert frame.index.name == "ts" and frame.index.dtype == np.int64
    assert np.array_equal(frame["sma5"].to_numpy(), compute("sma", bars["close"].to_numpy(),
                                                            timeperiod=5), equal_nan=True)
    macd = compute("macd", bars["close"].to_numpy())
    assert np.array_equal(frame["macd_macdsignal"].to_numpy(), macd["macdsignal"],
                          equal_nan=True)
    ey = frame["ey"].to_numpy()
    assert np.isnan(ey[:100]).all()
    assert ey[100:] == pytest.approx(3.0 / bars["close"].to_numpy()[100:])


def test_compute_job_writes_each_instrument(store: ArcticStore, tmp_path: Path) -> None:
    bars = BarStore(store)
    for inst in ("TEC01.XSYN", "FIN01.XSYN"):
        bars.upsert(inst, "1d", daily_bars(inst, START, END, 7))
    defn = FeatureSetDefinition.model_validate(SET)
    FeatureSetCatalog(store).define(defn)
    filed = to_ns("2023-06-01")
    eps = CompanyFact(cik="1", ticker="TEC01", concept="us-gaap:EarningsPerShareDiluted",
                      unit="USD/shares", value=2.0, period_end_ns=to_ns("2022-12-31"),
                      ts_known=filed, form="10-K", fiscal_period="FY")
    params = JOB_KINDS.spec(COMPUTE_JOB).config.model_validate({  # type: ignore[union-attr]
        "definition": defn.model_dump(mode="json"), "version": 1,
        "instruments": ["TEC01.XSYN", "FIN01.XSYN", "NOPE.XSYN"],
        "start_ns": START, "end_ns": to_ns("2023-07-01"),
        "facts": {"TEC01.XSYN": fact_rows([eps])},
        "timeseries_location": str(tmp_path / "ts")})
    rec = Recorder()
    out = run_compute_set(params, rec)
    assert rec.updates == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert out["missing"] == ["NOPE.XSYN"] and out["without_fundamentals"] == ["FIN01.XSYN"]
    stored = store.read(feature_key("mix", 1, "TEC01.XSYN"))
    assert list(stored.columns) == defn.columns() and len(stored) == out["rows"]["TEC01.XSYN"]
    assert stored.index.max() < to_ns("2023-07-01")
    ey = stored["ey"]
    assert ey[stored.index < filed].isna().all() and ey[stored.index >= filed].notna().all()
    assert FeatureSetCatalog(store).computed("mix", 1) == ["FIN01.XSYN", "TEC01.XSYN"]
    fin = store.read(feature_key("mix", 1, "FIN01.XSYN"))
    assert fin["ey"].isna().all() and isinstance(fin, pd.DataFrame)
