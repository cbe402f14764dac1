"""Drift: input distribution shift (PSI, two-sample KS), output performance decay, alerts and
the retraining rule.

* PSI (population stability index) over ``bins`` quantile bins of the *reference* (training)
  sample: ``sum((a_i - e_i) * ln(a_i / e_i))`` with bin shares ``e`` (reference) and ``a``
  (live), each share floored at ``eps``. Rule of thumb: < 0.1 stable, 0.1-0.25 moderate,
  > 0.25 significant.
* KS: the two-sample Kolmogorov-Smirnov statistic ``sup |F_ref - F_live|`` computed here, with
  the asymptotic two-sided p-value of Smirnov's formula (the finite-n Kolmogorov
  distribution ``kstwo`` at the effective size ``round(n*m/(n+m))``, as scipy's
  ``ks_2samp(method="asymp")``).
* Performance decay: rolling hit rate and log-loss of live probabilities against realised 0/1
  outcomes, compared with the training (or out-of-sample) baseline.
* Alerts are :class:`DriftAlert` messages published on ``ml.drift.<model>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from nautilus.bus.base import message_type
from nautilus.core.config import FrozenConfig
from nautilus.core.time import NS_PER_SECOND

FloatArray = npt.NDArray[np.float64]


def psi(reference: npt.ArrayLike, live: npt.ArrayLike, bins: int = 10, eps: float = 1e-4) -> float:
    """Population stability index of ``live`` against ``reference`` (NaNs dropped)."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(live, dtype=np.float64)
    ref = ref[np.isfinite(ref)]
    cur = cur[np.isfinite(cur)]
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    a = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    e_share = np.maximum(e / ref.size, eps)
    a_share = np.maximum(a / cur.size, eps)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def ks_two_sample(reference: npt.ArrayLike, live: npt.ArrayLike) -> tuple[float, float]:
    """``(statistic, p_value)`` of the two-sided two-sample KS test (NaNs dropped)."""
    from scipy.stats import kstwo

    x = np.sort(np.asarray(reference, dtype=np.float64))
    y = np.sort(np.asarray(live, dtype=np.float64))
    x = x[np.isfinite(x)]
    y = y[np.isfinite(y)]
    grid = np.concatenate([x, y])
    fx = np.searchsorted(x, grid, side="right") / x.size
    fy = np.searchsorted(y, grid, side="right") / y.size
    d = float(np.max(np.abs(fx - fy)))
    en = x.size * y.size / (x.size + y.size)
    p = float(np.clip(kstwo.sf(d, np.round(en)), 0.0, 1.0))
    return d, p


class DriftThresholds(FrozenConfig):
    """When an input or performance change counts as drift."""

    psi: float = Field(0.25, gt=0, description="PSI at/above = drift")
    ks_pvalue: float = Field(0.01, gt=0, lt=1, description="KS p-value below = drift")
    hit_rate_drop: float = Field(0.05, ge=0, description="hit-rate fall vs baseline = decay")
    log_loss_rise: float = Field(0.05, ge=0, description="relative log-loss rise = decay")
    window: int = Field(63, ge=5, description="rolling window (rows) for live performance")


@dataclass
class DriftReport:
    """Per-feature input drift and, when outcomes are known, performance decay."""

    features: dict[str, dict[str, float]]
    drifted: list[str]
    performance: dict[str, float] = field(default_factory=dict)
    decayed: bool = False

    @property
    def any_drift(self) -> bool:
        return bool(self.drifted) or self.decayed


def input_drift(
    reference: pd.DataFrame, live: pd.DataFrame, thresholds: DriftThresholds | None = None
) -> DriftReport:
    """PSI and KS of every column of ``reference`` present in ``live``."""
    t = thresholds or DriftThresholds()
    out: dict[str, dict[str, float]] = {}
    drifted = []
    for col in reference.columns:
        if col not in live.columns:
            continue
        p = psi(reference[col], live[col])
        d, pv = ks_two_sample(reference[col], live[col])
        out[str(col)] = {"psi": p, "ks": d, "ks_pvalue": pv}
        if p >= t.psi or pv < t.ks_pvalue:
            drifted.append(str(col))
    return DriftReport(out, drifted)


