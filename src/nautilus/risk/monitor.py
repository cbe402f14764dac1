"""Live risk monitoring: exposures, P&L, limit utilisation and VaR per account.

:meth:`RiskMonitor.evaluate` recomputes a :class:`RiskSnapshot` from a trading view; the engine
calls it on every fill and price update and on a timer. Each limited metric is turned into a
utilisation (value / limit) and fed to the :class:`~nautilus.risk.alerts.AlertBook`; a daily-loss
or drawdown breach fires the kill switch at once (within the event that caused it).

Conventions: money in the account currency as float in the snapshot (reporting, not ledger);
exposures are signed market values, options delta-adjusted (``delta * spot * qty *
multiplier`` with the greeks of :mod:`nautilus.risk.options`); VaR/ES positive losses from
:func:`nautilus.risk.var.parametric_var`; times int ns UTC.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal

import msgspec
import numpy as np

from nautilus.bus.base import MessageBus, message_type
from nautilus.execution.pretrade import TradingView
from nautilus.risk.alerts import Alert, AlertBook
from nautilus.risk.limits import LimitBook
from nautilus.risk.rules import EquityTracker, Snapshot
from nautilus.risk.rules.exposure import CovarianceModel
from nautilus.risk.state import TradingStates
from nautilus.risk.var import parametric_var

SNAPSHOT_TOPIC = "risk.snapshots"
HISTORY = 2_000


@message_type
class RiskSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Risk of one account at ``ts_event``; ``utilisation`` maps metric → value / limit."""

    account_id: str
    portfolio_id: str | None
    ts_event: int
    equity: float
    gross: float
    net: float
    leverage: float
    daily_pnl: float
    drawdown_pct: float
    exposures: dict[str, float]
    sectors: dict[str, str]
    var: float | None
    es: float | None
    utilisation: dict[str, float]
    state: str
    missing_prices: list[str] = []


DeltaFn = Callable[[str, float], float | None]
"""``delta(instrument_id, underlying_price)``: option delta per unit, None if not an option."""


