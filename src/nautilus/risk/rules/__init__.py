"""Pre-trade rules as plug-ins in :data:`RISK_RULES`; importing this package registers the
built-in families (admission, order, position, exposure, loss, balance, throttle)."""

from __future__ import annotations

from nautilus.risk.rules import admission, balance, exposure, loss, order, position, throttle
from nautilus.risk.rules.base import RISK_RULES, CheckContext, RiskRule, RuleConfig, Snapshot
from nautilus.risk.rules.exposure import CovarianceModel
from nautilus.risk.rules.loss import EquityTracker

__all__ = [
    "RISK_RULES",
    "CheckContext",
    "CovarianceModel",
    "EquityTracker",
    "RiskRule",
    "RuleConfig",
    "Snapshot",
    "admission",
    "balance",
    "exposure",
    "loss",
    "order",
    "position",
    "throttle",
]
