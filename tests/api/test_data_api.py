"""The market data router against a real Platform (SQLite, ArcticDB, local job runner)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from nautilus.api import create_app
from nautilus.api.routers import data as data_router
from nautilus.config import DataConfig
from nautilus.data.engine import DataEngine
from nautilus.data.sources.edgar import EdgarConfig, EdgarSource
from nautilus.data.sources.fred import FredConfig, FredSource
from nautilus.data.sources.synthetic import universe
from nautilus.platform import Platform
from tests.sources.recorded import Replay

from .conftest import Headers, api_config

MakeUser = Callable[[str], tuple[str, Headers]]
BASE = "/api/v1/data"
WEEK = {"start": "2024-06-03", "end": "2024-06-15"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    config = api_config(tmp_path_factory.mktemp("data-api"), engines=("data",),
                        data=DataConfig(sources={"synthetic": {}}))
    p = Platform(config)
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    app = create_app(platform, announce=False)
    if not any(getattr(r, "path", "").startswith(BASE) for r in app.routes):
        app.include_router(data_router.router)
    with TestClient(app) as c:
        engine = platform.engine("data")
        assert isinstance(engine, DataEngine)
        engine.register_instruments(universe(22), source="synthetic")
        yield c


def problem(r: object, status: int) -> dict[str, object]:
    from httpx import Response

    assert isinstance(r, Response)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = r.json()
    return body


def test_instrument_search_and_details(client: TestClient, admin: Headers) -> None:
    r = client.get(f"{BASE}/instruments", params={"q": "energy"}, headers=admin)
    assert r.status_code == 200
    assert [i["id"] for i in r.json()] == ["ENE01.XSYN", "ENE02.XSYN"]
    r = client.get(f"{BASE}/instruments/ENE01.XSYN", headers=admin)
    assert r.status_code == 200 and r.json()["sector"] == "Energy"
    body = problem(client.get(f"{BASE}/instruments/NOPE.XSYN", headers=admin), 404)
    assert "NOPE.XSYN" in str(body["detail"])
    assert client.get(f"{BASE}/instruments").status_code == 401


def test_bars_json_csv_arrow_and_paging(client: TestClient, admin: Headers) -> None:
    r = client.get(f"{BASE}/bars/TEC01.XSYN", params={**WEEK, "timeframe": "1d"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 10 and body["source"] == "synthetic" and body["next_start"] is None
    ts = [b["ts"] for b in body["bars"]]
    assert ts == sorted(ts) and ts[0] == pd.Timestamp("2024-06-03 16:00",
                                                      tz="America/New_York").value
    r = client.get(f"{BASE}/bars/TEC01.XSYN", params={**WEEK, "format": "csv"}, headers=admin)
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-data-source"] == "store"
    csv = pd.read_csv(io.StringIO(r.text))
    assert csv["ts"].tolist() == ts and csv["close"].tolist() == pytest.approx(
        [b["close"] for b in body["bars"]])
    r = client.get(f"{BASE}/bars/TEC01.XSYN", params={**WEEK, "format": "arrow"}, headers=admin)
    table = pa.ipc.open_stream(r.content).read_all()
    assert table.column("ts").to_pylist() == ts
    page1 = client.get(f"{BASE}/bars/TEC01.XSYN", params={**WEEK, "limit": 4},
                       headers=admin).json()
    assert page1["count"] == 4 and page1["next_start"] == ts[4]
    page2 = client.get(f"{BASE}/bars/TEC01.XSYN",
                       params={"start": str(page1["next_start"]), "end": WEEK["end"],
                               "limit": 4}, headers=admin).json()
    assert [b["ts"] for b in page2["bars"]] == ts[4:8]


def test_bad_ranges_and_unknown_symbols(client: TestClient, admin: Headers) -> None:
    body = problem(client.get(f"{BASE}/bars/TEC01.XSYN",
                              params={"start": "2024-06-15", "end": "2024-06-03"},
                              headers=admin), 422)
    assert body["code"] == "bad_range"
    body = problem(client.get(f"{BASE}/bars/TEC01.XSYN",
                              params={"start": "2000-01-01", "end": "2024-01-01",
                                      "timeframe": "1m"}, headers=admin), 422)
    assert body["code"] == "range_too_large" and body["limit"] == 500_000
    body = problem(client.get(f"{BASE}/bars/ZZZ99.XSYN", params=WEEK, headers=admin), 404)
    assert "ZZZ99.XSYN" in str(body["detail"])
    body = problem(client.get(f"{BASE}/bars/TEC01.XSYN", params={**WEEK, "source": "nosuch"},
                              headers=admin), 404)
    assert "nosuch" in str(body["detail"])
    problem(client.get(f"{BASE}/bars/TEC01.XSYN", params={"start": "junk", "end": "x"},
                       headers=admin), 422)
    body = problem(client.get(f"{BASE}/quotes/ZZZ99.XSYN", headers=admin), 404)
    assert body["code"] == "no_quote" and body["tried"]["synthetic"] == "unknown_symbol"
    body = problem(client.get(f"{BASE}/economic/CPIAUCSL", headers=admin), 404)
    assert body["code"] == "no_source"


def test_synthetic_quote_is_the_top_of_its_book(
    client: TestClient, admin: Headers, platform: Platform
) -> None:
    r = client.get(f"{BASE}/quotes/TEC01.XSYN", headers=admin)
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["source"] == "synthetic" and r.headers["x-data-source"] == "synthetic"
    assert 0 < q["bid"] < q["ask"] and q["bid_size"] > 0 and q["ask_size"] > 0
    # the book (and so the quote) is centred on the instrument's own last close, on its ticks
    src = platform.engine("data").source("synthetic")  # type: ignore[attr-defined]
    last = src.price_at("TEC01.XSYN", q["ts_init"])
    assert abs((q["bid"] + q["ask"]) / 2 - last) / last < 0.01
    assert round(q["bid"] / 0.01, 6) == round(q["bid"] / 0.01)


def test_sources_health_and_admin_toggle(client: TestClient, admin: Headers,
                                         make_user: MakeUser) -> None:
    r = client.get(f"{BASE}/sources", headers=admin)
    names = {s["name"]: s for s in r.json()}
    assert {"synthetic", "replay"} <= set(names) and names["synthetic"]["priority"] == 1
    health = client.get(f"{BASE}/sources/health", headers=admin).json()
    assert health["healthy"] and {s["source"] for s in health["sources"]} >= {"store",
                                                                             "synthetic"}
    _, viewer = make_user("viewer")
    problem(client.post(f"{BASE}/sources/synthetic/disable", headers=viewer), 403)
    r = client.post(f"{BASE}/sources/synthetic/disable", headers=admin)
    assert r.json() == {"name": "synthetic", "enabled": False}
    body = problem(client.get(f"{BASE}/bars/TEC05.XSYN", params=WEEK, headers=admin), 404)
    assert "TEC05.XSYN" in str(body["detail"])
    assert client.post(f"{BASE}/sources/synthetic/enable", headers=admin).status_code == 200
    problem(client.post(f"{BASE}/sources/nosuch/enable", headers=admin), 404)


def test_backfill_job_is_accepted_and_fills_the_store(client: TestClient, admin: Headers,
                                                      platform: Platform) -> None:
    r = client.post(f"{BASE}/backfills", headers=admin,
                    json={"instrument_id": "HLT02.XSYN", "source": "synthetic",
                          "timeframe": "1d", "start": "2023-01-01", "end": "2024-01-01",
                          "chunk_days": 120})
    assert r.status_code == 202, r.text
    job = platform.jobs.wait(r.json()["job_id"], timeout=120)
    assert job.state.value == "succeeded", job.error
    assert job.result is not None and job.result["status"] == "completed"
    assert job.result["rows"] == 260
    r = client.get(f"{BASE}/bars/HLT02.XSYN",
                   params={"start": "2023-01-01", "end": "2024-01-01", "limit": 50},
                   headers=admin)
    assert r.json()["source"] == "store" and r.json()["count"] == 50
    problem(client.post(f"{BASE}/backfills", headers=admin,
                        json={"instrument_id": "HLT02.XSYN", "source": "nosuch",
                              "start": "2023-01-01", "end": "2024-01-01"}), 404)


def test_economic_series_vintages_facts_and_filings(client: TestClient, admin: Headers,
                                                     platform: Platform) -> None:
    root = Path(__file__).parents[1] / "sources"
    fred = Replay(root / "fred" / "resources").add(
        "/fred/series/observations", "observations_gdp_vintages.json", series_id="GDP")
    edgar = (Replay(root / "edgar" / "resources")
             .add("/files/company_tickers.json", "company_tickers.json")
             .add("/api/xbrl/companyfacts/CIK0000320193.json", "companyfacts_aapl.json")
             .add("/submissions/CIK0000320193.json", "submissions_aapl.json"))
    engine = platform.engine("data")
    assert isinstance(engine, DataEngine)
    engine.add_source(FredSource(FredConfig(api_key="fredkey0123456789abcdef0123456789"),
                                 transport=fred.transport))
    engine.add_source(EdgarSource(EdgarConfig(user_agent="Nautilus tests data@example.com"),
                                  transport=edgar.transport))
    r = client.get(f"{BASE}/economic/GDP", params={"vintages": "true", "start": "2023-01-01",
                                                   "end": "2023-07-01"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 7 and body["vintages"]
    q1 = [o["value"] for o in body["observations"] if o["period_ns"] == 1672531200 * 10**9]
    assert q1 == [26529.774, 26486.287, 26529.774, 26813.601]
    latest = client.get(f"{BASE}/economic/GDP", headers=admin).json()
    assert [o["value"] for o in latest["observations"]][-2:] == [26813.601, 27063.012]
    facts = client.get(f"{BASE}/companies/AAPL/facts", headers=admin)
    assert facts.status_code == 200, facts.text
    assert facts.json() and all(f["cik"].lstrip("0") == "320193" for f in facts.json())
    filings = client.get(f"{BASE}/companies/AAPL/filings", params={"limit": 5}, headers=admin)
    assert filings.status_code == 200 and 0 < filings.json()["count"] <= 5
    sources = {s["name"] for s in client.get(f"{BASE}/sources", headers=admin).json()}
    assert {"fred", "edgar"} <= sources


def test_sample_data_through_the_platform(client: TestClient, admin: Headers,
                                          platform: Platform) -> None:
    from nautilus.data.loader import load_sample_data

    first = load_sample_data(platform, size=50, years=1, minute_weeks=0, real=False)
    assert not first["skipped"] and first["instruments"] == 50 and first["series"] == 50
    assert load_sample_data(platform, size=50, years=1, minute_weeks=0, real=False)["skipped"]
    r = client.get(f"{BASE}/instruments", params={"q": "xsyn", "limit": 50}, headers=admin)
    assert len(r.json()) == 50
    r = client.get(f"{BASE}/bars/UTL04.XSYN", params={"start": "2024-06-01", "end": "2024-07-01"},
                   headers=admin)
    assert r.json()["source"] == "store" and r.json()["count"] == 20
