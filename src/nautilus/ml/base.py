"""The model plug-in contract: the smallest useful ``fit(dataset)`` / ``predict(dataset)`` pair.

A model is a class registered in :data:`MODELS` with a frozen pydantic config class; it is
built with ``cls(config)``, fitted on a :class:`~nautilus.ml.dataset.Dataset` and asked for
predictions on another. After ``fit`` it reports ``converged`` (an optimiser that did not
converge makes the fit unusable: the registry records such a version as ``failed`` and never
promotes it) and ``train_metrics`` (in-sample numbers used as the baseline for live decay).

Conventions: rows are ordered by time (``int`` ns UTC in ``dataset.ts``); ``predict`` returns
one float64 value per row, causal at each row (it uses that row's features only, or for
sequence models the rows up to and including it).

>>> from nautilus.ml.base import MODELS
>>> "direction.logistic" in MODELS
True
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
import numpy.typing as npt
import pydantic

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.core.registry import Registry

if TYPE_CHECKING:
    from nautilus.ml.dataset import Dataset

FloatArray = npt.NDArray[np.float64]


class ModelConfig(FrozenConfig):
    """Base of every model's parameters (frozen, unknown fields rejected)."""


class Model(abc.ABC):
    """A fitted-on-a-dataset, predict-on-a-dataset model."""

    config_class: ClassVar[type[ModelConfig]] = ModelConfig
    min_rows: ClassVar[int] = 50
    """Fewest training rows the model accepts; fewer raise ``ValidationError``."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        self.config = config if config is not None else self.config_class()
        self.converged = True
        self.train_metrics: dict[str, float] = {}
        self.feature_names: list[str] = []

    @abc.abstractmethod
    def fit(self, dataset: Dataset) -> Model:
        """Fit on ``dataset`` (features and, for supervised models, its label); return self."""

    @abc.abstractmethod
    def predict(self, dataset: Dataset) -> FloatArray:
        """One float64 per row of ``dataset`` (see the module docstring for causality)."""

    def params(self) -> dict[str, Any]:
        """The config as JSON-ready values (stored with every registered version)."""
        return self.config.model_dump(mode="json")


MODELS: Registry[type[Model]] = Registry("model")
"""Model classes by name (``regime.hmm``, ``vol.garch``, ``direction.hgb`` ...)."""


def build_model(name: str, params: dict[str, Any] | None = None) -> Model:
    """Instantiate the registered model ``name`` with validated ``params``.

    Raises ``NotFoundError`` for an unknown name and ``ValidationError`` for bad params.
    """
    spec = MODELS.spec(name)
    cfg_cls = spec.config or ModelConfig
    try:
        cfg = cfg_cls.model_validate(params or {})
    except pydantic.ValidationError as exc:
        raise ValidationError(
            f"invalid parameters for model {name!r}: {exc.errors()[0]['msg']}",
            code="invalid_model_params",
        ) from exc
    return spec.obj(cast(ModelConfig, cfg))
