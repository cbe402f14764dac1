"""The features and factors routers against a real Platform with the demo sample data.

One module-scoped platform (SQLite, ArcticDB, local job runner) with 22 synthetic instruments
and two years of daily bars; jobs run in real worker processes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from nautilus.api import create_app
from nautilus.config import DataConfig
from nautilus.data.loader import load_sample_data
from nautilus.factors.engine import FactorsEngine, FactorsEvaluated
from nautilus.features import compute
from nautilus.features.engine import MAX_GRID_COMBINATIONS, FeaturesEngine
from nautilus.platform import Platform

from .conftest import Headers, api_config

FEAT = "/api/v1/features"
FACT = "/api/v1/factors"
YEAR = {"start": "2024-01-01", "end": "2025-01-01"}
UNIVERSE = ["TEC01.XSYN", "HLT01.XSYN", "FIN01.XSYN", "CDS01.XSYN", "CST01.XSYN",
            "IND01.XSYN", "ENE01.XSYN", "MAT01.XSYN", "TEC02.XSYN", "HLT02.XSYN"]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    assert FeaturesEngine.name == "features" and FactorsEngine.name == "factors"
    config = api_config(tmp_path_factory.mktemp("features-api"),
                        engines=("data", "features", "factors"),
                        data=DataConfig(sources={"synthetic": {}}))
    p = Platform(config)
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    app = create_app(platform, announce=False)
    with TestClient(app) as c:
        load_sample_data(platform, size=22, years=2, minute_weeks=0, real=False)
        yield c


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def test_indicator_catalogue_lists_parameter_schemas(client: TestClient, admin: Headers) -> None:
    r = client.get(f"{FEAT}/indicators", headers=admin)
    assert r.status_code == 200
    by_name = {i["name"]: i for i in r.json()}
    assert len(by_name) >= 79
    rsi = by_name["rsi"]["parameters"]["properties"]["timeperiod"]
    assert rsi["minimum"] == 2 and rsi["default"] == 14
    assert by_name["macd"]["outputs"] == ["macd", "macdsignal", "macdhist"]
    momentum = client.get(f"{FEAT}/indicators", params={"category": "momentum"}, headers=admin)
    assert {i["category"] for i in momentum.json()} == {"momentum"}
    funds = {f["name"] for f in client.get(f"{FEAT}/fundamentals", headers=admin).json()}
    assert funds == {"earnings_yield", "book_to_price", "roe", "gross_margin", "revenue_yoy",
                     "debt_to_equity"}
    assert client.get(f"{FEAT}/indicators").status_code == 401


def test_indicator_values_match_the_library(client: TestClient, admin: Headers,
                                            platform: Platform) -> None:
    r = client.get(f"{FEAT}/values/TEC01.XSYN",
                   params={**YEAR, "indicator": "rsi", "timeperiod": "10"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["params"] == {"timeperiod": 10} and body["lookback"] == 10
    values = body["values"]["rsi"]
    assert values[:10] == [None] * 10 and all(0 <= v <= 100 for v in values[10:])
    bars = platform.engine("data").bars_frame(  # type: ignore[attr-defined]
        "TEC01.XSYN", "1d", body["ts"][0], body["ts"][-1] + 1)
    expected = compute("rsi", bars["close"].to_numpy(), timeperiod=10)
    assert np.allclose(np.array(values[10:]), expected[10:], rtol=0, atol=1e-9)
    macd = client.get(f"{FEAT}/values/TEC01.XSYN", params={**YEAR, "indicator": "macd"},
                      headers=admin).json()
    assert set(macd["values"]) == {"macd", "macdsignal", "macdhist"}


def test_indicator_validation_problems(client: TestClient, admin: Headers) -> None:
    base = f"{FEAT}/values/TEC01.XSYN"
    body = problem(client.get(base, params={**YEAR, "indicator": "nosuch"}, headers=admin), 422)
    assert body["code"] == "unknown_indicator" and "nosuch" in body["detail"]
    body = problem(client.get(base, params={**YEAR, "indicator": "rsi", "timeperiod": "1"},
                              headers=admin), 422)
    assert body["code"] == "parameter_out_of_range" and body["parameter"] == "timeperiod"
    assert body["allowed"] == "[2, 100000]" and "timeperiod" in body["detail"]
    body = problem(client.get(base, params={**YEAR, "indicator": "rsi", "window": "5"},
                              headers=admin), 422)
    assert body["code"] == "unknown_parameter" and "timeperiod" in body["detail"]
    body = problem(client.get(base, params={"start": "2024-06-03", "end": "2024-06-10",
                                            "indicator": "sma", "timeperiod": "30"},
                              headers=admin), 422)
    assert body["code"] == "insufficient_bars" and body["needed"] == 30 and body["got"] == 5
    problem(client.get(base, params={"start": "2024-06-10", "end": "2024-06-03",
                                     "indicator": "sma"}, headers=admin), 422)


def test_parameter_grid_and_its_limit(client: TestClient, admin: Headers) -> None:
    r = client.post(f"{FEAT}/grid", headers=admin,
                    json={"instrument_id": "FIN01.XSYN", "indicator": "sma",
                          "grid": {"timeperiod": [5, 20]}, **YEAR})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["combinations"] == 2
    assert [c["params"] for c in body["columns"]] == [{"timeperiod": 5}, {"timeperiod": 20}]
    sma5 = body["columns"][0]["values"]
    assert sma5[:4] == [None] * 4 and sma5[4] is not None
    body = problem(client.post(f"{FEAT}/grid", headers=admin,
                               json={"instrument_id": "FIN01.XSYN", "indicator": "bbands",
                                     "grid": {"timeperiod": list(range(5, 25)),
                                              "nbdevup": [1.0, 2.0, 3.0, 4.0]}, **YEAR}), 422)
    assert body["code"] == "grid_too_large" and body["limit"] == MAX_GRID_COMBINATIONS


def test_feature_sets_define_version_compute_and_read(client: TestClient, admin: Headers,
                                                      platform: Platform) -> None:
    definition = {"name": "trend-pack", "description": "two indicators and a fundamental",
                  "features": [
                      {"kind": "indicator", "name": "rsi14", "indicator": "rsi",
                       "params": {"timeperiod": 14}},
                      {"kind": "indicator", "name": "bb", "indicator": "bbands",
                       "params": {"timeperiod": 10}, "output": "upperband"},
                      {"kind": "fundamental", "name": "ey", "fundamental": "earnings_yield"}]}
    r = client.post(f"{FEAT}/sets", json=definition, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "trend-pack", "version": 1, "created": True}
    assert client.post(f"{FEAT}/sets", json=definition, headers=admin).json()["created"] is False
    changed = {**definition, "features": definition["features"][:2]}
    assert client.post(f"{FEAT}/sets", json=changed, headers=admin).json()["version"] == 2
    bad = {**definition, "features": [{"kind": "indicator", "name": "x", "indicator": "rsi",
                                       "params": {"timeperiod": 0}}]}
    assert problem(client.post(f"{FEAT}/sets", json=bad, headers=admin),
                   422)["parameter"] == "timeperiod"
    listed = {s["name"]: s for s in client.get(f"{FEAT}/sets", headers=admin).json()}
    assert listed["trend-pack"]["versions"] == [1, 2]

    r = client.post(f"{FEAT}/sets/trend-pack/compute", headers=admin,
                    json={"instruments": [*UNIVERSE[:3], "NOPE.XSYN"], "version": 1, **YEAR})
    assert r.status_code == 202, r.text
    job = platform.jobs.wait(r.json()["job_id"], timeout=180)
    assert job.state.value == "succeeded", job.error
    assert job.result is not None and job.result["missing"] == ["NOPE.XSYN"]
    assert set(job.result["rows"]) == set(UNIVERSE[:3])
    assert sorted(job.result["without_fundamentals"]) == sorted(UNIVERSE[:3])

    detail = client.get(f"{FEAT}/sets/trend-pack", params={"version": 1}, headers=admin).json()
    assert detail["columns"] == ["rsi14", "bb", "ey"]
    assert detail["instruments"] == sorted(UNIVERSE[:3])
    r = client.get(f"{FEAT}/sets/trend-pack/values/TEC01.XSYN",
                   params={"version": 1, "start": "2024-03-01"}, headers=admin)
    assert r.status_code == 200, r.text
    vals = r.json()
    direct = client.get(f"{FEAT}/values/TEC01.XSYN",
                        params={**YEAR, "indicator": "rsi", "timeperiod": "14"},
                        headers=admin).json()
    lookup = dict(zip(direct["ts"], direct["values"]["rsi"], strict=True))
    assert vals["count"] > 100 and vals["ts"][0] >= 1709251200 * 10**9
    assert vals["values"]["rsi14"] == pytest.approx([lookup[t] for t in vals["ts"]])
    assert all(v is None for v in vals["values"]["ey"])
    problem(client.get(f"{FEAT}/sets/trend-pack/values/ENE01.XSYN", headers=admin), 404)
    problem(client.get(f"{FEAT}/sets/nosuch", headers=admin), 404)


def test_factor_catalogue_and_expression_errors(client: TestClient, admin: Headers) -> None:
    listed = client.get(FACT, params={"tag": "style"}, headers=admin).json()
    assert listed and all("style" in f["tags"] for f in listed)
    r = client.post(f"{FACT}/check", json={"factors": ["style.reversal_1m", "rank(close)"]},
                    headers=admin)
    assert r.status_code == 200
    assert [f["registered"] for f in r.json()] == [True, False]
    body = problem(client.post(f"{FACT}/check", json={"factors": ["rank(close +)"]},
                               headers=admin), 422)
    assert body["code"] == "expr_syntax" and body["position"] == 12
    body = problem(client.post(f"{FACT}/evaluations", headers=admin,
                               json={"factors": ["ts_mean(close, 5"], "instruments": UNIVERSE,
                                     **YEAR}), 422)
    assert "position" in body


def test_factor_evaluation_job_results_plots_and_bus(client: TestClient, admin: Headers,
                                                     platform: Platform) -> None:
    seen: list[FactorsEvaluated] = []
    done = threading.Event()

    def on_message(_topic: str, msg: Any) -> None:
        seen.append(msg)
        done.set()

    sub = platform.bus.subscribe("factors.momo", on_message)
    factors = ["-ts_mean(close / delay(close, 1) - 1, 5)", "alpha158.ROC5", "style.value"]
    r = client.post(f"{FACT}/evaluations", headers=admin,
                    json={"name": "momo", "factors": factors, "instruments": UNIVERSE,
                          "horizon": 5, "decay_horizons": 3, **YEAR})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = platform.jobs.wait(job_id, timeout=180)
    assert job.state.value == "succeeded", job.error
    assert done.wait(10)
    platform.bus.unsubscribe(sub)
    assert seen[0].name == "momo" and seen[0].job_id == job_id and seen[0].state == "succeeded"

    body = client.get(f"{FACT}/evaluations/{job_id}", headers=admin).json()
    res = body["result"]
    assert body["state"] == "succeeded" and res["panel"]["n_instruments"] == len(UNIVERSE)
    assert res["panel"]["n_dates"] == len(res["dates"]) > 200
    rev = res["factors"][factors[0]]
    assert set(rev["ic"]) == {"mean", "std", "ir", "ir_annualised", "t_stat", "n", "hit_rate"}
    assert -1 < rev["rank_ic"]["mean"] < 1 and rev["ic"]["n"] > 150
    assert list(rev["quantile_mean"]) == ["q1", "q2", "q3", "q4", "q5"]
    assert rev["decay"]["horizon"] == [1, 2, 3] and 0 <= rev["turnover_top_mean"] <= 1
    assert res["factors"]["style.value"]["code"] == "missing_field"
    corr = res["correlation"]
    assert corr["factors"] == [factors[0], "alpha158.ROC5"]
    assert corr["matrix"][0][0] == 1.0 and -1 <= corr["matrix"][0][1] <= 1

    for kind in ("ic", "rank_ic", "quantiles", "decay"):
        png = client.get(f"{FACT}/evaluations/{job_id}/plots/{kind}",
                         params={"factor": "alpha158.ROC5"}, headers=admin)
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    heat = client.get(f"{FACT}/evaluations/{job_id}/plots/correlation", headers=admin)
    assert heat.headers["content-type"] == "image/png"
    html = client.get(f"{FACT}/evaluations/{job_id}/report", params={"factor": "alpha158.ROC5"},
                      headers=admin)
    assert html.status_code == 200 and html.text.count("data:image/png;base64,") == 4
    problem(client.get(f"{FACT}/evaluations/{job_id}/plots/ic",
                       params={"factor": "nosuch"}, headers=admin), 404)
    problem(client.get(f"{FACT}/evaluations/{job_id}/plots/ic",
                       params={"factor": "style.value"}, headers=admin), 422)
