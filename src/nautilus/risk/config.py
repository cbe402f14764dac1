"""The risk engine's frozen config (``PlatformConfig.risk`` once the platform carries it)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from nautilus.core.config import FrozenConfig


class RiskConfig(FrozenConfig):
    """Rules, monitoring cadence, alert threshold and the bus patterns the engine listens on."""

    rules: dict[str, dict[str, Any]] | None = Field(
        None, description="Rules to run with their params; None = every registered rule.")
    disabled_rules: tuple[str, ...] = Field((), description="Registered rules left out.")
    reference_max_age_s: float = Field(60.0, gt=0, description="Oldest usable reference price "
                                       "(s, view clock); older prices deny (fail closed).")
    monitor_interval_s: float = Field(5.0, gt=0, description="Timer for risk recomputation.")
    warn_utilisation: float = Field(0.8, gt=0, lt=1, description="Warning level (ratio).")
    flush_interval_s: float = Field(1.0, gt=0, description="Denial/alert batch write period.")
    price_pattern: str = Field("data.quotes.>", description="Price updates to monitor on.")
    fill_pattern: str = Field(
        "fills.>", description="Fills to monitor on (the OMS publishes fills.<account>)."
    )
    mc_job_threshold: int = Field(200_000, ge=100, description="Monte Carlo scenarios above "
                                  "which VaR runs as a job.")
