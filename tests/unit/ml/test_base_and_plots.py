"""The model registry of plug-ins, parameter validation, dataset checks and figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.ml import MODELS, build_model
from nautilus.ml.dataset import Dataset, daily_ts, direction_features, drawdown, log_returns
from nautilus.ml.forecast.direction import LogisticDirection
from nautilus.ml.plots import plot_regimes, plot_vol_forecast
from nautilus.ml.regimes import RegimeEnsemble, RuleRegimeDetector
from nautilus.ml.regimes.hmm import HMMRegimeModel


def test_models_are_registered_with_parameter_schemas() -> None:
    names = set(MODELS.names())
    assert {"regime.hmm", "regime.rules", "vol.garch", "vol.har", "direction.hgb",
            "direction.logistic", "return.regressor"} <= names
    schema = {d["name"]: d["parameters"] for d in MODELS.describe()}
    assert "n_states" in schema["regime.hmm"]["properties"]
    m = build_model("direction.logistic", {"C": 2.0, "penalty": "l1"})
    assert isinstance(m, LogisticDirection) and m.config.C == 2.0
    with pytest.raises(ValidationError, match="invalid parameters"):
        build_model("regime.hmm", {"n_states": 99})
    with pytest.raises(ValidationError):
        build_model("regime.hmm", {"bogus": 1})
    with pytest.raises(NotFoundError):
        build_model("nope")


def test_dataset_checks_and_features() -> None:
    with pytest.raises(ValidationError, match="strictly increasing"):
        Dataset(ts=np.array([2, 1]), features=pd.DataFrame({"a": [1.0, 2.0]}))
    close = np.array([100.0, 110.0, 99.0, 120.0])
    np.testing.assert_allclose(drawdown(close), [0, 0, 99 / 110 - 1, 0])
    np.testing.assert_allclose(log_returns(close)[1:], np.diff(np.log(close)))
    f = direction_features(100 * np.exp(np.cumsum(np.full(40, 0.01))))
    assert f["ret_5"].iloc[-1] == pytest.approx(0.05)
    assert f["dd"].iloc[-1] == 0.0


def test_figures_render(fitted_hmm: HMMRegimeModel, regime_ds: Dataset) -> None:
    regimes = RegimeEnsemble(fitted_hmm, RuleRegimeDetector()).regimes(regime_ds)
    fig = plot_regimes(regime_ds.close, regimes)  # type: ignore[arg-type]
    assert len(fig.axes) == 2
    assert any(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    ts = daily_ts(50)
    fig2 = plot_vol_forecast(ts, np.full(50, 1e-4), np.linspace(1e-5, 2e-4, 50))
    line = fig2.axes[0].get_lines()[1]
    assert np.allclose(line.get_ydata(), np.sqrt(252e-4))
