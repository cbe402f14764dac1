"""Weekly/monthly bars and quote failover through the data router (recorded responses only)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from nautilus.api import create_app
from nautilus.api.routers import data as data_router
from nautilus.config import DataConfig
from nautilus.data.engine import DataEngine
from nautilus.data.sources.synthetic import universe
from nautilus.platform import Platform
from tests.sources.quoting import QuoteSources, recorded_quote_sources

from .conftest import Headers, api_config

BASE = "/api/v1/data"
NY = "America/New_York"


def _ny(ts: str) -> int:
    return int(pd.Timestamp(ts, tz=NY).value)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    config = api_config(
        tmp_path_factory.mktemp("data-quotes-api"),
        engines=("data",),
        data=DataConfig(sources={"synthetic": {}}),
    )
    p = Platform(config)
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def recorded() -> QuoteSources:
    return recorded_quote_sources()


@pytest.fixture(scope="module")
def client(platform: Platform, recorded: QuoteSources) -> Iterator[TestClient]:
    app = create_app(platform, announce=False)
    if not any(getattr(r, "path", "").startswith(BASE) for r in app.routes):
        app.include_router(data_router.router)
    with TestClient(app) as c:
        engine = platform.engine("data")
        assert isinstance(engine, DataEngine)
        engine.register_instruments(universe(22), source="synthetic")
        engine.add_source(recorded.yahoo)
        engine.add_source(recorded.alphavantage)
        yield c


def _problem(r: Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = r.json()
    return body


def test_weekly_and_monthly_bars(client: TestClient, admin: Headers) -> None:
    # the synthetic source fills the store with daily bars, which the weeks are built from
    r = client.get(
        f"{BASE}/bars/TEC02.XSYN",
        params={"start": "2024-03-01", "end": "2024-05-01", "timeframe": "1d"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["source"] == "synthetic"
    daily = {b["ts"]: b for b in r.json()["bars"]}
    r = client.get(
        f"{BASE}/bars/TEC02.XSYN",
        params={"start": "2024-03-18", "end": "2024-04-10", "timeframe": "1w"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timeframe"] == "1w" and body["source"] == "store"
    assert [b["ts"] for b in body["bars"]] == [
        _ny("2024-03-22 16:00"),
        _ny("2024-03-28 16:00"),
        _ny("2024-04-05 16:00"),
    ]
    week = [daily[t] for t in sorted(daily) if _ny("2024-03-25") < t <= _ny("2024-03-28 16:00")]
    assert len(week) == 4  # Good Friday has no session
    assert body["bars"][1]["volume"] == pytest.approx(sum(b["volume"] for b in week))
    assert body["bars"][1]["high"] == max(b["high"] for b in week)
    r = client.get(
        f"{BASE}/bars/TEC02.XSYN",
        params={"start": "2024-03-01", "end": "2024-05-01", "timeframe": "1mo", "format": "csv"},
        headers=admin,
    )
    assert r.status_code == 200 and r.headers["x-data-source"] == "store"
    lines = r.text.strip().splitlines()
    assert [int(line.split(",")[0]) for line in lines[1:]] == [
        _ny("2024-03-28 16:00"),
        _ny("2024-04-30 16:00"),
    ]
    _problem(
        client.get(
            f"{BASE}/bars/TEC02.XSYN",
            params={"start": "2024-03-01", "end": "2024-05-01", "timeframe": "1M"},
            headers=admin,
        ),
        422,
    )


def test_quote_failover_names_the_source(
    client: TestClient, admin: Headers, recorded: QuoteSources
) -> None:
    r = client.get(f"{BASE}/quotes/AAPL.XNAS", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "yahoo" and r.json()["bid"] == 181.18
    assert r.headers["x-data-source"] == "yahoo"
    r = client.get(f"{BASE}/quotes/IBM.XNYS", headers=admin)
    assert r.json()["source"] == "alphavantage" and r.json()["ask"] == 159.16
    assert client.post(f"{BASE}/sources/alphavantage/disable", headers=admin).status_code == 200
    try:
        body = _problem(client.get(f"{BASE}/quotes/IBM.XNYS", headers=admin), 404)
        assert body["code"] == "no_quote" and body["symbol"] == "IBM.XNYS"
        assert "IBM.XNYS" in str(body["detail"])
        assert body["tried"] == {"synthetic": "unknown_symbol", "yahoo": "unknown_symbol"}
        assert body["skipped"] == {"store": "no_quotes", "alphavantage": "disabled"}
        body = _problem(
            client.get(f"{BASE}/quotes/IBM.XNYS", params={"source": "alphavantage"}, headers=admin),
            503,
        )
        assert body["code"] == "source_disabled"
    finally:
        client.post(f"{BASE}/sources/alphavantage/enable", headers=admin)
    r = client.get(f"{BASE}/quotes/IBM.XNYS", params={"source": "alphavantage"}, headers=admin)
    assert r.json()["source"] == "alphavantage"
