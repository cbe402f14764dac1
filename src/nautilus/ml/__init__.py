"""The ML engine library: regimes, forecasters, honest validation, model registry, drift.

Importing this package registers the models in :data:`~nautilus.ml.base.MODELS`, the
``ml.train`` job kind and the ``ml`` engine.
"""

from __future__ import annotations

from nautilus.ml import forecast, regimes  # noqa: F401  (register the models)
from nautilus.ml.base import MODELS, Model, ModelConfig, build_model
from nautilus.ml.dataset import Dataset
from nautilus.ml.drift import DriftAlert, DriftReport, RetrainRule, ks_two_sample, psi
from nautilus.ml.engine import MLEngine, Prediction
from nautilus.ml.jobs import TrainRequest, train_and_register
from nautilus.ml.messages import ModelStageChanged, RegimeUpdate
from nautilus.ml.registry import ModelRegistry, ModelVersion

__all__ = [
    "MODELS",
    "Dataset",
    "DriftAlert",
    "DriftReport",
    "MLEngine",
    "Model",
    "ModelConfig",
    "ModelRegistry",
    "ModelStageChanged",
    "ModelVersion",
    "Prediction",
    "RegimeUpdate",
    "RetrainRule",
    "TrainRequest",
    "build_model",
    "ks_two_sample",
    "psi",
    "train_and_register",
]
