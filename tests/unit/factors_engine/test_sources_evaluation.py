"""Store panel source, the factors.evaluate job's JSON result, its plots and report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.catalog import InstrumentCatalog
from nautilus.data.sources.synthetic import daily_bars, universe
from nautilus.data.storage import BarStore
from nautilus.factors import evaluation
from nautilus.factors.engine import (
    EVALUATE_JOB,
    FactorEvaluationParams,
    evaluation_result,
    result_plot,
    result_report,
    run_factor_evaluation,
)
from nautilus.factors.job import FactorSetParams, compute_factor_set
from nautilus.factors.library import resolve
from nautilus.factors.panel import synthetic_panel
from nautilus.factors.sources import StorePanelSource, assemble_panel, panel_from_store
from nautilus.jobs.base import JOB_KINDS
from nautilus.persistence.db import Database
from nautilus.persistence.timeseries.arctic import ArcticStore

PNG = b"\x89PNG\r\n\x1a\n"


class Recorder:
    def __init__(self) -> None:
        self.updates: list[float] = []

    def update(self, fraction: float, message: str | None = None) -> None:
        self.updates.append(fraction)

    @property
    def cancelled(self) -> bool:
        return False


def frame(ts: list[int], close: list[float]) -> pd.DataFrame:
    c = np.asarray(close)
    return pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c, "volume": c * 10},
                        index=pd.Index(np.asarray(ts, dtype=np.int64), name="ts"))


def test_assemble_panel_aligns_dates_without_filling() -> None:
    p = assemble_panel({"B.X": frame([1, 2, 3], [10.0, 11.0, 12.1]),
                        "A.X": frame([2, 3], [20.0, 22.0]), "C.X": frame([], [])},
                       {"A.X": "Energy", "B.X": "Utilities", "C.X": None})
    assert p.instruments == ["A.X", "B.X"] and p.dates.tolist() == [1, 2, 3]
    assert np.isnan(p["close"][0, 0]) and p["close"][:, 1].tolist() == [10.0, 11.0, 12.1]
    assert p["vwap"][1, 0] == pytest.approx(20.0)
    assert p["sector"][0].tolist() == [0.0, 1.0] and "sector" in p.group_fields
    market = p.series["market_return"]
    assert np.isnan(market[0]) and market[1] == pytest.approx(0.1)
    assert market[2] == pytest.approx((0.1 + 0.1) / 2)
    with pytest.raises(ValidationError) as err:
        assemble_panel({"A.X": frame([1], [1.0])}, {})
    assert err.value.code == "empty_panel"


def test_store_panel_source_feeds_the_factor_set_job(tmp_path: Path) -> None:
    store = ArcticStore(tmp_path / "ts")
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    db.migrate()
    insts = universe(6)
    start, end = to_ns("2023-01-01"), to_ns("2023-07-01")
    try:
        InstrumentCatalog(db).upsert(insts, source="synthetic")
        for i in insts:
            BarStore(store).upsert(i.id, "1d", daily_bars(i.id, start, end, 7))
    finally:
        store.close()
        db.dispose()
    src = StorePanelSource(instruments=[i.id for i in insts], start="2023-01-01",
                           end="2023-07-01", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                           timeseries_location=str(tmp_path / "ts"))
    panel = panel_from_store(src)
    assert panel.shape == (len(daily_bars(insts[0].id, start, end, 7)), 6)
    assert sorted(set(panel["sector"][0].tolist())) == [0, 1, 2, 3, 4, 5]
    out = compute_factor_set(FactorSetParams(factors=["alpha158.ROC5"],
                                             panel=src.model_dump()), Recorder())
    assert out["panel"]["kind"] == "store" and out["panel"]["n_instruments"] == 6
    assert out["factors"]["alpha158.ROC5"]["coverage"] > 0.9


def test_evaluation_result_reproduces_the_tear_sheet_numbers() -> None:
    panel = synthetic_panel(150, 20, seed=3)
    factors = [resolve("-delta(close, 5) / close"), resolve("alpha158.ROC10"),
               resolve("style.value")]
    res = evaluation_result(factors, panel, horizon=2, n_quantiles=4, decay_horizons=3)
    json.dumps(res, allow_nan=False)  # strict JSON: NaN became null
    ref = evaluation.evaluate_factor(factors[1].compute(panel), panel["close"], panel.dates,
                                     horizon=2, n_quantiles=4, decay_horizons=3)
    got = res["factors"]["alpha158.ROC10"]
    assert got["rank_ic"]["mean"] == pytest.approx(ref["rank_ic_summary"]["mean"])
    assert got["ic"]["t_stat"] == pytest.approx(ref["ic_summary"]["t_stat"])
    assert got["quantile_mean"]["q4"] == pytest.approx(ref["quantile_mean"]["q4"])
    assert got["decay"]["rank_ic"] == pytest.approx(ref["decay"]["rank_ic"].tolist())
    assert got["turnover_top_mean"] == pytest.approx(ref["turnover_top"].mean())
    assert res["factors"]["style.value"]["code"] == "missing_field"
    corr = res["correlation"]
    assert corr["factors"] == ["-delta(close, 5) / close", "alpha158.ROC10"]
    assert corr["matrix"][0][1] == pytest.approx(corr["matrix"][1][0])

    for kind in ("ic", "rank_ic", "quantiles", "decay"):
        assert result_plot(res, kind, "alpha158.ROC10")[:8] == PNG
    assert result_plot(res, "correlation")[:8] == PNG
    html = result_report(res, "alpha158.ROC10")
    assert html.startswith("<!doctype html>") and html.count("data:image/png") == 4
    with pytest.raises(ValidationError):
        result_plot(res, "pie", "alpha158.ROC10")
    with pytest.raises(ValidationError):
        result_plot(res, "ic")
    with pytest.raises(NotFoundError):
        result_plot(res, "ic", "nosuch")
    with pytest.raises(ValidationError):
        result_report(res, "style.value")


def test_evaluate_job_kind_reports_progress_and_rejects_bad_expressions() -> None:
    assert JOB_KINDS.spec(EVALUATE_JOB).config is FactorEvaluationParams
    rec = Recorder()
    params = FactorEvaluationParams(name="t", factors=["rank(volume)", "alpha158.KMID"],
                                    panel={"kind": "synthetic", "n_dates": 60,
                                           "n_instruments": 8}, decay_horizons=2)
    out = run_factor_evaluation(params, rec)
    assert rec.updates == pytest.approx([0.0, 0.6, 1.0])
    assert out["name"] == "t" and out["panel"]["n_dates"] == 60 and len(out["dates"]) == 60
    with pytest.raises(ValidationError) as err:
        resolve("ts_mean(close, 5")
    assert err.value.code == "expr_syntax" and err.value.extra["position"] == 16
