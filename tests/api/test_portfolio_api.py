"""Portfolio and analytics routers against a real Platform (SQLite, local job runner)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from nautilus.analytics.engine import AnalyticsEngine
from nautilus.api import create_app
from nautilus.api.routers import analytics as analytics_router
from nautilus.api.routers import portfolio as portfolio_router
from nautilus.config import ApiConfig, AuthConfig, PlatformConfig
from nautilus.platform import Platform
from nautilus.portfolio.engine import ORDERS_TOPIC, PortfolioEngine
from nautilus.portfolio.model import OrderIntent

from .conftest import ADMIN_PASSWORD, Headers

MakeUser = Callable[[str], tuple[str, Headers]]
P = "/api/v1/portfolio"
A = "/api/v1/analytics"
assert PortfolioEngine.name == "portfolio" and AnalyticsEngine.name == "analytics"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    config = PlatformConfig(
        data_dir=tmp_path_factory.mktemp("portfolio-api"),
        admin_password=ADMIN_PASSWORD,
        api=ApiConfig(max_body_bytes=1_000_000, max_page_size=50, serve_dashboard=False),
        auth=AuthConfig(login_max_failures=3, login_window_s=300, login_lockout_s=60),
        jobs={"max_workers": 1},  # type: ignore[arg-type]
        engines=("portfolio", "analytics"),
    )
    p = Platform(config)
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    app = create_app(platform, announce=False)
    for mod, base in ((portfolio_router, P), (analytics_router, A)):
        if not any(getattr(r, "path", "").startswith(base) for r in app.routes):
            app.include_router(mod.router)
    with TestClient(app) as c:
        yield c


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def family(client: TestClient, admin: Headers) -> dict[str, Any]:
    """A two-generation household with a trust, three accounts and booked transactions."""
    from .conftest import USER_PASSWORD, bearer, login

    r = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "advisor-pf", "password": USER_PASSWORD, "role": "trader"},
    )
    assert r.status_code == 201, r.text
    h = bearer(login(client, "advisor-pf", USER_PASSWORD)["access_token"])
    ids = {}
    for name, kind in (("Ann", "person"), ("Ben", "person"), ("Ann Trust", "trust")):
        ids[name] = ok(
            client.post(f"{P}/clients", headers=h, json={"name": name, "kind": kind}), 201
        )["id"]
    members = [
        {"client_id": ids["Ann"], "role": "grantor", "generation": 0},
        {
            "client_id": ids["Ann Trust"],
            "role": "trustee",
            "generation": 0,
            "related_to": ids["Ann"],
        },
        {"client_id": ids["Ben"], "role": "child", "generation": 1, "related_to": ids["Ann"]},
    ]
    hh = ok(
        client.post(f"{P}/households", headers=h, json={"name": "Smith", "members": members}), 201
    )
    acc = {}
    for who, typ in (("Ann", "taxable"), ("Ben", "retirement"), ("Ann Trust", "trust")):
        acc[who] = ok(
            client.post(
                f"{P}/accounts",
                headers=h,
                json={"client_id": ids[who], "name": f"{who} {typ}", "type": typ},
            ),
            201,
        )
    ok(
        client.put(
            f"{P}/securities",
            headers=h,
            json=[
                {"instrument_id": "AAA.X", "price": "50.25", "lot_size": "10", "sector": "Tech"},
                {"instrument_id": "BBB.X", "price": "20", "lot_size": "1", "sector": "Energy"},
            ],
        )
    )
    pf = {k: v["portfolio_ids"][0] for k, v in acc.items()}
    book = [
        ("Ann", {"type": "deposit", "amount": "100000", "ts": "2024-01-02"}),
        (
            "Ann",
            {
                "type": "buy",
                "instrument_id": "AAA.X",
                "quantity": "400",
                "price": "40",
                "fee": "1.5",
                "ts": "2024-01-03",
                "strategy": "core",
            },
        ),
        ("Ben", {"type": "deposit", "amount": "5000.10", "ts": "2024-01-02"}),
        (
            "Ben",
            {
                "type": "buy",
                "instrument_id": "BBB.X",
                "quantity": "100",
                "price": "15",
                "ts": "2024-01-03",
            },
        ),
        ("Ann Trust", {"type": "deposit", "amount": "2000", "ts": "2024-01-02"}),
    ]
    for who, txn in book:
        ok(client.post(f"{P}/portfolios/{pf[who]}/transactions", headers=h, json=txn), 201)
    return {"h": h, "ids": ids, "household": hh, "accounts": acc, "pf": pf}


def test_crud_and_object_level_auth(
    client: TestClient, family: dict[str, Any], make_user: MakeUser
) -> None:
    h, hh = family["h"], family["household"]
    got = ok(client.get(f"{P}/households/{hh['id']}", headers=h))
    assert {m["role"] for m in got["members"]} == {"grantor", "trustee", "child"}
    _, other = make_user("trader")
    for path in (
        f"/households/{hh['id']}",
        f"/clients/{family['ids']['Ann']}",
        f"/portfolios/{family['pf']['Ann']}/holdings",
        f"/accounts/{family['accounts']['Ann']['id']}",
        f"/households/{hh['id']}/view",
    ):
        assert problem(client.get(P + path, headers=other), 404)["status"] == 404
    assert client.get(f"{A}/households/{hh['id']}/pnl", headers=other).status_code == 404
    assert ok(client.get(f"{P}/households", headers=other)) == []
    # another user cannot put someone else's client into a household
    r = client.post(
        f"{P}/households",
        headers=other,
        json={"name": "x", "members": [{"client_id": family["ids"]["Ann"]}]},
    )
    assert problem(r, 404)["code"] == "client_not_found"
    _, viewer = make_user("viewer")
    assert problem(client.post(f"{P}/clients", headers=viewer, json={"name": "v"}), 403)
    assert problem(client.get(f"{P}/households/nosuchid", headers=h), 404)
    renamed = ok(client.patch(f"{P}/households/{hh['id']}", headers=h, json={"name": "Smiths"}))
    assert renamed["name"] == "Smiths" and len(renamed["members"]) == 3
    c = ok(client.post(f"{P}/clients", headers=h, json={"name": "Temp"}), 201)
    acc = ok(client.post(f"{P}/accounts", headers=h, json={"client_id": c["id"], "name": "t"}), 201)
    assert problem(client.delete(f"{P}/accounts/{acc['id']}", headers=other), 404)
    ok(client.delete(f"{P}/accounts/{acc['id']}", headers=h), 204)
    assert client.get(f"{P}/portfolios/{acc['portfolio_ids'][0]}", headers=h).status_code == 404
    ok(client.delete(f"{P}/clients/{c['id']}", headers=h), 204)
    assert client.get(f"{P}/clients/{c['id']}", headers=h).status_code == 404


def test_transactions_holdings_and_long_only(client: TestClient, family: dict[str, Any]) -> None:
    h, pf = family["h"], family["pf"]["Ann"]
    hold = ok(client.get(f"{P}/portfolios/{pf}/holdings", headers=h))
    assert hold["cash"] == "83998.5" and hold["positions"] == {"AAA.X": "400"}
    assert hold["lots"][0]["unit_cost"] == "40.00375"
    r = client.post(
        f"{P}/portfolios/{pf}/transactions",
        headers=h,
        json={"type": "sell", "instrument_id": "AAA.X", "quantity": "401", "price": "50"},
    )
    body = problem(r, 422)
    assert body["code"] == "negative_holding" and "AAA.X" in body["detail"]
    r = client.post(
        f"{P}/portfolios/{pf}/transactions", headers=h, json={"type": "withdrawal", "amount": "1e9"}
    )
    assert problem(r, 422)["code"] == "insufficient_cash"
    txns = ok(client.get(f"{P}/portfolios/{pf}/transactions", headers=h))
    assert [t["type"] for t in txns] == ["deposit", "buy"]


def test_consolidated_views(client: TestClient, family: dict[str, Any]) -> None:
    h = family["h"]
    view = ok(client.get(f"{P}/households/{family['household']['id']}/view", headers=h))
    ann = 83998.5 + 400 * 50.25
    ben = 3500.10 + 100 * 20
    assert view["by_client"][family["ids"]["Ann"]] == pytest.approx(ann)
    assert view["by_client"][family["ids"]["Ben"]] == pytest.approx(ben)
    assert view["total_value"] == pytest.approx(ann + ben + 2000)
    assert view["by_sector"] == pytest.approx({"Tech": 20100.0, "Energy": 2000.0})
    assert view["unrealised"] == pytest.approx(20100 - 16001.5 + 2000 - 1500)
    cv = ok(client.get(f"{P}/clients/{family['ids']['Ben']}/view", headers=h))
    assert cv["total_value"] == pytest.approx(ben)
    pnl = ok(
        client.get(
            f"{A}/households/{family['household']['id']}/pnl", params={"by": "strategy"}, headers=h
        )
    )
    assert pnl["rows"]["core"]["unrealised"] == pytest.approx(20100 - 16001.5)


def test_rebalance_preview_commit_and_bad_targets(
    client: TestClient, family: dict[str, Any], platform: Platform
) -> None:
    h, pf = family["h"], family["pf"]["Ann"]
    base = f"{P}/portfolios/{pf}/rebalance"
    r = client.post(
        f"{base}/preview",
        headers=h,
        json={"targets": [{"asset": "AAA.X", "weight": 0.5}, {"asset": "BBB.X", "weight": 0.4}]},
    )
    assert "sum to 0.9" in problem(r, 422)["detail"]
    r = client.post(
        f"{base}/preview",
        headers=h,
        json={"targets": [{"asset": "AAA.X", "weight": 0.5}, {"asset": "AAA.X", "weight": 0.5}]},
    )
    assert problem(r, 422)["detail"] == "duplicate assets: AAA.X"
    r = client.post(
        f"{base}/preview",
        headers=h,
        json={"targets": [{"asset": "AAA.X", "weight": 0.5}, {"asset": "ZZZ.X", "weight": 0.5}]},
    )
    body = problem(r, 422)
    assert body["code"] == "missing_prices" and body["instruments"] == ["ZZZ.X"]
    model = ok(
        client.post(
            f"{P}/models",
            headers=h,
            json={
                "name": "60/40",
                "weights": [{"asset": "AAA.X", "weight": 0.6}, {"asset": "BBB.X", "weight": 0.4}],
            },
        ),
        201,
    )
    plan = ok(
        client.post(
            f"{base}/preview",
            headers=h,
            json={"model_id": model["id"], "config": {"cash_buffer": 0.02, "min_trade_value": 100}},
        )
    )
    total = 83998.5 + 400 * 50.25
    assert plan["total_value"] == pytest.approx(total)
    trades = {t["instrument_id"]: t for t in plan["trades"]}
    aaa = int(total * 0.98 * 0.6 / 50.25) // 10 * 10 - 400
    assert trades["AAA.X"]["side"] == "buy" and trades["AAA.X"]["quantity"] == str(aaa)
    assert int(trades["BBB.X"]["quantity"]) == int(total * 0.98 * 0.4 / 20)
    assert plan["cash_after"] >= total * 0.02 - 1e-6
    seen: list[OrderIntent] = []
    sub = platform.bus.subscribe(ORDERS_TOPIC, lambda _t, m: seen.append(m))
    try:
        ok(client.post(f"{base}/{plan['id']}/commit", headers=h))
    finally:
        platform.bus.unsubscribe(sub)
    assert sorted((i.instrument_id, str(i.quantity)) for i in seen) == sorted(
        (t["instrument_id"], t["quantity"]) for t in plan["trades"]
    )
    assert problem(client.post(f"{base}/{plan['id']}/commit", headers=h), 409)
    ok(
        client.put(
            f"{P}/portfolios/{pf}/policy",
            headers=h,
            json={"targets": {"AAA.X": 0.6, "BBB.X": 0.4}, "default_band": 0.05},
        )
    )
    due = ok(client.get(f"{base}/due", params={"trigger": "band"}, headers=h))
    assert due == {"trigger": "band", "due": True}
    assert ok(client.get(f"{base}/due", params={"trigger": "calendar"}, headers=h))["due"] is False


def test_optimise_inline_job_and_optimiser_targets(
    client: TestClient, family: dict[str, Any], platform: Platform
) -> None:
    h = family["h"]
    inputs = {
        "assets": ["AAA.X", "BBB.X"],
        "mu": [0.08, 0.05],
        "cov": [[0.04, 0.006], [0.006, 0.01]],
    }
    res = ok(client.post(f"{P}/optimise", headers=h, json={**inputs, "optimiser": "min_variance"}))
    # two-asset minimum variance: w1 = (s2^2 - s12) / (s1^2 + s2^2 - 2 s12)
    w1 = (0.01 - 0.006) / (0.04 + 0.01 - 0.012)
    assert res["weights"]["AAA.X"] == pytest.approx(w1, abs=1e-6)
    r = client.post(f"{P}/optimise", headers=h, json={**inputs, "assets": ["AAA.X", "AAA.X"]})
    assert "AAA.X" in problem(r, 422)["detail"]
    stored = ok(client.post(f"{P}/optimisation-inputs", headers=h, json=inputs), 201)
    job = ok(
        client.post(
            f"{P}/optimise/jobs",
            headers=h,
            json={"inputs_id": stored["inputs_id"], "optimiser": "min_variance"},
        ),
        202,
    )
    rec = platform.jobs.wait(job["job_id"], timeout=60)
    assert rec.state.value == "succeeded", rec.error
    assert rec.result is not None and rec.result["weights"]["AAA.X"] == pytest.approx(w1, abs=1e-6)
    plan = ok(
        client.post(
            f"{P}/portfolios/{family['pf']['Ann']}/rebalance/preview",
            headers=h,
            json={"optimiser": "min_variance", "inputs_id": stored["inputs_id"]},
        )
    )
    assert plan["targets"]["AAA.X"] == pytest.approx(w1, abs=1e-6)


def test_goals(client: TestClient, family: dict[str, Any]) -> None:
    h, pf = family["h"], family["pf"]["Ann"]
    g = ok(
        client.post(
            f"{P}/portfolios/{pf}/goals",
            headers=h,
            json={
                "name": "retire",
                "target_amount": 200000,
                "years": 10,
                "initial_wealth": 100000,
                "annual_contribution": 2000,
            },
        ),
        201,
    )
    run = ok(
        client.post(
            f"{P}/portfolios/{pf}/goals/{g['id']}/run",
            headers=h,
            json={
                "expected_return": 0.06,
                "volatility": 0.12,
                "paths": 2000,
                "probability": 0.7,
                "glide": [
                    {"name": "low", "expected_return": 0.03, "volatility": 0.05},
                    {"name": "high", "expected_return": 0.07, "volatility": 0.15},
                ],
            },
        )
    )
    assert 0 < run["probability"] < 1 and run["required_contribution"] > 0
    assert set(run["levels"]) == {"low", "high"}
    assert problem(
        client.post(
            f"{P}/portfolios/{pf}/goals/nosuch/run",
            headers=h,
            json={"expected_return": 0.05, "volatility": 0.1},
        ),
        404,
    )


def test_analytics_endpoints(client: TestClient, family: dict[str, Any]) -> None:
    h = family["h"]
    assert ok(client.post(f"{A}/irr", headers=h, json={"amounts": [-100, 121], "times": [0, 2]}))[
        "irr"
    ] == pytest.approx(0.1, abs=1e-12)
    perf = ok(
        client.post(
            f"{A}/performance", headers=h, json={"values": [100, 110, 168], "flows": [0, 0, 50]}
        )
    )
    assert perf["twr"] == pytest.approx(1.1 * 1.05 - 1)
    b = ok(
        client.post(
            f"{A}/attribution/brinson",
            headers=h,
            json={
                "segments": ["T", "E"],
                "periods": [
                    {"wp": [0.6, 0.4], "wb": [0.5, 0.5], "rp": [0.1, 0.0], "rb": [0.08, 0.01]},
                    {"wp": [0.5, 0.5], "wb": [0.5, 0.5], "rp": [-0.02, 0.03], "rb": [0.0, 0.01]},
                ],
            },
        )
    )
    active = (1 + 0.06) * (1 + 0.005) - (1 + 0.045) * (1 + 0.005)
    assert b["effects"]["total"]["total"] == pytest.approx(active, abs=1e-14)
    r = client.post(
        f"{A}/attribution/brinson",
        headers=h,
        json={
            "segments": ["T", "E"],
            "periods": [{"wp": [0.6, 0.3], "wb": [0.5, 0.5], "rp": [0.1, 0.0], "rb": [0.08, 0.01]}],
        },
    )
    assert "portfolio weights sum to 0.9" in problem(r, 422)["detail"]
    rng = np.random.default_rng(2)
    dates = [str(d.date()) for d in __import__("pandas").bdate_range("2024-01-01", periods=90)]
    rets = rng.normal(0.0005, 0.01, 90).round(6).tolist()
    html = client.post(f"{A}/tearsheet.html", headers=h, json={"dates": dates, "returns": rets})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert len(re.findall("data:image/png;base64,", html.text)) == 4
    rep = ok(client.post(f"{A}/households/{family['household']['id']}/report", headers=h, json={}))
    assert sum(c["weight"] for c in rep["clients"].values()) == pytest.approx(1)
    eq = ok(
        client.post(
            f"{A}/execution-quality",
            headers=h,
            json={
                "orders": [
                    {
                        "order_id": "o1",
                        "instrument": "AAA.X",
                        "side": "buy",
                        "ordered_qty": 10,
                        "filled_qty": 10,
                        "avg_fill_price": 10.1,
                        "arrival_price": 10,
                    }
                ]
            },
        )
    )
    assert eq["orders"]["o1"]["slippage_arrival_bps"] == pytest.approx(100.0)
