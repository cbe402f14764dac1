"""Limit utilisation alerts: warnings at a configurable utilisation (default 80 %), breaches
at 100 %, each with a severity, published on ``risk.alerts`` and kept with acknowledgement.

Utilisation is ``value / limit`` (a ratio, 1.0 = at the limit). An alert is raised when a
metric's level rises (ok → warning → breach); a metric that falls back below the warning
level re-arms, so a steady state does not flood the store. Times are int ns UTC.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from nautilus.bus.base import Lane, MessageBus, message_type
from nautilus.core.ids import new_id

ALERTS_TOPIC = "risk.alerts"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    BREACH = "breach"
    CRITICAL = "critical"


_LEVEL = {Severity.INFO: 0, Severity.WARNING: 1, Severity.BREACH: 2, Severity.CRITICAL: 3}


@message_type
class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """One alert; ``limit`` and ``value`` in the metric's unit (currency, %, ratio)."""

    id: str
    ts_event: int
    account_id: str
    metric: str
    severity: str
    value: float
    limit: float
    utilisation: float
    message: str
    acknowledged_by: str | None = None


class AlertBook:
    """Turns utilisations into alerts with hysteresis; publishes and hands them to a sink."""

    def __init__(self, bus: MessageBus | None = None, *, warn_at: float = 0.8) -> None:
        if not 0.0 < warn_at < 1.0:
            raise ValueError("warn_at must be in (0, 1)")
        self.bus = bus
        self.warn_at = warn_at
        self._level: dict[tuple[str, str], int] = {}
        self.recent: list[Alert] = []

    def level_of(self, utilisation: float) -> Severity | None:
        if utilisation >= 1.0:
            return Severity.BREACH
        if utilisation >= self.warn_at:
            return Severity.WARNING
        return None

    def evaluate(self, account_id: str, metric: str, value: float, limit: float,
                 ts_ns: int, *, critical: bool = False) -> Alert | None:
        """An alert if ``metric``'s level rose since the last evaluation, else ``None``."""
        util = value / limit if limit > 0 else 0.0
        sev = self.level_of(util)
        key = (account_id, metric)
        level = _LEVEL[sev] if sev is not None else 0
        prev = self._level.get(key, 0)
        self._level[key] = level
        if sev is None or level <= prev:
            return None
        if critical and sev is Severity.BREACH:
            sev = Severity.CRITICAL
        word = "breached" if util >= 1.0 else "at"
        msg = f"{metric} {word} {util:.0%} of its limit ({value:,.4g} / {limit:,.4g})"
        return self.raise_alert(account_id, metric, sev, value, limit, util, msg, ts_ns)

    def raise_alert(self, account_id: str, metric: str, severity: Severity, value: float,
                    limit: float, utilisation: float, message: str, ts_ns: int) -> Alert:
        alert = Alert(id=new_id("AL-"), ts_event=ts_ns, account_id=account_id, metric=metric,
                      severity=severity.value, value=value, limit=limit,
                      utilisation=utilisation, message=message)
        self.recent.append(alert)
        if len(self.recent) > 1000:
            del self.recent[:500]
        if self.bus is not None:
            lane = Lane.CRITICAL if severity is Severity.CRITICAL else Lane.HIGH
            self.bus.publish(ALERTS_TOPIC, alert, lane=lane)
        return alert
