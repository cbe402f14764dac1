"""A signal strategy: target weight 1 (long) while close > SMA, 0 otherwise (columns, causal)."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from nautilus.strategy.base import STRATEGIES
from nautilus.strategy.config import StrategyConfig
from nautilus.strategy.signal import SignalStrategy


class SmaTrendConfig(StrategyConfig):
    """Long ``weight`` of equity while the close is above its ``window``-bar SMA."""

    window: int = Field(50, ge=2, le=10_000)
    weight: float = Field(0.5, gt=0, le=1)


@STRATEGIES.register("sma_trend_signal", config=SmaTrendConfig, tags=("trend", "signal"))
class SmaTrendSignal(SignalStrategy):
    """Weights from a dataframe column: ``weight`` above the SMA, 0 below."""

    name = "sma_trend_signal"
    config_class = SmaTrendConfig
    config: SmaTrendConfig
    kind = "weights"
    lookback = 10_000

    def targets(self, bars: pd.DataFrame) -> pd.Series:
        sma = bars["close"].rolling(self.config.window).mean()
        out = (bars["close"] > sma).astype(float) * self.config.weight
        return out.where(sma.notna())
