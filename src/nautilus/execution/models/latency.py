"""Latency models: how long an order command takes to reach the simulated venue (int ns)."""

from __future__ import annotations

import abc
import random
from typing import ClassVar

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.registry import Registry


class LatencyModel(abc.ABC):
    """Delay between a command's clock time and its arrival at the venue, in ns."""

    config_class: ClassVar[type[FrozenConfig]]

    def __init__(self, config: FrozenConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def delay_ns(self) -> int:
        """Nanoseconds (>= 0) for the next command; deterministic given the config's seed."""


LATENCY_MODELS: Registry[type[LatencyModel]] = Registry("latency_model")
"""Latency plug-ins by name."""


class FixedLatencyConfig(FrozenConfig):
    delay_ns: int = Field(default=0, ge=0, description="Constant one-way delay in ns.")


@LATENCY_MODELS.register("fixed", config=FixedLatencyConfig)
class FixedLatency(LatencyModel):
    """Every command arrives ``delay_ns`` after it was sent."""

    config_class = FixedLatencyConfig

    def __init__(self, config: FixedLatencyConfig | None = None) -> None:
        super().__init__(config or FixedLatencyConfig())
        self._delay = self.config.delay_ns  # type: ignore[attr-defined]

    def delay_ns(self) -> int:
        return int(self._delay)


class RandomLatencyConfig(FrozenConfig):
    base_ns: int = Field(default=0, ge=0, description="Minimum delay in ns.")
    jitter_ns: int = Field(
        default=0, ge=0, description="Extra delay drawn uniformly from [0, jitter_ns]."
    )
    seed: int = Field(default=0, description="Seed of the model's own random stream.")


@LATENCY_MODELS.register("random", config=RandomLatencyConfig)
class RandomLatency(LatencyModel):
    """``base_ns`` plus a uniform integer jitter; seeded, so runs repeat exactly."""

    config_class = RandomLatencyConfig

    def __init__(self, config: RandomLatencyConfig | None = None) -> None:
        cfg = config or RandomLatencyConfig()
        super().__init__(cfg)
        self._base = cfg.base_ns
        self._jitter = cfg.jitter_ns
        self._rng = random.Random(cfg.seed)

    def delay_ns(self) -> int:
        return self._base + (self._rng.randint(0, self._jitter) if self._jitter else 0)
