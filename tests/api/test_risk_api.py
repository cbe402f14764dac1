"""The risk router against a real Platform (SQLite, in-process bus, risk engine)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import numpy as np
import pytest
from fastapi.testclient import TestClient

from nautilus.api import create_app
from nautilus.api.routers import risk as risk_router
from nautilus.model.events import OrderFilled, OrderSide, OrderType
from nautilus.model.instrument import Instrument
from nautilus.platform import Platform
from nautilus.risk.engine import RiskEngine
from nautilus.risk.view import InMemoryView
from nautilus.security.audit import list_audit

from .conftest import Headers, api_config

MakeUser = Callable[[str], tuple[str, Headers]]
BASE = "/api/v1/risk"
T0 = 1_735_000_000 * 1_000_000_000


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    p = Platform(api_config(tmp_path_factory.mktemp("risk-api"), engines=("risk",)))
    yield p
    if p.started:
        p.stop()


@pytest.fixture(scope="module")
def client(platform: Platform, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[TestClient]:
    # no dashboard mount at "/", so the router included below is not shadowed by it
    app = create_app(platform, announce=False,
                     dashboard_dir=tmp_path_factory.mktemp("no-dashboard") / "absent")
    if not any(getattr(r, "path", "").startswith(BASE) for r in app.routes):
        app.include_router(risk_router.router)
    with TestClient(app) as c:
        engine = platform.engine("risk")
        assert isinstance(engine, RiskEngine)
        view = InMemoryView("ACC-API", cash="1000000")
        view.clock_ns = T0
        for iid, sector, px in (("AAPL.XNAS", "Technology", "200.00"),
                                ("XOM.XNYS", "Energy", "100.00")):
            view.add_instrument(Instrument.create(iid, "equity", "USD", sector=sector))
            view.set_price(iid, px, ts_ns=T0)
        view.apply_fill(OrderFilled(
            client_order_id="C1", instrument_id="AAPL.XNAS", ts_event=T0, ts_init=T0,
            venue_order_id="V1", trade_id="T1", side=OrderSide.BUY, order_type=OrderType.MARKET,
            last_qty=Decimal(1000), last_px=Decimal("200.00"), currency="USD"))
        engine.attach(view, portfolio_id="PF-1")
        engine.set_covariance(["AAPL.XNAS", "XOM.XNYS"], np.array([[4e-4, 1e-4], [1e-4, 2e-4]]))
        yield c


def test_limits_crud_is_admin_only_and_audited(client: TestClient, admin: Headers,
                                               make_user: MakeUser, platform: Platform) -> None:
    _, trader = make_user("trader")
    body = {"max_order_qty": "100", "price_collar_bps": 50}
    assert client.put(f"{BASE}/limits/account/ACC-API", json=body,
                      headers=trader).status_code == 403
    r = client.put(f"{BASE}/limits/account/ACC-API", json=body, headers=admin)
    assert r.status_code == 200, r.text
    r = client.put(f"{BASE}/limits/account/ACC-API", json={**body, "max_order_qty": "50"},
                   headers=admin)
    assert r.status_code == 200
    listed = client.get(f"{BASE}/limits", headers=trader).json()
    assert any(x["key"] == "ACC-API" and Decimal(x["limits"]["max_order_qty"]) == 50
               for x in listed)
    audit = list_audit(platform.db, action="risk.limits.set", target="account:ACC-API")
    assert audit[0].actor == "admin" and audit[0].after["max_order_qty"] == "50"
    assert audit[0].before is not None and audit[0].before["max_order_qty"] == "100"
    r = client.put(f"{BASE}/limits/account/ACC-API", json={"unknown": 1}, headers=admin)
    assert r.status_code == 422
    assert client.delete(f"{BASE}/limits/instrument/NOPE.X", headers=admin).status_code == 404


def test_check_dry_run(client: TestClient, admin: Headers) -> None:
    client.put(f"{BASE}/limits/account/ACC-API", json={"max_order_qty": "50"}, headers=admin)
    order = {"account_id": "ACC-API", "instrument_id": "XOM.XNYS", "side": "buy",
             "quantity": "51"}
    r = client.post(f"{BASE}/check", json=order, headers=admin)
    assert r.status_code == 200 and r.json()["code"] == "max_order_qty"
    r = client.post(f"{BASE}/check", json={**order, "quantity": "50"}, headers=admin)
    assert r.json()["approved"] is True
    r = client.post(f"{BASE}/check", json={**order, "account_id": "NOPE"}, headers=admin)
    assert r.status_code == 404


def test_portfolio_risk_var_stress_and_report(client: TestClient, admin: Headers) -> None:
    r = client.get(f"{BASE}/portfolios/PF-1", headers=admin)
    assert r.status_code == 200
    acct = r.json()["accounts"][0]
    assert acct["gross"] == pytest.approx(200_000.0)
    assert acct["var"] == pytest.approx(2.3263478740 * 0.02 * 200_000, rel=1e-6)
    r = client.post(f"{BASE}/portfolios/PF-1/var", json={"method": "parametric"}, headers=admin)
    assert r.json()["var"] == pytest.approx(acct["var"])
    r = client.post(f"{BASE}/portfolios/PF-1/stress", json={"scenarios": ["1987_crash"]},
                    headers=admin)
    assert r.json()[0]["pnl"] == pytest.approx(-0.205 * 200_000)
    r = client.get(f"{BASE}/portfolios/PF-1/report", params={"format": "html"}, headers=admin)
    assert r.status_code == 200 and r.text.count("data:image/png;base64,") == 3
    assert client.get(f"{BASE}/portfolios/NOPE", headers=admin).status_code == 404


def test_state_kill_and_alerts(client: TestClient, admin: Headers, make_user: MakeUser,
                               platform: Platform) -> None:
    _, trader = make_user("trader")
    assert client.post(f"{BASE}/kill", json={}, headers=trader).status_code == 403
    seen: list[object] = []
    sub = platform.bus.subscribe("risk.kill", lambda t, m: seen.append(m))
    r = client.post(f"{BASE}/kill", json={"account_id": "ACC-API"}, headers=admin)
    assert r.json()["states"]["ACC-API"] == "halted" and len(seen) == 1
    platform.bus.unsubscribe(sub)
    order = {"account_id": "ACC-API", "instrument_id": "XOM.XNYS", "side": "buy",
             "quantity": "1"}
    assert client.post(f"{BASE}/check", json=order, headers=admin).json()["code"] == (
        "trading_halted")
    r = client.put(f"{BASE}/state", json={"state": "active", "account_id": "ACC-API"},
                   headers=admin)
    assert r.json()["states"]["ACC-API"] == "active"
    audit = list_audit(platform.db, action="risk.state.set", target="state:ACC-API")
    assert [a.after["state"] for a in audit[:2]] == ["active", "halted"]
    client.put(f"{BASE}/limits/account/ACC-API", json={"max_gross_exposure": "220000"},
               headers=admin)
    client.get(f"{BASE}/portfolios/PF-1", headers=admin)  # 200k / 220k = 91 % -> warning
    alerts = client.get(f"{BASE}/alerts", headers=trader).json()
    warn = next(a for a in alerts if a["metric"] == "gross_exposure")
    assert warn["severity"] == "warning"
    r = client.post(f"{BASE}/alerts/{warn['id']}/ack", headers=trader)
    assert r.status_code == 200 and r.json()["acknowledged_by"]
    assert client.post(f"{BASE}/alerts/{warn['id']}/ack", headers=trader).status_code == 409
