"""Direction and return forecasts on a feature frame, with calibrated probabilities.

* ``direction.hgb`` -- sklearn ``HistGradientBoostingClassifier``;
* ``direction.logistic`` -- L2 / L1 regularised ``LogisticRegression`` on standardised features;
* ``return.ridge`` / ``return.hgb`` -- regularised linear and boosted regressors of the return.

Classifiers predict ``P(label = 1)`` (label 1 = up move). Probabilities are calibrated with
``CalibratedClassifierCV`` whose internal folds are time-ordered (``TimeSeriesSplit``) and drawn
from the training data handed to ``fit`` only, so a walk-forward test fold never informs the
calibration. The confidence of a probability ``p`` is ``|2p - 1|`` (0 = coin flip, 1 = sure).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from nautilus.core.errors import ConflictError, ValidationError
from nautilus.ml.base import MODELS, FloatArray, Model, ModelConfig
from nautilus.ml.dataset import Dataset, check_training_data
from nautilus.ml.forecast.lean import (
    LeanClassifier,
    LeanRegressor,
    compile_classifier,
    compile_regressor,
)


def confidence(p: FloatArray) -> FloatArray:
    """``|2p - 1|``: 0 for p = 0.5, 1 for p in {0, 1}."""
    return np.abs(2.0 * np.asarray(p, dtype=np.float64) - 1.0)


def log_loss(y: FloatArray, p: FloatArray, eps: float = 1e-15) -> float:
    """Mean binary cross-entropy in nats (labels 0/1)."""
    q = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    yy = np.asarray(y, dtype=np.float64)
    return float(-np.mean(yy * np.log(q) + (1 - yy) * np.log(1 - q)))


def hit_rate(y: FloatArray, p: FloatArray) -> float:
    """Share of rows where ``p >= 0.5`` agrees with the 0/1 label."""
    return float(np.mean((np.asarray(p) >= 0.5) == (np.asarray(y) >= 0.5)))


class DirectionConfig(ModelConfig):
    """Parameters of the direction classifiers."""

    calibration: Literal["sigmoid", "isotonic", "none"] = "sigmoid"
    calibration_folds: int = Field(3, ge=2, le=10)
    # gradient-boosted trees
    max_iter: int = Field(100, ge=10, le=5000)
    learning_rate: float = Field(0.05, gt=0, le=1)
    max_depth: int | None = Field(3, ge=1, le=32)
    l2_regularization: float = Field(1.0, ge=0)
    # logistic regression
    penalty: Literal["l2", "l1"] = "l2"
    C: float = Field(0.1, gt=0, description="inverse regularisation strength")
    seed: int = Field(0, ge=0)


class _CompiledEstimator:
    """Keeps the lean (compiled) form of ``self.estimator`` next to it; never pickled, it is
    rebuilt on first use after loading."""

    estimator: Any
    _compile: ClassVar[Any]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_lean", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _set_estimator(self, est: Any) -> None:
        self.estimator = est
        self.__dict__.pop("_lean", None)

    @property
    def lean(self) -> Any:
        """The compiled predictor (None when the estimator is unfitted or does not compile)."""
        if "_lean" not in self.__dict__:
            if self.estimator is None:
                return None
            self.__dict__["_lean"] = type(self)._compile(self.estimator)
        return self.__dict__["_lean"]


class _Classifier(_CompiledEstimator, Model):
    config_class: ClassVar[type[ModelConfig]] = DirectionConfig
    min_rows: ClassVar[int] = 100
    config: DirectionConfig
    model_name: ClassVar[str] = "direction"
    _compile = staticmethod(compile_classifier)

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.estimator: Any = None

    @abc.abstractmethod
    def _base(self) -> Any:
        """The unfitted sklearn estimator that the calibration wraps."""

    def fit(self, dataset: Dataset) -> _Classifier:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import TimeSeriesSplit

        clean = check_training_data(
            dataset, min_rows=self.min_rows, model=self.model_name, needs_label=True
        )
        y = np.asarray(clean.label, dtype=np.float64)
        if np.unique(y).shape[0] < 2:
            raise ValidationError(
                f"{self.model_name}: the training label has one class only", code="one_class"
            )
        self.feature_names = list(clean.features.columns)
        x = clean.X
        if self.config.calibration == "none":
            est = self._base().fit(x, y)
        else:
            est = CalibratedClassifierCV(
                self._base(),
                method=self.config.calibration,
                cv=TimeSeriesSplit(n_splits=self.config.calibration_folds),
            ).fit(x, y)
        self._set_estimator(est)
        p = est.predict_proba(x)[:, 1]
        self.train_metrics = {
            "hit_rate": hit_rate(y, p),
            "log_loss": log_loss(y, p),
            "base_rate": float(y.mean()),
        }
        return self

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """``P(up)`` per row of the feature matrix ``x`` (columns as at fit time).

        Runs the compiled :class:`~nautilus.ml.forecast.lean.LeanClassifier` (the same
        probabilities as sklearn's ``predict_proba``, without its per-call overhead); falls
        back to sklearn on one thread for estimators that do not compile.
        """
        if self.estimator is None:
            raise ConflictError(f"{self.model_name} is not fitted", code="model_not_fitted")
        x = np.ascontiguousarray(np.atleast_2d(np.asarray(x, dtype=np.float64)))
        if x.shape[1] != len(self.feature_names):
            raise ValidationError(
                f"{self.model_name}: expected {len(self.feature_names)} features, got {x.shape[1]}",
                code="feature_mismatch",
            )
        lean: LeanClassifier | None = self.lean
        if lean is not None:
            return lean.predict_proba(x)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return np.asarray(self.estimator.predict_proba(x)[:, 1], dtype=np.float64)

    def predict(self, dataset: Dataset) -> FloatArray:
        """Calibrated ``P(up)`` per row (NaN where a feature is missing)."""
        x = dataset.features[self.feature_names].to_numpy(dtype=np.float64)
        ok = np.isfinite(x).all(axis=1)
        out = np.full(x.shape[0], np.nan)
        if ok.any():
            out[ok] = self.predict_proba(x[ok])
        return out


@MODELS.register("direction.hgb", config=DirectionConfig, tags=("direction",))
class GradientBoostedDirection(_Classifier):
    """Histogram gradient-boosted trees predicting the probability of an up move."""

    model_name: ClassVar[str] = "direction.hgb"

    def _base(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        c = self.config
        return HistGradientBoostingClassifier(
            max_iter=c.max_iter,
            learning_rate=c.learning_rate,
            max_depth=c.max_depth,
            l2_regularization=c.l2_regularization,
            random_state=c.seed,
            early_stopping=False,
        )


@MODELS.register("direction.logistic", config=DirectionConfig, tags=("direction",))
class LogisticDirection(_Classifier):
    """Regularised logistic regression (standardised features) for the up-move probability."""

    model_name: ClassVar[str] = "direction.logistic"

    def _base(self) -> Any:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        c = self.config
        if c.penalty == "l1":
            est = LogisticRegression(C=c.C, l1_ratio=1.0, solver="liblinear", max_iter=1000)
        else:
            est = LogisticRegression(C=c.C, max_iter=1000)
        return make_pipeline(StandardScaler(), est)


class ReturnConfig(ModelConfig):
    """Parameters of the return regressors."""

    estimator: Literal["ridge", "hgb"] = "ridge"
    alpha: float = Field(1.0, ge=0, description="ridge penalty")
    max_iter: int = Field(100, ge=10, le=5000)
    learning_rate: float = Field(0.05, gt=0, le=1)
    seed: int = Field(0, ge=0)


@MODELS.register("return.regressor", config=ReturnConfig, tags=("return",))
class ReturnRegressor(_CompiledEstimator, Model):
    """Ridge or gradient-boosted regression of the label (a forward return)."""

    _compile = staticmethod(compile_regressor)
    config_class: ClassVar[type[ModelConfig]] = ReturnConfig
    min_rows: ClassVar[int] = 100
    config: ReturnConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.estimator: Any = None

    def fit(self, dataset: Dataset) -> ReturnRegressor:
        from sklearn.ensemble import HistGradientBoostingRegressor
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        clean = check_training_data(
            dataset, min_rows=self.min_rows, model="return.regressor", needs_label=True
        )
        self.feature_names = list(clean.features.columns)
        c = self.config
        if c.estimator == "ridge":
            est: Any = make_pipeline(StandardScaler(), Ridge(alpha=c.alpha))
        else:
            est = HistGradientBoostingRegressor(
                max_iter=c.max_iter,
                learning_rate=c.learning_rate,
                random_state=c.seed,
                early_stopping=False,
            )
        y = np.asarray(clean.label, dtype=np.float64)
        self._set_estimator(est.fit(clean.X, y))
        pred = self.estimator.predict(clean.X)
        self.train_metrics = {"mse": float(np.mean((pred - y) ** 2))}
        return self

    def predict(self, dataset: Dataset) -> FloatArray:
        if self.estimator is None:
            raise ConflictError("return.regressor is not fitted", code="model_not_fitted")
        x = dataset.features[self.feature_names].to_numpy(dtype=np.float64)
        ok = np.isfinite(x).all(axis=1)
        out = np.full(x.shape[0], np.nan)
        if ok.any():
            out[ok] = self.predict_values(x[ok])
        return out

    def predict_values(self, x: FloatArray) -> FloatArray:
        """The predicted return per row of the finite feature matrix ``x``."""
        if self.estimator is None:
            raise ConflictError("return.regressor is not fitted", code="model_not_fitted")
        x = np.ascontiguousarray(np.atleast_2d(np.asarray(x, dtype=np.float64)))
        lean: LeanRegressor | None = self.lean
        if lean is not None:
            return lean.predict(x)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return np.asarray(self.estimator.predict(x), dtype=np.float64)
