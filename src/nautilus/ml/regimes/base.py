"""The six named market regimes and the documented rules that name a regime.

A regime is named from three numbers, the same way for an HMM state and for a rolling window:

* ``drift_ann`` -- mean log return per bar times 252 (annualised trend, signed),
* ``vol_pct``   -- where the volatility sits in its own history, a fraction in [0, 1]
  (0.9 = higher than 90 % of past values),
* ``dd``        -- drawdown depth, close over running maximum minus one (<= 0).

Rules, in order (first match wins):

1. ``crisis`` -- ``dd <= crisis_drawdown`` (-20 %) and ``vol_pct >= crisis_vol_pct`` (0.8);
2. ``sideways/range`` -- ``|drift_ann| < sideways_drift`` (5 % a year) and
   ``vol_pct < volatile_pct``;
3. ``bull``/``bear`` -- by the sign of ``drift_ann``; ``/volatile`` when
   ``vol_pct >= volatile_pct`` (0.5, the median), else ``/quiet``.

>>> name_regime(0.20, 0.3, -0.01)
'bull/quiet'
>>> name_regime(-0.40, 0.95, -0.35)
'crisis'
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pydantic import Field

from nautilus.core.config import FrozenConfig

REGIMES: tuple[str, ...] = (
    "bull/quiet",
    "bull/volatile",
    "bear/quiet",
    "bear/volatile",
    "sideways/range",
    "crisis",
)
"""Regime names; a regime's code is its position in this tuple."""

BULL_QUIET, BULL_VOLATILE, BEAR_QUIET, BEAR_VOLATILE, SIDEWAYS, CRISIS = range(6)


class RegimeThresholds(FrozenConfig):
    """Thresholds of the naming rules (see the module docstring)."""

    sideways_drift: float = Field(0.05, ge=0, description="|annualised drift| below = sideways")
    volatile_pct: float = Field(0.5, gt=0, lt=1, description="vol percentile at/above = volatile")
    crisis_vol_pct: float = Field(0.8, gt=0, lt=1, description="vol percentile for crisis")
    crisis_drawdown: float = Field(-0.2, lt=0, description="drawdown at/below for crisis")


def name_regimes(
    drift_ann: npt.ArrayLike, vol_pct: npt.ArrayLike, dd: npt.ArrayLike,
    thresholds: RegimeThresholds | None = None,
) -> npt.NDArray[np.int64]:
    """Vectorised naming rule: regime codes (index into :data:`REGIMES`), -1 where any input
    is NaN."""
    t = thresholds or RegimeThresholds()
    d = np.asarray(drift_ann, dtype=np.float64)
    v = np.asarray(vol_pct, dtype=np.float64)
    w = np.asarray(dd, dtype=np.float64)
    volatile = v >= t.volatile_pct
    code = np.where(d >= 0, np.where(volatile, BULL_VOLATILE, BULL_QUIET),
                    np.where(volatile, BEAR_VOLATILE, BEAR_QUIET))
    code = np.where((np.abs(d) < t.sideways_drift) & ~volatile, SIDEWAYS, code)
    code = np.where((w <= t.crisis_drawdown) & (v >= t.crisis_vol_pct), CRISIS, code)
    bad = ~(np.isfinite(d) & np.isfinite(v) & np.isfinite(w))
    return np.where(bad, -1, code).astype(np.int64)


def name_regime(
    drift_ann: float, vol_pct: float, dd: float, thresholds: RegimeThresholds | None = None
) -> str:
    """Scalar form of :func:`name_regimes`, returning the name."""
    code = int(name_regimes([drift_ann], [vol_pct], [dd], thresholds)[0])
    return REGIMES[code] if code >= 0 else "unknown"
