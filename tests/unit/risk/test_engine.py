"""The risk engine on a real SQLite store and in-process bus: denials recorded in batches,
alerts on price events, the kill switch on a loss breach, state and limits kept across a
restart, report and CLI."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from nautilus.bus.memory import InProcessBus
from nautilus.cli import risk as risk_cli
from nautilus.cli.main import main as cli_main
from nautilus.config import PlatformConfig
from nautilus.core.engine import ENGINES, EngineContext
from nautilus.model.instrument import Instrument
from nautilus.model.orders import make_order
from nautilus.persistence.db import Database
from nautilus.risk.engine import RiskEngine
from nautilus.risk.limits import LimitScope, LimitSet
from nautilus.risk.options import OptionSpec, delta_exposure
from nautilus.risk.state import TradingState
from nautilus.security import UserDirectory
from nautilus.security.audit import list_audit

from .conftest import CountingVenue, fill, instruments, make_view, send


def build(data_dir: Path) -> tuple[RiskEngine, InProcessBus, Database]:
    config = PlatformConfig(data_dir=data_dir)
    db = Database(config.sqlalchemy_url)
    db.migrate()
    bus = InProcessBus()
    ctx = EngineContext(config=config, bus=bus, db=db, timeseries=None,  # type: ignore[arg-type]
                        jobs=None, metrics=None)  # type: ignore[arg-type]
    engine = RiskEngine(ctx)
    engine.start()
    return engine, bus, db


def test_registered_and_denials_recorded_off_the_hot_path(data_dir: Path) -> None:
    assert ENGINES.get("risk") is RiskEngine
    engine, bus, db = build(data_dir)
    try:
        seen: list[Any] = []
        bus.subscribe("risk.denials", lambda t, m: seen.append(m))
        engine.set_limits(LimitScope.ACCOUNT, "ACC-1", LimitSet(max_order_qty=D(5)), "alice")
        view = make_view()
        venue = CountingVenue()
        o = make_order(instruments()["AAPL.XNAS"], "buy", "market", 6)
        assert send(engine.gate, venue, o, view).code == "max_order_qty"
        assert venue.calls == [] and len(seen) == 1
        assert engine.repo.list_denials() == []  # not written on the pre-trade path
        assert engine.flush() == 1
        stored = engine.repo.list_denials(account_id="ACC-1")
        assert stored[0].code == "max_order_qty" and stored[0].quantity == "6"
        audit = list_audit(db, action="risk.limits.set")
        assert audit[0].actor == "alice" and audit[0].after == {"max_order_qty": "5"}
    finally:
        engine.stop()


def test_price_events_alert_and_daily_loss_kills_within_the_event(data_dir: Path) -> None:
    engine, bus, _ = build(data_dir)
    try:
        kills: list[Any] = []
        alerts: list[Any] = []
        bus.subscribe("risk.kill", lambda t, m: kills.append(m))
        bus.subscribe("risk.alerts", lambda t, m: alerts.append(m))
        view = make_view()
        fill(view, "AAPL.XNAS", "buy", 1000, "200.00")
        engine.attach(view, portfolio_id="PF")
        engine.set_limits(LimitScope.PORTFOLIO, "PF", LimitSet(max_daily_loss=D(10_000)), "a")
        engine.evaluate("ACC-1")
        view.set_price("AAPL.XNAS", "191.00")  # -9,000 = 90 % -> warning
        bus.publish("data.quotes.AAPL.XNAS", {"instrument_id": "AAPL.XNAS"})
        assert [a.severity for a in alerts] == ["warning"] and not kills
        view.set_price("AAPL.XNAS", "189.99")  # -10,010 -> breach, kill
        bus.publish("data.quotes.AAPL.XNAS", {"instrument_id": "AAPL.XNAS"})
        assert [a.severity for a in alerts] == ["warning", "critical"]
        assert len(kills) == 1 and kills[0].account_id == "ACC-1"
        assert engine.states.effective("ACC-1") is TradingState.HALTED
        engine.flush()
        assert {a.severity for a in engine.repo.list_alerts()} == {"warning", "critical"}
        assert engine.repo.load_states()["ACC-1"] == "halted"
    finally:
        engine.stop()
    engine2, _, _ = build(data_dir)  # restart: limits, portfolio and halt are restored
    try:
        assert engine2.states.effective("ACC-1") is TradingState.HALTED
        assert engine2.limits.portfolio_of("ACC-1") is None  # attach-time assignment only
        assert engine2.limits.get(LimitScope.PORTFOLIO, "PF") == LimitSet(max_daily_loss=D(10_000))
    finally:
        engine2.stop()


def test_var_stress_and_report(data_dir: Path) -> None:
    engine, _, _ = build(data_dir)
    try:
        view = make_view()
        fill(view, "AAPL.XNAS", "buy", 500, "200.00")
        fill(view, "XOM.XNYS", "sell", 300, "100.00")
        engine.attach(view)
        engine.set_covariance(["AAPL.XNAS", "XOM.XNYS"], np.array([[4e-4, 5e-5], [5e-5, 3e-4]]))
        res = engine.var("ACC-1")
        w = np.array([100_000.0, -30_000.0])
        sigma = float(np.sqrt(w @ np.array([[4e-4, 5e-5], [5e-5, 3e-4]]) @ w))
        assert res.var == pytest.approx(2.326347874 * sigma, rel=1e-8)
        mc = engine.var("ACC-1", method="monte_carlo", scenarios=50_000)
        assert mc.var == pytest.approx(res.var, rel=0.05)
        stress = engine.stress("ACC-1", ["1987_crash"])[0]
        assert stress.pnl == pytest.approx(-0.205 * 70_000)
        doc = engine.report("ACC-1")
        assert isinstance(doc, dict) and doc["totals"]["gross"] == pytest.approx(130_000.0)
        page = engine.report("ACC-1", html=True)
        assert isinstance(page, str) and page.count("data:image/png;base64,") == 3
    finally:
        engine.stop()


def test_option_positions_are_delta_adjusted(data_dir: Path) -> None:
    engine, _, _ = build(data_dir)
    try:
        view = make_view()
        opt = Instrument.create("AAPL250C.OPRA", "option", "USD", multiplier="100")
        view.add_instrument(opt)
        view.set_price(opt.id, "12.50")
        fill(view, opt.id, "buy", 3, "12.50")
        spec = OptionSpec(opt.id, "AAPL.XNAS", "call", 200.0, 90, 0.3, quantity=3)
        engine.attach(view)
        engine.register_options([spec])
        snap = engine.evaluate("ACC-1")
        assert snap.exposures[opt.id] == pytest.approx(delta_exposure(spec, 200.0), rel=1e-9)
        assert snap.exposures[opt.id] > 3 * 100 * 12.5  # delta * spot, not the premium
    finally:
        engine.stop()


def test_cli_limits_state_kill_need_admin(data_dir: Path) -> None:
    db = Database(PlatformConfig(data_dir=data_dir).sqlalchemy_url)
    db.migrate()
    users = UserDirectory(db)
    users.create("boss", "boss-password-1", "admin")
    users.create("tom", "tom-password-1", "trader")
    db.dispose()
    root = typer.Typer()
    root.callback()(cli_main)
    root.add_typer(risk_cli.app, name="risk")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(root, ["--data-dir", str(data_dir), "risk", *args])

    r = run("limits", "set", "account", "ACC-9", '{"max_order_qty": "7"}', "--as", "tom")
    assert r.exit_code != 0
    r = run("limits", "set", "account", "ACC-9", '{"max_order_qty": "7"}', "--as", "boss")
    assert r.exit_code == 0, r.output
    assert "ACC-9" in run("limits", "list").output
    r = run("kill", "--account", "ACC-9", "--as", "boss")
    assert r.exit_code == 0, r.output
    r = run("state", "--as", "boss")
    assert '"ACC-9": "halted"' in r.output
    assert run("state", "active", "--account", "ACC-9", "--as", "boss").exit_code == 0
    assert run("limits", "delete", "account", "ACC-9", "--as", "boss").exit_code == 0
