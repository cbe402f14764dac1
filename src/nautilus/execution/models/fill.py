"""Fill-probability models for resting limit orders that the market touches but does not cross."""

from __future__ import annotations

import abc
import random
from typing import ClassVar

from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.registry import Registry


class FillModel(abc.ABC):
    """Decides whether a limit order at exactly the traded/touched price gets filled."""

    config_class: ClassVar[type[FrozenConfig]]

    def __init__(self, config: FrozenConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def fill_on_touch(self) -> bool:
        """``True`` if a limit touched (price == limit, not through it) fills this time."""


FILL_MODELS: Registry[type[FillModel]] = Registry("fill_model")
"""Fill-probability plug-ins by name."""


class ProbabilisticFillConfig(FrozenConfig):
    prob_fill_on_touch: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Probability that a touched (not crossed) resting limit fills. 0 = never "
        "(conservative: queue position unknown), 1 = always.",
    )
    seed: int = Field(default=0, description="Seed of the model's own random stream.")


@FILL_MODELS.register("probabilistic", config=ProbabilisticFillConfig)
class ProbabilisticFill(FillModel):
    """Bernoulli draw with ``prob_fill_on_touch``; 0 and 1 draw nothing (exact)."""

    config_class = ProbabilisticFillConfig

    def __init__(self, config: ProbabilisticFillConfig | None = None) -> None:
        cfg = config or ProbabilisticFillConfig()
        super().__init__(cfg)
        self._p = cfg.prob_fill_on_touch
        self._rng = random.Random(cfg.seed)

    def fill_on_touch(self) -> bool:
        if self._p <= 0.0:
            return False
        if self._p >= 1.0:
            return True
        return self._rng.random() < self._p
