"""The risk engine: pre-trade gate, limits, trading states and kill switch, live monitoring,
VaR/ES and stress on demand, reports.

Wiring: the execution engine takes :attr:`RiskEngine.gate` as its
:class:`~nautilus.execution.pretrade.PreTradeGate` and attaches each account's
:class:`~nautilus.execution.pretrade.TradingView` with :meth:`RiskEngine.attach`. The engine
listens on the bus for prices (``config.price_pattern``) and fills (``config.fill_pattern``)
and recomputes the risk of the accounts concerned; a timer does the same every
``monitor_interval_s``. Denials, alerts and state changes are written to the relational
store in batches by a background writer (never on the pre-trade path). Topics:
``risk.denials``, ``risk.alerts``, ``risk.kill`` (Lane.CRITICAL), ``risk.state``,
``risk.snapshots.<account>``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from decimal import Decimal
from typing import Any

import numpy as np

from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.execution.pretrade import PreTradeDecision, TradingView
from nautilus.model.orders import Order
from nautilus.risk import jobs as _jobs  # noqa: F401 - registers the risk job kinds
from nautilus.risk import report as _report
from nautilus.risk.alerts import Alert, AlertBook
from nautilus.risk.config import RiskConfig
from nautilus.risk.gate import RiskGate, build_rules
from nautilus.risk.limits import Effective, LimitBook, LimitScope, LimitSet
from nautilus.risk.monitor import RiskMonitor, RiskSnapshot
from nautilus.risk.options import OptionSpec, option_greeks
from nautilus.risk.repository import RiskRepository
from nautilus.risk.rules import EquityTracker
from nautilus.risk.rules.exposure import CovarianceModel
from nautilus.risk.state import GLOBAL, STATE_TOPIC, KillCommand, TradingState, TradingStates
from nautilus.risk.stress import HISTORICAL_SCENARIOS, Exposure, StressResult, run_stress
from nautilus.risk.var import VarResult, historical_var, monte_carlo_var, parametric_var

log = logging.getLogger(__name__)


def risk_config(ctx: EngineContext) -> RiskConfig:
    cfg = getattr(ctx.config, "risk", None)
    return cfg if isinstance(cfg, RiskConfig) else RiskConfig()


@ENGINES.register("risk")
class RiskEngine(Engine):
    """Risk engine (see the module docstring)."""

    name = "risk"

    def __init__(self, ctx: EngineContext, config: RiskConfig | None = None) -> None:
        super().__init__(ctx)
        self.config = config or risk_config(ctx)
        self.repo = RiskRepository(ctx.db)
        self.limits = LimitBook()
        self.states = TradingStates(ctx.bus)
        self.equity = EquityTracker()
        settings = dict(self.config.rules) if self.config.rules is not None else {
            n: {} for n in build_rules_names()}
        if "reference_price" in settings:
            settings["reference_price"] = {"max_age_s": self.config.reference_max_age_s,
                                           **settings["reference_price"]}
        self.gate = RiskGate(self.limits, self.states, bus=ctx.bus, equity=self.equity,
                             rules=build_rules(settings, self.config.disabled_rules))
        self.alerts = AlertBook(ctx.bus, warn_at=self.config.warn_utilisation)
        self._pending_alerts: deque[Alert] = deque()
        self._pending_states: deque[tuple[str, str, str, str, str | None]] = deque()
        self.monitor = RiskMonitor(self.limits, self.states, self.alerts, self.equity,
                                   bus=ctx.bus, on_alert=self._pending_alerts.append)
        self.views: dict[str, TradingView] = {}
        self._subs: list[Any] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._write_lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        for scope, key, limits in self.repo.load_limits():
            self.limits.set(scope, key, limits)
        for account, portfolio in self.repo.load_portfolios().items():
            self.limits.assign_portfolio(account, portfolio)
        for key, state in self.repo.load_states().items():
            self.states.set(state, account_id=None if key == GLOBAL else key,
                            reason="restored", ts_ns=0)
        bus = self.ctx.bus
        self._subs = [bus.subscribe(self.config.price_pattern, self._on_market),
                      bus.subscribe(self.config.fill_pattern, self._on_market),
                      bus.subscribe(STATE_TOPIC, self._on_state)]
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._loop, args=(self.config.flush_interval_s, self.flush),
                             name="risk-writer", daemon=True),
            threading.Thread(target=self._loop, args=(self.config.monitor_interval_s,
                                                      self.evaluate_all),
                             name="risk-monitor", daemon=True),
        ]
        for t in self._threads:
            t.start()
        super().start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []
        for sub in self._subs:
            self.ctx.bus.unsubscribe(sub)
        self._subs = []
        if self.running:
            try:
                self.flush()
            except Exception:
                log.exception("final risk flush failed")
        super().stop()

    def _loop(self, interval: float, work: Any) -> None:
        while not self._stop.wait(interval):
            try:
                work()
            except Exception:
                log.exception("risk background task failed")

    def health(self) -> dict[str, Any]:
        return {"healthy": self.running, "accounts": len(self.views),
                "pending_denials": len(self.gate.pending), "dropped_denials": self.gate.dropped}

    def status(self) -> dict[str, Any]:
        return {**super().status(), "checks": self.gate.checks,
                "denials": sum(self.gate.denials.values()), "states": self.states.snapshot()}

    # -- views and bus events -----------------------------------------------------------------

    def attach(self, view: TradingView, *, portfolio_id: str | None = None) -> None:
        """Monitor ``view``'s account (and put it in ``portfolio_id`` if given)."""
        self.views[view.account_id] = view
        if portfolio_id is not None:
            self.limits.assign_portfolio(view.account_id, portfolio_id)

    def detach(self, account_id: str) -> None:
        self.views.pop(account_id, None)

    def view(self, account_id: str) -> TradingView:
        try:
            return self.views[account_id]
        except KeyError:
            raise NotFoundError(f"account {account_id!r} is not attached to the risk engine",
                                code="unknown_account") from None

    def _on_market(self, topic: str, msg: Any) -> None:
        iid = getattr(msg, "instrument_id", None)
        if iid is None and isinstance(msg, dict):
            iid = msg.get("instrument_id")
        for view in list(self.views.values()):
            if iid is None or any(p.instrument_id == iid for p in view.positions()):
                self.evaluate(view.account_id)

    def _on_state(self, topic: str, msg: Any) -> None:
        key = getattr(msg, "account_id", None) or GLOBAL
        self._pending_states.append((key, msg.new, msg.reason, msg.actor, msg.old))

    # -- pre-trade ----------------------------------------------------------------------------

    def check(self, order: Order, account_id: str, *, quantity: Decimal | None = None,
              price: Decimal | None = None, modify: bool = False) -> PreTradeDecision:
        """Dry run of the gate against an attached account (no tokens spent, nothing stored)."""
        return self.gate.dry_run(order, self.view(account_id), quantity=quantity, price=price,
                                 modify=modify)

    # -- limits -------------------------------------------------------------------------------

    def set_limits(self, scope: LimitScope | str, key: str, limits: LimitSet,
                   actor: str) -> LimitSet | None:
        """Set a scope's limits (audited: actor, time, old, new); returns the previous set."""
        sc = LimitScope(scope)
        with self._write_lock:
            self.repo.save_limits(sc, key, limits, actor)
            return self.limits.set(sc, key, limits)

    def delete_limits(self, scope: LimitScope | str, key: str, actor: str) -> None:
        sc = LimitScope(scope)
        with self._write_lock:
            self.repo.delete_limits(sc, key, actor)
            self.limits.delete(sc, key)

    def list_limits(self) -> list[tuple[LimitScope, str, LimitSet]]:
        return self.limits.items()

    def effective_limits(self, account_id: str, strategy_id: str | None,
                         instrument_id: str) -> Effective:
        return self.limits.resolve(account_id, strategy_id, instrument_id)

    def assign_portfolio(self, account_id: str, portfolio_id: str | None, actor: str) -> None:
        with self._write_lock:
            self.repo.save_portfolio(account_id, portfolio_id, actor)
            self.limits.assign_portfolio(account_id, portfolio_id)

    def set_covariance(self, instruments: list[str], cov: Any, *, confidence: float = 0.99,
                       horizon: int = 1) -> CovarianceModel:
        """Supply the return covariance used by the VaR limit and VaR monitoring."""
        model = CovarianceModel(instruments, cov, confidence=confidence, horizon=horizon)
        self.gate.set_covariance(model)
        self.monitor.covariance = model
        return model

    def register_options(self, specs: list[OptionSpec]) -> None:
        """Report these option positions delta-adjusted (``delta * spot * qty * multiplier``,
        greeks from QuantLib at the underlying's reference price)."""
        by_id = {s.instrument_id: s for s in specs}
        for spec in specs:
            self.monitor.underlying_of[spec.instrument_id] = spec.underlying_id

        def delta(instrument_id: str, spot: float) -> float | None:
            spec = by_id.get(instrument_id)
            if spec is None:
                return None
            return option_greeks(spot, spec.strike, spec.days, spec.vol, kind=spec.kind,
                                 style=spec.style, rate=spec.rate,
                                 dividend=spec.dividend).delta

        self.monitor.option_delta = delta

    # -- trading state and kill switch --------------------------------------------------------

    def set_state(self, state: TradingState | str, *, account_id: str | None = None,
                  actor: str, reason: str = "") -> TradingState:
        """Set the platform (or an account) to ACTIVE / REDUCING / HALTED; returns the old."""
        return self.states.set(state, account_id=account_id, reason=reason, actor=actor,
                               ts_ns=self._now(account_id))

    def kill(self, *, account_id: str | None = None, cancel_orders: bool = True, actor: str,
             reason: str = "kill switch") -> KillCommand:
        """Halt and publish the kill command on ``risk.kill`` (Lane.CRITICAL)."""
        return self.states.kill(account_id=account_id, cancel_orders=cancel_orders,
                                reason=reason, actor=actor, ts_ns=self._now(account_id))

    def _now(self, account_id: str | None) -> int:
        from nautilus.core.time import now_ns

        view = self.views.get(account_id or "")
        return view.now_ns() if view is not None else now_ns()

    # -- monitoring ---------------------------------------------------------------------------

    def evaluate(self, account_id: str) -> RiskSnapshot:
        return self.monitor.evaluate(self.view(account_id))

    def evaluate_all(self) -> list[RiskSnapshot]:
        return [self.monitor.evaluate(v) for v in list(self.views.values())]

    def portfolio_snapshots(self, portfolio_id: str) -> list[RiskSnapshot]:
        """Fresh snapshots of the attached accounts of ``portfolio_id`` (or of the account with
        that id when no portfolio has the name)."""
        accounts = [a for a in self.limits.accounts_of(portfolio_id) if a in self.views]
        if not accounts and portfolio_id in self.views:
            accounts = [portfolio_id]
        if not accounts:
            raise NotFoundError(f"no attached account in portfolio {portfolio_id!r}",
                                code="unknown_portfolio")
        return [self.evaluate(a) for a in accounts]

    def portfolio_exposures(self, portfolio_id: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for snap in self.portfolio_snapshots(portfolio_id):
            for i, v in snap.exposures.items():
                out[i] = out.get(i, 0.0) + v
        return out

    # -- VaR and stress on demand -------------------------------------------------------------

    def var(self, portfolio_id: str, *, method: str = "parametric", confidence: float = 0.99,
            horizon: int = 1, scenarios: int = 20_000, returns: Any = None,
            seed: int = 0) -> VarResult:
        """VaR/ES of a portfolio's current exposures (covariance from :meth:`set_covariance`;
        ``returns`` (periods × instruments of the model) for historical VaR)."""
        model = self.monitor.covariance
        if model is None:
            raise ValidationError("no covariance model supplied", code="var_unavailable")
        w = model.vector(self.portfolio_exposures(portfolio_id))
        if isinstance(w, str):
            raise ValidationError(f"{w} is not in the covariance model",
                                  code="var_unknown_instrument")
        if method == "parametric":
            return parametric_var(w, model.cov, confidence=confidence, horizon=horizon)
        if method == "monte_carlo":
            if scenarios > self.config.mc_job_threshold:
                raise ValidationError(f"{scenarios} scenarios: submit a risk.var job",
                                      code="use_job", threshold=self.config.mc_job_threshold)
            return monte_carlo_var(w, model.cov, confidence=confidence, horizon=horizon,
                                   scenarios=scenarios, seed=seed, threads=1)
        if method == "historical":
            if returns is None:
                raise ValidationError("historical VaR needs returns", code="missing_returns")
            return historical_var(w, returns, confidence=confidence, horizon=horizon)
        raise ValidationError(f"unknown VaR method {method!r}", code="unknown_method")

    def var_job_params(self, portfolio_id: str, *, confidence: float, horizon: int,
                       scenarios: int, seed: int = 0) -> dict[str, Any]:
        """Params of a ``risk.var`` job for the portfolio's current exposures."""
        model = self.monitor.covariance
        if model is None:
            raise ValidationError("no covariance model supplied", code="var_unavailable")
        w = model.vector(self.portfolio_exposures(portfolio_id))
        if isinstance(w, str):
            raise ValidationError(f"{w} is not in the covariance model",
                                  code="var_unknown_instrument")
        return {"instruments": model.instruments, "exposures": np.asarray(w).tolist(),
                "cov": model.cov.tolist(), "confidence": confidence, "horizon": horizon,
                "scenarios": scenarios, "seed": seed}

    def stress(self, portfolio_id: str, scenarios: list[str] | None = None,
               betas: dict[str, float] | None = None) -> list[StressResult]:
        """Run historical scenarios (``risk.stress``) on the portfolio's exposures."""
        snaps = self.portfolio_snapshots(portfolio_id)
        exposures = [Exposure(instrument_id=i, value=v, sector=s.sectors.get(i),
                              beta=(betas or {}).get(i, 1.0))
                     for s in snaps for i, v in s.exposures.items()]
        names = scenarios or sorted(HISTORICAL_SCENARIOS)
        unknown = [n for n in names if n not in HISTORICAL_SCENARIOS]
        if unknown:
            raise NotFoundError(f"unknown scenarios {unknown} (known: "
                                f"{', '.join(sorted(HISTORICAL_SCENARIOS))})",
                                code="unknown_scenario")
        return [run_stress(exposures, HISTORICAL_SCENARIOS[n]) for n in names]

    def report(self, portfolio_id: str, *, html: bool = False) -> dict[str, Any] | str:
        """The portfolio's risk report: JSON dict, or an HTML page with embedded plots."""
        snaps = self.portfolio_snapshots(portfolio_id)
        hist = {s.account_id: self.monitor.var_history(s.account_id) for s in snaps}
        if html:
            return _report.report_html(portfolio_id, snaps, hist)
        return _report.report_json(portfolio_id, snaps, hist)

    # -- alerts, denials, persistence ---------------------------------------------------------

    def list_alerts(self, **kw: Any) -> list[Alert]:
        self.flush()
        return self.repo.list_alerts(**kw)

    def acknowledge(self, alert_id: str, actor: str) -> Alert:
        self.flush()
        return self.repo.acknowledge(alert_id, actor)

    def flush(self) -> int:
        """Write queued denials, alerts and state changes; returns the rows written."""
        with self._write_lock:
            denials = self.gate.drain()
            n = self.repo.write_denials(denials)
            alerts = []
            while self._pending_alerts:
                alerts.append(self._pending_alerts.popleft())
            self.repo.save_alerts(alerts)
            n += len(alerts)
            while self._pending_states:
                key, state, reason, actor, old = self._pending_states.popleft()
                self.repo.save_state(key, state, reason=reason, actor=actor, before=old)
                n += 1
        return n


def build_rules_names() -> list[str]:
    from nautilus.risk.rules import RISK_RULES

    return RISK_RULES.names()
