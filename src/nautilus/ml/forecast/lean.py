"""Lean predictors: fitted sklearn estimators compiled into plain arrays for fast inference.

sklearn's ``predict_proba`` spends most of a single-row call on input validation, namespace
dispatch and OpenMP start-up rather than on the arithmetic (a hundred shallow trees). At load
time the fitted estimator is copied into a few contiguous arrays; prediction is then a numba
tree walk (or a dot product) plus the fitted calibrators, evaluated in the same order and
with the same formulas as sklearn, so the probabilities are the same to the last few ulps
(tests hold them to 1e-12 of ``predict_proba``).

Supported (anything else compiles to ``None`` and the caller keeps using sklearn):

* ``HistGradientBoostingClassifier`` / ``...Regressor`` with numeric features and one tree
  per iteration (binary classification, squared-error regression);
* ``Pipeline(StandardScaler, LogisticRegression | Ridge)`` and the bare linear models;
* ``CalibratedClassifierCV`` (sigmoid or isotonic, binary) over any of the above: each
  fold's decision function goes through its calibrator and the folds are averaged.

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> x = np.arange(20.0).reshape(-1, 1); y = (x[:, 0] > 9).astype(float)
>>> lean = compile_classifier(LogisticRegression().fit(x, y))
>>> bool(np.allclose(lean.predict_proba(x), LogisticRegression().fit(x, y).predict_proba(x)[:, 1]))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numba as nb
import numpy as np
import numpy.typing as npt
from scipy.special import expit

FloatArray = npt.NDArray[np.float64]


@nb.njit(cache=True, nogil=True)
def _tree_sum(
    x: FloatArray,
    feature: npt.NDArray[np.int64],
    threshold: FloatArray,
    missing_left: npt.NDArray[np.bool_],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    is_leaf: npt.NDArray[np.bool_],
    value: FloatArray,
    roots: npt.NDArray[np.int64],
    baseline: float,
) -> FloatArray:
    # baseline first, then tree by tree: the order sklearn accumulates raw predictions in
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        acc = baseline
        for t in range(roots.shape[0]):
            node = roots[t]
            while not is_leaf[node]:
                v = x[i, feature[node]]
                if np.isnan(v):
                    node = left[node] if missing_left[node] else right[node]
                elif v <= threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            acc += value[node]
        out[i] = acc
    return out


class Score(Protocol):
    """A raw score per row: the decision function of a classifier or a regression value."""

    def __call__(self, x: FloatArray) -> FloatArray: ...


@dataclass(frozen=True, slots=True)
class TreeScore:
    """Sum of the leaf values of a boosted tree ensemble plus its baseline (one output)."""

    feature: npt.NDArray[np.int64]
    threshold: FloatArray
    missing_left: npt.NDArray[np.bool_]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    is_leaf: npt.NDArray[np.bool_]
    value: FloatArray
    roots: npt.NDArray[np.int64]
    baseline: float

    def __call__(self, x: FloatArray) -> FloatArray:
        return _tree_sum(
            x,
            self.feature,
            self.threshold,
            self.missing_left,
            self.left,
            self.right,
            self.is_leaf,
            self.value,
            self.roots,
            self.baseline,
        )


@dataclass(frozen=True, slots=True)
class LinearScore:
    """``((x - mean) / scale) @ coef + intercept``; no scaling when ``mean`` is None."""

    coef: FloatArray
    intercept: float
    mean: FloatArray | None = None
    scale: FloatArray | None = None

    def __call__(self, x: FloatArray) -> FloatArray:
        if self.mean is not None and self.scale is not None:
            x = (x - self.mean) / self.scale
        return np.asarray(x @ self.coef + self.intercept, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class SigmoidCalibrator:
    """Platt scaling as fitted by sklearn: ``expit(-(a * score + b))``."""

    a: float
    b: float

    def __call__(self, s: FloatArray) -> FloatArray:
        return np.asarray(expit(-(self.a * s + self.b)), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class IsotonicCalibrator:
    """Piecewise-linear isotonic map, clipped to the fitted score range."""

    x: FloatArray
    y: FloatArray

    def __call__(self, s: FloatArray) -> FloatArray:
        if self.y.shape[0] == 1:
            return np.repeat(self.y, s.shape[0])
        return np.interp(np.clip(s, self.x[0], self.x[-1]), self.x, self.y)


@dataclass(frozen=True, slots=True)
class LeanClassifier:
    """``P(class 1)`` of a binary classifier: the mean over folds of calibrated scores (one
    fold with the logistic link when the model is not calibrated)."""

    folds: tuple[tuple[Any, Any], ...]
    n_features: int

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """``P(class 1)`` per row of ``x`` (float64, C-contiguous, ``n_features`` columns)."""
        total = np.zeros(x.shape[0])
        for score, calibrate in self.folds:
            p = calibrate(score(x))
            # sklearn clips calibrated values that overshoot 1 by rounding
            p[(p > 1.0) & (p <= 1.0 + 1e-5)] = 1.0
            total += p
        if len(self.folds) > 1:
            total /= len(self.folds)
        return total


@dataclass(frozen=True, slots=True)
class LeanRegressor:
    """A regression value per row."""

    score: Any
    n_features: int

    def predict(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.score(x), dtype=np.float64)


def _expit(s: FloatArray) -> FloatArray:
    return np.asarray(expit(s), dtype=np.float64)


def _tree_score(est: Any) -> TreeScore | None:
    if getattr(est, "n_trees_per_iteration_", None) != 1 or est._bin_mapper is None:
        return None
    trees = [it[0].nodes for it in est._predictors]
    if not trees or any(t["is_categorical"].any() for t in trees):
        return None
    sizes = np.array([t.shape[0] for t in trees], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    nodes: Any = np.concatenate(trees)  # structured node records (sklearn's dtype)
    shift = np.repeat(offsets, sizes)
    baseline = np.asarray(est._baseline_prediction, dtype=np.float64).ravel()
    return TreeScore(
        feature=np.ascontiguousarray(nodes["feature_idx"], dtype=np.int64),
        threshold=np.ascontiguousarray(nodes["num_threshold"], dtype=np.float64),
        missing_left=np.ascontiguousarray(nodes["missing_go_to_left"].astype(np.bool_)),
        left=np.ascontiguousarray(nodes["left"].astype(np.int64) + shift),
        right=np.ascontiguousarray(nodes["right"].astype(np.int64) + shift),
        is_leaf=np.ascontiguousarray(nodes["is_leaf"].astype(np.bool_)),
        value=np.ascontiguousarray(nodes["value"], dtype=np.float64),
        roots=offsets,
        baseline=float(baseline[0]),
    )


def _linear_score(est: Any) -> LinearScore | None:
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    mean = scale = None
    if isinstance(est, Pipeline):
        if len(est.steps) != 2 or not isinstance(est.steps[0][1], StandardScaler):
            return None
        scaler, est = est.steps[0][1], est.steps[1][1]
        if not (scaler.with_mean and scaler.with_std):
            return None
        mean = np.asarray(scaler.mean_, dtype=np.float64)
        scale = np.asarray(scaler.scale_, dtype=np.float64)
    if not isinstance(est, LogisticRegression | Ridge):
        return None
    coef = np.asarray(est.coef_, dtype=np.float64)
    if coef.ndim == 2 and coef.shape[0] != 1:
        return None
    intercept = np.asarray(est.intercept_, dtype=np.float64).ravel()
    return LinearScore(
        coef=np.ascontiguousarray(coef.ravel()),
        intercept=float(intercept[0]) if intercept.size else 0.0,
        mean=mean,
        scale=scale,
    )


def _score(est: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    if isinstance(est, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        return _tree_score(est)
    return _linear_score(est)


def _is_binary_logit(est: Any) -> bool:
    from sklearn.ensemble import HistGradientBoostingClassifier

    classes = getattr(est, "classes_", None)
    if classes is None or len(classes) != 2:
        return False
    if isinstance(est, HistGradientBoostingClassifier):
        return type(est._loss).__name__ == "HalfBinomialLoss"
    return True


def compile_classifier(estimator: Any) -> LeanClassifier | None:
    """A :class:`LeanClassifier` equal to ``estimator.predict_proba(x)[:, 1]``, or None when
    the estimator (or its calibration) is not one of the supported kinds."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.isotonic import IsotonicRegression

    n = int(getattr(estimator, "n_features_in_", 0))
    if isinstance(estimator, CalibratedClassifierCV):
        if estimator.classes_.shape[0] != 2:
            return None
        folds: list[tuple[Any, Any]] = []
        for cc in estimator.calibrated_classifiers_:
            score = _score(cc.estimator)
            if score is None or cc.method not in ("sigmoid", "isotonic"):
                return None
            if len(cc.calibrators) != 1 or len(cc.estimator.classes_) != 2:
                return None
            cal = cc.calibrators[0]
            if isinstance(cal, IsotonicRegression):
                if cal.out_of_bounds != "clip":
                    return None
                calibrate: Any = IsotonicCalibrator(
                    np.asarray(cal.X_thresholds_, dtype=np.float64),
                    np.asarray(cal.y_thresholds_, dtype=np.float64),
                )
            else:
                calibrate = SigmoidCalibrator(float(cal.a_), float(cal.b_))
            folds.append((score, calibrate))
        return LeanClassifier(folds=tuple(folds), n_features=n)
    score = _score(estimator)
    if score is None or not _is_binary_logit(estimator):
        return None
    return LeanClassifier(folds=((score, _expit),), n_features=n)


def compile_regressor(estimator: Any) -> LeanRegressor | None:
    """A :class:`LeanRegressor` equal to ``estimator.predict(x)`` (squared-error boosted
    trees, ridge), or None."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    if isinstance(estimator, HistGradientBoostingRegressor):
        if type(estimator._loss).__name__ != "HalfSquaredError":
            return None
    score = _score(estimator)
    if score is None:
        return None
    return LeanRegressor(score=score, n_features=int(getattr(estimator, "n_features_in_", 0)))


__all__ = [
    "IsotonicCalibrator",
    "LeanClassifier",
    "LeanRegressor",
    "LinearScore",
    "SigmoidCalibrator",
    "TreeScore",
    "compile_classifier",
    "compile_regressor",
]