class RiskMonitor:
    """Recomputes snapshots, raises alerts, fires the kill switch on loss breaches."""

    def __init__(self, limits: LimitBook, states: TradingStates, alerts: AlertBook,
                 equity: EquityTracker, *, bus: MessageBus | None = None,
                 on_alert: Callable[[Alert], None] | None = None) -> None:
        self.limits = limits
        self.states = states
        self.alerts = alerts
        self.equity = equity
        self.bus = bus
        self.on_alert = on_alert
        self.covariance: CovarianceModel | None = None
        self.option_delta: DeltaFn | None = None
        self.underlying_of: dict[str, str] = {}
        self.latest: dict[str, RiskSnapshot] = {}
        self.history: dict[str, deque[tuple[int, float | None, float]]] = {}

    def evaluate(self, view: TradingView) -> RiskSnapshot:
        """Recompute the account's snapshot and act on it (alerts, kill switch)."""
        now = view.now_ns()
        account = view.account_id
        snap = Snapshot(view)
        equity_d = snap.equity
        day_start, peak = self.equity.observe(account, equity_d, now)
        equity = float(equity_d)
        exposures = self._exposures(view, snap)
        gross = sum(abs(v) for v in exposures.values())
        net = sum(exposures.values())
        sectors = {i: (snap.sector_of(view, i) or "unclassified") for i in exposures}
        leverage = gross / equity if equity > 0 else float("inf") if gross else 0.0
        daily_pnl = float(equity_d - day_start)
        dd = float((peak - equity_d) / peak * 100) if peak > 0 else 0.0
        var = es = None
        if self.covariance is not None and exposures:
            w = self.covariance.vector(exposures)
            if not isinstance(w, str):
                res = parametric_var(w, self.covariance.cov,
                                     confidence=self.covariance.confidence,
                                     horizon=self.covariance.horizon)
                var, es = res.var, res.es
        util = self._utilisation(view, exposures, sectors, equity, gross, net, leverage,
                                 daily_pnl, dd, var)
        out = RiskSnapshot(
            account_id=account, portfolio_id=self.limits.portfolio_of(account), ts_event=now,
            equity=equity, gross=gross, net=net, leverage=leverage, daily_pnl=daily_pnl,
            drawdown_pct=dd, exposures=exposures, sectors=sectors, var=var, es=es,
            utilisation=util, state=self.states.effective(account).value,
            missing_prices=[snap.missing_mark] if snap.missing_mark else [])
        self.latest[account] = out
        hist = self.history.setdefault(account, deque(maxlen=HISTORY))
        hist.append((now, var, equity))
        if self.bus is not None:
            self.bus.publish(f"{SNAPSHOT_TOPIC}.{_topic_safe(account)}", out)
        return out

    def _exposures(self, view: TradingView, snap: Snapshot) -> dict[str, float]:
        out: dict[str, float] = {}
        for iid, value in snap.exposure.items():
            v = float(value)
            if self.option_delta is not None and iid in self.underlying_of:
                under = view.reference_price(self.underlying_of[iid])
                if under is not None:
                    inst = view.instrument(iid)
                    mult = float(inst.multiplier) if inst is not None else 1.0
                    delta = self.option_delta(iid, float(under[0]))
                    if delta is not None:
                        v = delta * float(under[0]) * float(snap.qty[iid]) * mult
            out[iid] = v
        return out

    def _utilisation(self, view: TradingView, exposures: dict[str, float],
                     sectors: dict[str, str], equity: float, gross: float, net: float,
                     leverage: float, daily_pnl: float, dd: float,
                     var: float | None) -> dict[str, float]:
        account = view.account_id
        lim = self.limits.account_limits(account, view.strategy_id)
        now = view.now_ns()
        metrics: list[tuple[str, float, float | Decimal | None, bool]] = [
            ("gross_exposure", gross, lim.max_gross_exposure, False),
            ("net_exposure", abs(net), lim.max_net_exposure, False),
            ("leverage", leverage, lim.max_leverage, False),
            ("daily_loss", max(-daily_pnl, 0.0), lim.max_daily_loss, True),
            ("drawdown_pct", dd, lim.max_drawdown_pct, True),
            ("var", var if var is not None else 0.0, lim.max_var, False),
        ]
        if lim.max_concentration_pct is not None and equity > 0 and exposures:
            top = max(abs(v) for v in exposures.values()) / equity * 100
            metrics.append(("concentration_pct", top, lim.max_concentration_pct, False))
        if lim.max_sector_concentration_pct is not None and equity > 0 and exposures:
            by_sector: dict[str, float] = {}
            for i, v in exposures.items():
                by_sector[sectors[i]] = by_sector.get(sectors[i], 0.0) + abs(v)
            by_sector.pop("unclassified", None)
            if by_sector:
                top = max(by_sector.values()) / equity * 100
                metrics.append(("sector_concentration_pct", top,
                                lim.max_sector_concentration_pct, False))
        util: dict[str, float] = {}
        for metric, value, limit, kills in metrics:
            if limit is None:
                continue
            lf = float(limit)
            util[metric] = value / lf
            alert = self.alerts.evaluate(account, metric, value, lf, now, critical=kills)
            if alert is not None and self.on_alert is not None:
                self.on_alert(alert)
            if kills and value >= lf:
                if self.states.effective(account).value != "halted":
                    self.states.kill(account_id=account, cancel_orders=True, ts_ns=now,
                                     reason=f"{metric} breach: {value:,.4g} >= {lf:,.4g}")
        return util

    def var_history(self, account_id: str) -> np.ndarray:
        """``(n, 3)`` array of (ts_ns, VaR or NaN, equity) for the account."""
        rows = [(t, np.nan if v is None else v, e) for t, v, e in self.history.get(account_id, ())]
        return np.array(rows, dtype=np.float64).reshape(-1, 3)


def _topic_safe(value: str) -> str:
    return value.replace(".", "_") or "_"
