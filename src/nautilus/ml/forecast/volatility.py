"""Volatility forecasts: GARCH(1,1), GJR-GARCH(1,1,1), EGARCH(1,1) through ``arch``, and HAR-RV.

Units and conventions
---------------------
* Inputs are daily log returns (fractions, not percent); ``arch`` is fed percent returns for
  numerical stability and its variances are scaled back, so every variance here is in
  return-fraction squared per day.
* A forecast made at row ``t`` uses data up to and including ``t`` (causal) and targets the
  variance of the return ``h`` days ahead (``var_h``) and the sum over days 1..h
  (``cumvar_h``, the variance of the h-day return).
* Out-of-sample evaluation fits parameters on rows before ``split`` only and filters the
  rest with those fixed parameters.
* HAR-RV (Corsi 2009) regresses next-day realized variance on the daily, weekly (5-day mean)
  and monthly (22-day mean) realized variance by OLS with an intercept.
* QLIKE (Patton 2011) = mean(rv / f - log(rv / f) - 1) on variances; MSE on variances.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.errors import ConflictError, ValidationError
from nautilus.ml.base import MODELS, FloatArray, Model, ModelConfig
from nautilus.ml.dataset import Dataset

HORIZONS: tuple[int, ...] = (1, 5, 21)


def qlike(realized_var: FloatArray, forecast_var: FloatArray) -> float:
    """Patton's QLIKE loss on variances (0 for a perfect forecast, lower is better)."""
    rv = np.asarray(realized_var, dtype=np.float64)
    f = np.asarray(forecast_var, dtype=np.float64)
    ok = np.isfinite(rv) & np.isfinite(f) & (rv > 0) & (f > 0)
    ratio = rv[ok] / f[ok]
    return float(np.mean(ratio - np.log(ratio) - 1.0))


def mse(realized_var: FloatArray, forecast_var: FloatArray) -> float:
    """Mean squared error of variance forecasts."""
    rv = np.asarray(realized_var, dtype=np.float64)
    f = np.asarray(forecast_var, dtype=np.float64)
    ok = np.isfinite(rv) & np.isfinite(f)
    return float(np.mean((rv[ok] - f[ok]) ** 2))


def _returns(dataset: Dataset, column: str) -> FloatArray:
    if column not in dataset.features.columns:
        raise ValidationError(f"the dataset has no {column!r} column", code="missing_feature")
    r = dataset.features[column].to_numpy(dtype=np.float64)
    finite = np.isfinite(r)
    if finite.mean() < 0.8:
        raise ValidationError(
            f"{column!r} is NaN-heavy ({1 - finite.mean():.0%} missing)",
            code="nan_heavy_features",
        )
    return r


class GarchConfig(ModelConfig):
    """Parameters of the ``arch`` volatility models."""

    kind: Literal["garch", "gjr", "egarch"] = "garch"
    dist: Literal["normal", "t"] = "normal"
    mean: Literal["Constant", "Zero"] = "Constant"
    returns_column: str = "ret"
    simulations: int = Field(500, ge=50, le=100_000, description="EGARCH multi-step paths")
    max_iter: int = Field(1000, ge=1, le=100_000, description="optimiser iterations at most")
    seed: int = Field(0, ge=0)