def performance_decay(
    y: npt.ArrayLike, p: npt.ArrayLike, baseline: dict[str, float],
    thresholds: DriftThresholds | None = None,
) -> tuple[pd.DataFrame, dict[str, float], bool]:
    """Rolling hit rate and log-loss (nats) of live probabilities ``p`` for outcomes ``y``.

    Returns ``(rolling frame, last values with the baseline, decayed)``; decay means the last
    rolling hit rate fell more than ``hit_rate_drop`` below ``baseline["hit_rate"]`` or the
    last rolling log-loss rose more than ``log_loss_rise`` (relative) above
    ``baseline["log_loss"]``.
    """
    t = thresholds or DriftThresholds()
    yy = np.asarray(y, dtype=np.float64)
    pp = np.clip(np.asarray(p, dtype=np.float64), 1e-15, 1 - 1e-15)
    hit = ((pp >= 0.5) == (yy >= 0.5)).astype(np.float64)
    ll = -(yy * np.log(pp) + (1 - yy) * np.log(1 - pp))
    frame = pd.DataFrame({
        "hit_rate": pd.Series(hit).rolling(t.window, min_periods=t.window).mean(),
        "log_loss": pd.Series(ll).rolling(t.window, min_periods=t.window).mean(),
    })
    last = frame.iloc[-1] if len(frame) else pd.Series({"hit_rate": np.nan, "log_loss": np.nan})
    summary = {
        "hit_rate": float(last["hit_rate"]), "log_loss": float(last["log_loss"]),
        "baseline_hit_rate": float(baseline.get("hit_rate", np.nan)),
        "baseline_log_loss": float(baseline.get("log_loss", np.nan)),
    }
    decayed = bool(
        summary["hit_rate"] < summary["baseline_hit_rate"] - t.hit_rate_drop
        or summary["log_loss"] > summary["baseline_log_loss"] * (1 + t.log_loss_rise)
    )
    return frame, summary, decayed


@message_type
class DriftAlert(msgspec.Struct, frozen=True, kw_only=True):
    """Published on ``ml.drift.<model>`` when inputs drift or live performance decays."""

    model: str
    version: int
    kind: str  # "input" or "performance"
    features: list[str]
    details: dict[str, Any]
    ts_event: int


class RetrainRule(FrozenConfig):
    """Retrain when drift is seen, or when the production version is older than
    ``max_age_days`` (calendar rule); promote the challenger only if its out-of-sample
    ``metric`` beats production's by at least ``min_improvement``."""

    on_drift: bool = True
    max_age_days: float | None = Field(90.0, gt=0, description="calendar retraining period")
    metric: str = Field("log_loss", description="out-of-sample metric compared")
    higher_is_better: bool = False
    min_improvement: float = Field(0.0, ge=0)


def retrain_reason(
    rule: RetrainRule, report: DriftReport | None, trained_at_ns: int, now_ns: int
) -> str | None:
    """Why to retrain now (``"drift"`` / ``"calendar"``), or None."""
    if rule.on_drift and report is not None and report.any_drift:
        return "drift"
    if rule.max_age_days is not None:
        age_days = (now_ns - trained_at_ns) / (86_400 * NS_PER_SECOND)
        if age_days >= rule.max_age_days:
            return "calendar"
    return None


def challenger_wins(rule: RetrainRule, challenger: float, production: float) -> bool:
    """True if the challenger's out-of-sample metric beats production's by the margin."""
    if not np.isfinite(challenger):
        return False
    if not np.isfinite(production):
        return True
    if rule.higher_is_better:
        return challenger >= production + rule.min_improvement
    return challenger <= production - rule.min_improvement
