"""A transparent rule-based regime detector: the baseline the HMM is compared against.

At each bar ``t``, using bars up to ``t`` only (causal):

* ``drift_ann`` = mean log return over the last ``trend_window`` bars x 252,
* ``vol`` = standard deviation of log returns over the last ``vol_window`` bars,
* ``vol_pct`` = expanding percentile rank of ``vol`` among its own values up to ``t``,
* ``dd`` = close over its running maximum minus one,

then the naming rules of :mod:`nautilus.ml.regimes.base`. Rows before both windows are full
(and before ``min_history`` vol values exist) get code -1 / NaN probabilities.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.errors import ValidationError
from nautilus.ml.base import MODELS, FloatArray, Model, ModelConfig
from nautilus.ml.dataset import TRADING_DAYS, Dataset, drawdown, log_returns
from nautilus.ml.regimes.base import REGIMES, RegimeThresholds, name_regimes


class RuleRegimeConfig(ModelConfig):
    """Windows (bars) and thresholds of the rule-based detector."""

    trend_window: int = Field(63, ge=5, le=1000)
    vol_window: int = Field(21, ge=5, le=1000)
    min_history: int = Field(63, ge=1, description="vol values needed before a percentile")
    thresholds: RegimeThresholds = RegimeThresholds()


def rule_indicators(close: FloatArray, cfg: RuleRegimeConfig) -> pd.DataFrame:
    """The three causal inputs of the rules per bar: ``drift_ann``, ``vol_pct``, ``dd``."""
    r = pd.Series(log_returns(close))
    drift = r.rolling(cfg.trend_window, min_periods=cfg.trend_window).mean() * TRADING_DAYS
    vol = r.rolling(cfg.vol_window, min_periods=cfg.vol_window).std()
    # rank among values up to and including t: causal percentile of the current vol
    pct = vol.expanding(min_periods=cfg.min_history).rank(pct=True)
    return pd.DataFrame(
        {"drift_ann": drift.to_numpy(), "vol_pct": pct.to_numpy(), "dd": drawdown(close)}
    )


@MODELS.register("regime.rules", config=RuleRegimeConfig, tags=("regime",))
class RuleRegimeDetector(Model):
    """Rolling trend, volatility percentile and drawdown mapped to the six regimes."""

    config_class: ClassVar[type[ModelConfig]] = RuleRegimeConfig
    config: RuleRegimeConfig

    @property
    def min_rows(self) -> int:  # type: ignore[override]
        return max(self.config.trend_window, self.config.vol_window) + self.config.min_history

    def _close(self, dataset: Dataset) -> FloatArray:
        if dataset.close is None:
            raise ValidationError("regime.rules needs close prices", code="missing_close")
        return np.asarray(dataset.close, dtype=np.float64)

    def fit(self, dataset: Dataset) -> RuleRegimeDetector:
        """Nothing to estimate; checks the length and records the regime frequencies."""
        close = self._close(dataset)
        if close.shape[0] < self.min_rows:
            raise ValidationError(
                f"regime.rules: too little data: {close.shape[0]} bars, at least "
                f"{self.min_rows} needed", code="too_little_data",
            )
        codes = self.codes(close)
        valid = codes[codes >= 0]
        self.train_metrics = {
            f"share_{REGIMES[k]}": float(np.mean(valid == k)) for k in range(len(REGIMES))
        }
        return self

    def codes(self, close: FloatArray) -> np.ndarray:
        """Regime code per bar (-1 during warm-up)."""
        ind = rule_indicators(close, self.config)
        return name_regimes(ind["drift_ann"], ind["vol_pct"], ind["dd"], self.config.thresholds)

    def regime_proba(self, dataset: Dataset) -> pd.DataFrame:
        """One-hot regime per bar (NaN rows during warm-up); columns :data:`REGIMES`."""
        codes = self.codes(self._close(dataset))
        out = np.zeros((codes.shape[0], len(REGIMES)))
        ok = codes >= 0
        out[np.flatnonzero(ok), codes[ok]] = 1.0
        out[~ok] = np.nan
        return pd.DataFrame(out, columns=list(REGIMES), index=pd.Index(dataset.ts, name="ts"))

    def predict(self, dataset: Dataset) -> FloatArray:
        codes = self.codes(self._close(dataset)).astype(np.float64)
        codes[codes < 0] = np.nan
        return codes