@MODELS.register("vol.garch", config=GarchConfig, tags=("volatility",))
class GarchForecaster(Model):
    """GARCH(1,1) / GJR-GARCH(1,1,1) / EGARCH(1,1) with horizon 1, 5, 21 forecasts."""

    config_class: ClassVar[type[ModelConfig]] = GarchConfig
    min_rows: ClassVar[int] = 250
    config: GarchConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.result: Any = None
        self.n_train = 0

    def _arch_model(self, r_pct: FloatArray) -> Any:
        from arch import arch_model

        c = self.config
        o = 1 if c.kind in ("gjr", "egarch") else 0
        vol: Literal["EGARCH", "GARCH"] = "EGARCH" if c.kind == "egarch" else "GARCH"
        return arch_model(r_pct, mean=c.mean, vol=vol, p=1, o=o, q=1, dist=c.dist, rescale=False)

    def fit(self, dataset: Dataset) -> GarchForecaster:
        r = _returns(dataset, self.config.returns_column)
        r = r[np.isfinite(r)]
        if r.shape[0] < self.min_rows:
            raise ValidationError(
                f"vol.garch: too little data: {r.shape[0]} returns, at least {self.min_rows}",
                code="too_little_data",
            )
        self.result = self._fit_arch(r * 100.0, last_obs=None)
        self.n_train = r.shape[0]
        self.train_metrics = {"loglikelihood": float(self.result.loglikelihood)}
        return self

    def _fit_arch(self, r_pct: FloatArray, last_obs: int | None) -> Any:
        from arch.utility.exceptions import ConvergenceWarning

        am = self._arch_model(r_pct)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = am.fit(disp="off", last_obs=last_obs,
                         options={"maxiter": self.config.max_iter})
        bad = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        self.converged = bool(res.convergence_flag == 0 and not bad)
        return res

    def forecast_table(self, r: FloatArray, start: int) -> pd.DataFrame:
        """Variance forecasts made at rows ``start..n-1`` of returns ``r`` with the fitted
        parameters: columns ``var_h`` and ``cumvar_h`` for h in :data:`HORIZONS`."""
        if self.result is None:
            raise ConflictError("vol.garch is not fitted", code="model_not_fitted")
        am = self._arch_model(r * 100.0)
        res = am.fix(self.result.params)
        method = "simulation" if self.config.kind == "egarch" else "analytic"
        kw: dict[str, Any] = {}
        if method == "simulation":
            kw = {"simulations": self.config.simulations,
                  "rng": np.random.default_rng(self.config.seed).standard_normal}
        fc = res.forecast(horizon=max(HORIZONS), start=start, reindex=False, method=method, **kw)
        var = fc.variance.to_numpy() / 1e4
        cols: dict[str, FloatArray] = {}
        for h in HORIZONS:
            cols[f"var_{h}"] = var[:, h - 1]
            cols[f"cumvar_{h}"] = var[:, :h].sum(axis=1)
        return pd.DataFrame(cols)

    def predict(self, dataset: Dataset) -> FloatArray:
        """One-day-ahead variance forecast made at each row (NaN before the first return)."""
        r = _returns(dataset, self.config.returns_column)
        ok = np.isfinite(r)
        out = np.full(r.shape[0], np.nan)
        if ok.sum() == 0:
            return out
        out[np.flatnonzero(ok)] = self.forecast_table(r[ok], 0)["var_1"].to_numpy()
        return out

    def evaluate_oos(self, r: FloatArray, split: int) -> dict[str, float]:
        """Fit on ``r[:split]``, forecast 1-day variance for rows ``split-1..n-2`` and score
        against the squared next-day return (QLIKE and MSE)."""
        r = np.asarray(r, dtype=np.float64)
        self.result = self._fit_arch(r * 100.0, last_obs=split)
        f = self.forecast_table(r, split - 1)["var_1"].to_numpy()[:-1]
        realized = (r[split:] - (r[:split].mean() if self.config.mean == "Constant" else 0.0)) ** 2
        return {"qlike": qlike(realized, f), "mse": mse(realized, f), "n": float(f.shape[0])}


def har_design(rv: FloatArray) -> tuple[FloatArray, FloatArray]:
    """HAR regressors at each row ``t`` (``[1, RV_t, mean RV_{t-4..t}, mean RV_{t-21..t}]``)
    and the target ``RV_{t+1}``; rows without a full month or a next value are NaN."""
    s = pd.Series(np.asarray(rv, dtype=np.float64))
    x = np.column_stack([
        np.ones(s.shape[0]),
        s.to_numpy(),
        s.rolling(5, min_periods=5).mean().to_numpy(),
        s.rolling(22, min_periods=22).mean().to_numpy(),
    ])
    y = s.shift(-1).to_numpy()
    return x, y


class HARConfig(ModelConfig):
    """Parameters of HAR-RV."""

    rv_column: str = Field("rv", description="daily realized variance column")


@MODELS.register("vol.har", config=HARConfig, tags=("volatility",))
class HARRV(Model):
    """Heterogeneous autoregressive model of realized variance, fitted by OLS."""

    config_class: ClassVar[type[ModelConfig]] = HARConfig
    min_rows: ClassVar[int] = 100
    config: HARConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.coef: FloatArray = np.zeros(0)

    def fit(self, dataset: Dataset) -> HARRV:
        rv = _returns(dataset, self.config.rv_column)
        x, y = har_design(rv)
        ok = np.isfinite(x).all(axis=1) & np.isfinite(y)
        if ok.sum() < self.min_rows:
            raise ValidationError(
                f"vol.har: too little data: {int(ok.sum())} complete rows, at least "
                f"{self.min_rows}", code="too_little_data",
            )
        self.coef, *_ = np.linalg.lstsq(x[ok], y[ok], rcond=None)
        resid = y[ok] - x[ok] @ self.coef
        self.train_metrics = {"r2": float(1 - resid.var() / y[ok].var())}
        return self

    def predict(self, dataset: Dataset) -> FloatArray:
        """Next-day realized variance forecast made at each row (NaN in the first month)."""
        x, _ = har_design(_returns(dataset, self.config.rv_column))
        return x @ self.coef


def realized_variance_frame(returns: FloatArray) -> pd.DataFrame:
    """Daily realized-variance proxy for daily data: ``ret`` and ``rv = ret**2``."""
    r = np.asarray(returns, dtype=np.float64)
    return pd.DataFrame({"ret": r, "rv": r * r})
