"""The dashboard in headless Chromium against a real server with the demo sample data."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_INSTRUMENT, Server, logged_in, login, shot

PAGES = ["markets", "trading", "risk", "portfolio", "research", "data", "strategies"]
API_OF_PAGE = {
    "trading": "/api/v1/trading",
    "risk": "/api/v1/risk",
    "portfolio": "/api/v1/portfolio",
    "strategies": "/api/v1/backtests/strategies",
    "data": "/api/v1/data",
    "research": "/api/v1/jobs",
}


def _has(paths: set[str], prefix: str) -> bool:
    return any(p == prefix or p.startswith(prefix + "/") for p in paths)


def test_login_error_is_shown(page: Any, server: Server) -> None:
    login(page, server, password="wrong-password")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "invalid" in alert.inner_text().lower() or "password" in alert.inner_text().lower()
    shot(page, "login-error")


def test_login_then_chart_with_live_bar(page: Any, server: Server) -> None:
    if not _has(server.paths(), "/api/v1/data"):
        pytest.skip("the server has no data API")
    page.goto(server.url + "/")
    shot(page, "login")
    logged_in(page, server)
    page.get_by_label("Search instruments").fill(LIVE_INSTRUMENT.split(".")[0])
    page.get_by_role("button", name=LIVE_INSTRUMENT).click()
    page.get_by_label("Timeframe").select_option("1m")
    expect(page.get_by_test_id("history-summary")).to_have_text(
        re.compile(r"^[1-9]\d* bars"), timeout=60_000
    )
    expect(
        page.get_by_role("img", name=re.compile(f"Candlestick chart of {LIVE_INSTRUMENT}, 1m"))
    ).to_be_visible()
    # A bar from the server's test feed reaches the chart over /ws within a few seconds.
    live = page.get_by_test_id("live-status")
    expect(live).to_have_attribute("data-count", re.compile(r"^([2-9]|\d\d+)$"), timeout=30_000)
    text = live.inner_text()
    assert ": open" in text and "last close" in text, text
    if _has(server.paths(), "/api/v1/features/values"):
        # An indicator from the registry, computed by the server, overlays the candles.
        page.get_by_label("Indicator", exact=True).select_option("sma")
        page.get_by_role("button", name="Add indicator").click()
        expect(page.get_by_role("button", name=re.compile(r"^Remove sma\("))).to_be_visible()
    shot(page, "markets")
    assert page.errors == []


def test_every_page_renders(page: Any, server: Server) -> None:
    paths = server.paths()
    logged_in(page, server)
    for name in PAGES:
        page.goto(f"{server.url}/#/{name}")
        page.get_by_role("heading", level=1, name=name.capitalize()).wait_for()
        api = API_OF_PAGE.get(name)
        if api and not _has(paths, api):
            # An engine without an API shows that plainly, never made-up numbers.
            page.get_by_text("not available yet").first.wait_for()
        page.wait_for_timeout(800)
        shot(page, f"page-{name}")
    assert page.errors == []


def test_data_page_lists_sources_with_health(page: Any, server: Server) -> None:
    if not _has(server.paths(), "/api/v1/data/sources"):
        pytest.skip("the server has no data sources API")
    logged_in(page, server)
    page.goto(f"{server.url}/#/data")
    table = page.get_by_role("region", name="Configured data sources")
    table.get_by_text("synthetic").first.wait_for()
    assert "healthy" in table.inner_text()


def test_research_sweep_runs_to_a_result(page: Any, server: Server) -> None:
    kinds = server.api("GET", "/api/v1/jobs/kinds").json()
    if not any(k["name"] == "backtest.sweep" for k in kinds):
        pytest.skip("no backtest.sweep job kind")
    logged_in(page, server)
    page.goto(f"{server.url}/#/research")
    page.get_by_label("Job kind").select_option("backtest.sweep")
    page.get_by_role("button", name="Start backtest.sweep").click()
    state = page.get_by_test_id("job-state")
    expect(state).to_have_text(re.compile("succeeded|failed"), timeout=120_000)
    assert state.inner_text() == "succeeded", page.get_by_role("alert").all_inner_texts()
    page.get_by_test_id("job-result").wait_for()
    assert page.get_by_role("region", name="Metrics").is_visible()
    shot(page, "research-sweep-result")


def test_paper_order_reaches_the_blotter(page: Any, server: Server) -> None:
    if not _has(server.paths(), "/api/v1/trading"):
        pytest.skip("the server has no trading API yet (/api/v1/trading)")
    logged_in(page, server)
    page.goto(f"{server.url}/#/trading")
    page.get_by_role("button", name="New paper session").click()
    # Replay at 60x so that the session is still running when the order arrives.
    page.get_by_label("Speed").fill("60")
    page.get_by_role("button", name="Start session").click()
    page.get_by_label("Quantity").wait_for()
    page.get_by_label("Quantity").fill("5")
    page.get_by_role("button", name="Submit order").click()
    status = page.get_by_role("status").filter(has_text="Submitted")
    status.wait_for()
    order_id = status.inner_text().split()[1]
    page.get_by_role("region", name="Orders").get_by_text(order_id).wait_for()
    shot(page, "trading-blotter")
    assert page.errors == []


def _raise_risk_alert(server: Server, paths: set[str]) -> bool:
    """Breach a position limit through the trading and risk APIs; True when an alert appears."""
    if not _has(paths, "/api/v1/trading/sessions"):
        return False
    r = server.api("POST", "/api/v1/trading/sessions", json={"speed": 60})
    if r.status_code != 201:
        return False
    account = r.json()["account_id"]
    # Open a position first (no limits yet), then lower the limit below it: the monitor
    # reports the breach on its next evaluation (price update or timer).
    server.api(
        "POST",
        f"/api/v1/trading/sessions/{account}/orders",
        json={"instrument_id": "TEC01.XSYN", "side": "buy", "quantity": "5"},
    )
    for _ in range(40):
        held = server.api("GET", "/api/v1/trading/positions", params={"account_id": account})
        if held.status_code == 200 and held.json():
            break
        time.sleep(0.5)
    else:
        return False
    server.api(
        "PUT", f"/api/v1/risk/limits/account/{account}", json={"max_gross_exposure": "1"}
    ).raise_for_status()
    for _ in range(40):
        if server.api("GET", "/api/v1/risk/alerts", params={"unacknowledged": True}).json():
            return True
        time.sleep(0.5)
    return False


def test_risk_alert_is_acknowledged(page: Any, server: Server) -> None:
    paths = server.paths()
    if not _has(paths, "/api/v1/risk/alerts"):
        pytest.skip("the server has no risk API yet (/api/v1/risk)")
    open_alerts = server.api("GET", "/api/v1/risk/alerts", params={"unacknowledged": True}).json()
    if not open_alerts:
        assert _raise_risk_alert(server, paths), "a gross exposure over its limit raised no alert"
    count = len(server.api("GET", "/api/v1/risk/alerts", params={"unacknowledged": True}).json())
    logged_in(page, server)
    page.goto(f"{server.url}/#/risk")
    page.get_by_label("Only unacknowledged").check()
    buttons = page.get_by_role("button", name=re.compile("^Acknowledge alert"))
    expect(buttons).to_have_count(count)
    buttons.first.click()
    expect(buttons).to_have_count(count - 1)
    shot(page, "risk-alert-acknowledged")


def test_phone_width_theme_and_keyboard(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    try:
        logged_in(pg, server)
        nav = pg.locator("nav#nav")
        toggle = pg.get_by_role("button", name="Menu")
        assert not nav.is_visible()
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true" and nav.is_visible()
        shot(pg, "phone-nav-open")
        pg.get_by_role("link", name="Data").click()
        assert not nav.is_visible()
        # The theme toggle is persisted across a reload.
        before = pg.evaluate("document.documentElement.dataset.theme")
        pg.get_by_role("button", name="Switch to").click()
        pg.reload()
        pg.get_by_role("button", name="Log out").wait_for()
        after = pg.evaluate("document.documentElement.dataset.theme")
        assert {before, after} == {"dark", "light"}
        shot(pg, f"phone-data-{after}")
        # The first Tab reaches the skip link.
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.textContent") == "Skip to content"
    finally:
        context.close()
