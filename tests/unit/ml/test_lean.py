"""The lean (compiled) predictors give sklearn's probabilities and values, row by row."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from nautilus.ml.dataset import Dataset, daily_ts
from nautilus.ml.forecast.direction import (
    DirectionConfig,
    GradientBoostedDirection,
    LogisticDirection,
    ReturnConfig,
    ReturnRegressor,
)
from nautilus.ml.forecast.lean import (
    IsotonicCalibrator,
    LeanClassifier,
    SigmoidCalibrator,
    TreeScore,
    compile_classifier,
    compile_regressor,
)


@pytest.fixture(scope="module")
def train_ds() -> Dataset:
    rng = np.random.default_rng(5)
    n = 900
    x = rng.standard_normal((n, 5))
    logit = 0.9 * x[:, 0] - 0.6 * x[:, 1] * (x[:, 1] > 0) + 0.3 * x[:, 2] * x[:, 3]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return Dataset(
        ts=daily_ts(n),
        features=pd.DataFrame(x, columns=list("abcde")),
        label=y,
        meta={"ret": logit + rng.standard_normal(n)},
    )


@pytest.fixture(scope="module")
def new_rows() -> np.ndarray:
    """Rows never seen in training, wider than the training range, some with NaN."""
    rng = np.random.default_rng(6)
    x = 1.5 * rng.standard_normal((3000, 5))
    x[::13, 1] = np.nan
    x[::29, 4] = np.nan
    return x


CASES = [
    (cls, cal)
    for cls in (GradientBoostedDirection, LogisticDirection)
    for cal in ("sigmoid", "isotonic", "none")
]


@pytest.mark.parametrize(("cls", "calibration"), CASES)
def test_lean_classifier_equals_sklearn_predict_proba(
    train_ds: Dataset, new_rows: np.ndarray, cls: type, calibration: str
) -> None:
    model = cls(DirectionConfig(calibration=calibration, max_iter=60)).fit(train_ds)
    lean = model.lean
    assert isinstance(lean, LeanClassifier)
    n_folds = 1 if calibration == "none" else 3
    assert len(lean.folds) == n_folds
    x = new_rows if cls is GradientBoostedDirection else new_rows[np.isfinite(new_rows).all(1)]
    expected = model.estimator.predict_proba(x)[:, 1]
    got = model.predict_proba(x)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # one row at a time (the inference path) gives the same numbers
    singles = np.array([model.predict_proba(x[i])[0] for i in range(0, 300, 7)])
    np.testing.assert_allclose(singles, expected[0:300:7], rtol=0, atol=1e-12)
    # probabilities are informative: P(up) rises with the first feature's signal
    assert 0.0 <= got.min() and got.max() <= 1.0
    ok = np.isfinite(x).all(axis=1)
    assert np.corrcoef(x[ok, 0], got[ok])[0, 1] > 0.3


@pytest.mark.parametrize("estimator", ["ridge", "hgb"])
def test_lean_regressor_equals_sklearn_predict(
    train_ds: Dataset, new_rows: np.ndarray, estimator: str
) -> None:
    ds = Dataset(ts=train_ds.ts, features=train_ds.features, label=train_ds.meta["ret"])
    model = ReturnRegressor(ReturnConfig(estimator=estimator, max_iter=40)).fit(ds)
    assert model.lean is not None
    x = new_rows[np.isfinite(new_rows).all(1)]
    np.testing.assert_allclose(
        model.predict_values(x), model.estimator.predict(x), rtol=0, atol=1e-12
    )


def test_tree_kernel_follows_thresholds_and_missing_branches() -> None:
    # one stump: feature 0 <= 0.5 -> leaf 1 (value -1), else leaf 2 (value +2); NaN goes right
    stump = TreeScore(
        feature=np.array([0, 0, 0]),
        threshold=np.array([0.5, 0.0, 0.0]),
        missing_left=np.array([False, False, False]),
        left=np.array([1, 0, 0]),
        right=np.array([2, 0, 0]),
        is_leaf=np.array([False, True, True]),
        value=np.array([0.0, -1.0, 2.0]),
        roots=np.array([0, 0]),
        baseline=0.25,
    )
    x = np.array([[0.5], [0.6], [np.nan], [-3.0]])
    # two copies of the same stump: baseline + 2 x leaf
    np.testing.assert_array_equal(stump(x), [-1.75, 4.25, 4.25, -1.75])


def test_calibrators_closed_forms() -> None:
    s = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(
        SigmoidCalibrator(a=-2.0, b=0.5)(s), 1 / (1 + np.exp(-(2.0 * s - 0.5))), rtol=1e-15
    )
    iso = IsotonicCalibrator(x=np.array([0.0, 1.0, 2.0]), y=np.array([0.1, 0.5, 0.7]))
    # clipped below and above the fitted range, linear in between
    np.testing.assert_allclose(iso(np.array([-5.0, 0.5, 1.5, 9.0])), [0.1, 0.3, 0.6, 0.7])
    const = IsotonicCalibrator(x=np.array([0.0]), y=np.array([0.4]))
    np.testing.assert_array_equal(const(s), [0.4, 0.4, 0.4])


def test_unsupported_estimators_fall_back_to_sklearn(train_ds: Dataset) -> None:
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(n_estimators=5, random_state=0).fit(train_ds.X, train_ds.label)
    assert compile_classifier(rf) is None
    assert compile_regressor(rf) is None
    model = GradientBoostedDirection(DirectionConfig(calibration="none", max_iter=20))
    model.fit(train_ds)
    model.__dict__["_lean"] = None  # as if it had not compiled
    np.testing.assert_allclose(
        model.predict_proba(train_ds.X[:50]),
        model.estimator.predict_proba(train_ds.X[:50])[:, 1],
        atol=0,
    )


def test_lean_predictor_is_rebuilt_after_pickling(train_ds: Dataset) -> None:
    model = GradientBoostedDirection(DirectionConfig(max_iter=20)).fit(train_ds)
    before = model.predict_proba(train_ds.X[:20])
    assert "_lean" in model.__dict__
    restored = pickle.loads(pickle.dumps(model))
    assert "_lean" not in restored.__dict__
    np.testing.assert_array_equal(restored.predict_proba(train_ds.X[:20]), before)
    assert isinstance(restored.lean, LeanClassifier)
