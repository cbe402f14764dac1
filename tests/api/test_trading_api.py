"""Trading and backtest routes against a real Platform (SQLite, local job runner)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

import nautilus.execution.engine  # noqa: F401 - registers the execution engine
from nautilus.api import create_app
from nautilus.api.routers import backtests as backtests_router
from nautilus.api.routers import trading as trading_router
from nautilus.platform import Platform

from .conftest import Headers, api_config

MakeUser = Callable[[str], tuple[str, Headers]]
T = "/api/v1/trading"
SESSION = {
    "strategy": "ema_cross",
    "params": {"fast": 5, "slow": 20, "quantity": 10},
    "symbols": ["TEC01.XSYN"],
    "start": "2024-01-02",
    "end": "2024-01-04",
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    p = Platform(api_config(tmp_path_factory.mktemp("trading-api"), engines=("execution",)))
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[TestClient]:
    app = create_app(platform, announce=False)
    paths = {getattr(r, "path", "") for r in app.routes}
    for router, prefix in (
        (trading_router.router, T),
        (backtests_router.router, "/api/v1/backtests"),
    ):
        if not any(p.startswith(prefix) for p in paths):
            app.include_router(router)
    # routes added after create_app must come before the dashboard mount at "/"
    app.router.routes.sort(key=lambda r: isinstance(r, Mount))
    with TestClient(app) as c:
        yield c


def wait_state(client: TestClient, headers: Headers, account: str, state: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r = client.get(f"{T}/sessions/{account}", headers=headers)
        if r.json()["state"] == state:
            return
        time.sleep(0.2)
    raise AssertionError(f"session {account} never reached {state}")


def test_paper_session_orders_fills_positions_and_ownership(
    client: TestClient, make_user: MakeUser
) -> None:
    _, alice = make_user("trader")
    _, bob = make_user("trader")
    r = client.post(f"{T}/sessions", json=SESSION, headers=alice)
    assert r.status_code == 201, r.text
    account = r.json()["account_id"]
    wait_state(client, alice, account, "finished")
    orders = client.get(f"{T}/orders", params={"account_id": account}, headers=alice).json()
    fills = client.get(f"{T}/fills", params={"account_id": account}, headers=alice).json()
    assert len(orders) > 5 and len(fills) == sum(o["status"] == "filled" for o in orders)
    assert {o["account_id"] for o in orders} == {account}
    positions = client.get(f"{T}/positions", params={"account_id": account}, headers=alice).json()
    assert all(p["account_id"] == account for p in positions)
    # bob sees nothing of alice's account
    assert client.get(f"{T}/sessions/{account}", headers=bob).status_code == 404
    assert client.get(f"{T}/orders", params={"account_id": account}, headers=bob).status_code == 404
    assert client.get(f"{T}/orders", headers=bob).json() == []
    assert client.post(f"{T}/sessions/{account}/stop", headers=bob).status_code == 404


def test_manual_orders_bad_input_and_stop(
    client: TestClient, make_user: MakeUser, platform: Platform
) -> None:
    _, alice = make_user("trader")
    _, viewer = make_user("viewer")
    body = {**SESSION, "autostart": False}
    account = client.post(f"{T}/sessions", json=body, headers=alice).json()["account_id"]
    url = f"{T}/sessions/{account}/orders"
    engine = platform.engine("execution")
    oms = engine.sessions[account].session.oms  # type: ignore[attr-defined]
    for order, code in [
        ({"quantity": "nan", "price": "100.00"}, "non_finite"),
        ({"quantity": "0", "price": "100.00"}, "invalid_quantity"),
        ({"quantity": "-3", "price": "100.00"}, "invalid_quantity"),
        ({"quantity": "5", "price": "100.001"}, "invalid_increment"),
        ({"quantity": "5", "price": "-1"}, "invalid_price"),
        ({"quantity": "5", "price": "100.00", "instrument_id": "NOPE.XSYN"}, "unknown_instrument"),
        (
            {"quantity": "5", "price": "100.00", "time_in_force": "gtd", "expire_time_ns": 1},
            "expired_gtd",
        ),
    ]:
        payload = {"instrument_id": "TEC01.XSYN", "side": "buy", "order_type": "limit", **order}
        r = client.post(url, json=payload, headers=alice)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == code
    assert oms.venue_calls == 0
    assert (
        client.post(
            url,
            json={"instrument_id": "TEC01.XSYN", "side": "buy", "quantity": "1"},
            headers=viewer,
        ).status_code
        == 403
    )
    ok = client.post(
        url,
        json={
            "instrument_id": "TEC01.XSYN",
            "side": "buy",
            "order_type": "limit",
            "quantity": "5",
            "price": "1.00",
            "client_order_id": "mine-1",
        },
        headers=alice,
    )
    assert ok.status_code == 201 and ok.json()["status"] == "submitted"
    again = client.post(
        url,
        json={
            "instrument_id": "TEC01.XSYN",
            "side": "buy",
            "order_type": "limit",
            "quantity": "5",
            "price": "1.00",
            "client_order_id": "mine-1",
        },
        headers=alice,
    )
    assert again.json()["client_order_id"] == "mine-1" and oms.venue_calls == 1
    mod = client.patch(f"{url}/mine-1", json={"price": "1.50"}, headers=alice)
    assert mod.status_code == 200 and mod.json()["status"] == "pending_update"
    cancel = client.post(f"{url}/mine-1/cancel", headers=alice)
    assert cancel.status_code == 200
    stopped = client.post(f"{T}/sessions/{account}/stop", headers=alice)
    assert stopped.json()["state"] == "stopped"
    after = client.post(
        url, json={"instrument_id": "TEC01.XSYN", "side": "buy", "quantity": "1"}, headers=alice
    )
    assert after.status_code == 409 and after.json()["code"] == "session_not_running"
    assert oms.venue_calls == 3
    # restart path: restore from the store, reconcile, continue (then stop again)
    user_id = engine.account(account, None, True).owner_id  # type: ignore[attr-defined]
    summary = engine.resume(account, user_id, False)  # type: ignore[attr-defined]
    assert summary["orders_closed"] == 0 and summary["positions"] == {}
    resumed = engine.sessions[account].session.oms  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while resumed.orders.get("mine-1").status.value != "canceled":
        assert time.monotonic() < deadline, resumed.orders.get("mine-1").status
        time.sleep(0.1)
    client.post(f"{T}/sessions/{account}/stop", headers=alice)


def test_backtest_job_202_then_results(client: TestClient, make_user: MakeUser) -> None:
    _, alice = make_user("trader")
    _, bob = make_user("trader")
    body = {
        "strategy": "rsi_reversion",
        "params": {"period": 7},
        "symbols": ["TEC01.XSYN"],
        "start": "2024-01-02",
        "end": "2024-01-06",
    }
    r = client.post("/api/v1/backtests", json=body, headers=alice)
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        got = client.get(f"/api/v1/backtests/{job}", headers=alice).json()
        if got["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    assert got["state"] == "succeeded", got
    result = got["result"]
    assert result["bars"] == 4 * 390 and result["orders"] > 0
    assert "sharpe" in result["stats"] and len(result["equity_curve"]["ts"]) > 100
    orders = client.get(f"/api/v1/backtests/{job}/orders", headers=alice).json()
    assert len(orders) == min(result["orders"], 50)
    assert client.get(f"/api/v1/backtests/{job}", headers=bob).status_code == 404
    names = [s["name"] for s in client.get("/api/v1/backtests/strategies", headers=alice).json()]
    assert "pairs" in names
    bad = client.post("/api/v1/backtests", json={**body, "strategy": "nope"}, headers=alice)
    assert bad.status_code == 404
