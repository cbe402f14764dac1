"""Gaussian-HMM market regimes with *filtered* (causal) state probabilities.

The model is hmmlearn's ``GaussianHMM`` fitted on the features of
:func:`nautilus.ml.dataset.regime_features` (log return and log rolling volatility). For
strategies and backtests only the filtered probability ``P(state_t | x_1..x_t)`` is used: it is
computed here by a forward pass in log space over the fitted parameters. hmmlearn's
``predict_proba`` is the *smoothed* probability ``P(state_t | x_1..x_T)``, which looks ahead,
and is never used for signals.

Each hidden state gets one of the six regime names by the rules of
:mod:`nautilus.ml.regimes.base`, applied once at fit time to the state's own numbers: drift =
the state's mean log return x 252, vol percentile = the share of training-window rolling vols
below the state's return standard deviation, drawdown = the mean drawdown of the training rows
whose filtered argmax is that state. Several states may share a name; a regime's probability is
the sum over its states.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy.special import logsumexp

from nautilus.ml.base import MODELS, FloatArray, Model, ModelConfig
from nautilus.ml.dataset import TRADING_DAYS, Dataset, check_training_data, drawdown
from nautilus.ml.regimes.base import REGIMES, RegimeThresholds, name_regimes


class HMMRegimeConfig(ModelConfig):
    """Parameters of the HMM regime model."""

    n_states: int = Field(4, ge=2, le=8, description="hidden states")
    covariance_type: Literal["full", "diag"] = "full"
    n_iter: int = Field(200, ge=1, le=10_000, description="EM iterations at most")
    tol: float = Field(1e-4, gt=0, description="EM stops when the log-likelihood gains less")
    seed: int = Field(0, ge=0)
    thresholds: RegimeThresholds = RegimeThresholds()


def gaussian_log_density(x: FloatArray, means: FloatArray, covars: FloatArray) -> FloatArray:
    """``log N(x_t; mean_k, cov_k)`` for every row ``t`` and state ``k``: shape (T, K)."""
    t, d = x.shape
    out = np.empty((t, means.shape[0]))
    for k in range(means.shape[0]):
        chol = np.linalg.cholesky(covars[k])
        z = np.linalg.solve(chol, (x - means[k]).T)
        out[:, k] = (
            -0.5 * np.sum(z * z, axis=0)
            - np.sum(np.log(np.diag(chol)))
            - 0.5 * d * np.log(2.0 * np.pi)
        )
    return out


def forward_filter(
    log_start: FloatArray, log_trans: FloatArray, log_emission: FloatArray
) -> FloatArray:
    """Normalised forward recursion in log space: ``log P(state_t | x_1..x_t)``, shape (T, K).

    ``log alpha_t(j) = log b_j(x_t) + logsumexp_i(log alpha_{t-1}(i) + log A_ij)``, then
    normalised by its own logsumexp. The logsumexp over ``i`` is taken with the max-shift
    (``m + log sum_i exp(a_i - m) A_ij``), so no value leaves the floating range however
    long the series. Rows of ``log_emission`` that are all zero carry no observation.
    """
    t_len, k = log_emission.shape
    trans = np.exp(log_trans)
    out = np.empty((t_len, k))
    prev = log_start + log_emission[0]
    prev = prev - logsumexp(prev)
    out[0] = prev
    for t in range(1, t_len):
        m = prev.max()
        with np.errstate(divide="ignore"):
            cur = m + np.log(np.exp(prev - m) @ trans) + log_emission[t]
        top = cur.max()
        prev = cur - (top + np.log(np.exp(cur - top).sum()))
        out[t] = prev
    return out


@MODELS.register("regime.hmm", config=HMMRegimeConfig, tags=("regime",))
class HMMRegimeModel(Model):
    """Gaussian HMM over return and volatility features, states named by the regime rules."""

    config_class: ClassVar[type[ModelConfig]] = HMMRegimeConfig
    min_rows: ClassVar[int] = 250
    config: HMMRegimeConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.hmm: Any = None
        self.state_regime: np.ndarray[Any, np.dtype[np.int64]] = np.zeros(0, dtype=np.int64)

    def fit(self, dataset: Dataset) -> HMMRegimeModel:
        from hmmlearn.hmm import GaussianHMM

        cfg = self.config
        clean = check_training_data(
            dataset, min_rows=max(self.min_rows, 20 * cfg.n_states), model="regime.hmm"
        )
        self.feature_names = list(clean.features.columns)
        x = clean.X
        hmm = GaussianHMM(
            n_components=cfg.n_states, covariance_type=cfg.covariance_type,
            n_iter=cfg.n_iter, tol=cfg.tol, random_state=cfg.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hmm.fit(x)
        mon = hmm.monitor_
        # Converged = the last EM step changed the log-likelihood by less than tol, allowing a
        # decrease of numerical size (hmmlearn's covariance floor makes EM not exactly
        # monotone); running out of iterations is not convergence.
        hist = list(mon.history)
        self.converged = bool(
            len(hist) >= 2
            and abs(hist[-1] - hist[-2]) < max(cfg.tol, 1e-5 * abs(hist[-1]))
        )
        self.hmm = hmm
        self.state_regime = self._name_states(clean)
        logp = self.filtered_log_proba(x)
        self.train_metrics = {
            "log_likelihood": float(hmm.score(x)),
            "n_iter": float(mon.iter),
            "mean_max_prob": float(np.exp(logp.max(axis=1)).mean()),
        }
        return self

    def _name_states(self, clean: Dataset) -> np.ndarray[Any, np.dtype[np.int64]]:
        cols = self.feature_names
        ri = cols.index("ret") if "ret" in cols else 0
        x = clean.X
        covars = np.asarray(self.hmm.covars_)
        drift = self.hmm.means_[:, ri] * TRADING_DAYS
        state_vol = np.sqrt(covars[:, ri, ri])
        if "logvol" in cols:
            hist_vol = np.exp(x[:, cols.index("logvol")])
        else:
            hist_vol = pd.Series(x[:, ri]).rolling(21).std().dropna().to_numpy()
        vol_pct = np.array([np.mean(hist_vol < v) for v in state_vol])
        if clean.close is not None:
            dd = drawdown(clean.close)
        else:
            dd = drawdown(np.exp(np.cumsum(x[:, ri])))
        assigned = self.filtered_log_proba(x).argmax(axis=1)
        mean_dd = np.array([
            dd[assigned == k].mean() if np.any(assigned == k) else 0.0
            for k in range(self.config.n_states)
        ])
        return name_regimes(drift, vol_pct, mean_dd, self.config.thresholds)

    def _require_fitted(self) -> None:
        if self.hmm is None:
            from nautilus.core.errors import ConflictError

            raise ConflictError("regime.hmm is not fitted", code="model_not_fitted")

    def filtered_log_proba(self, x: FloatArray) -> FloatArray:
        """Causal ``log P(state_t | x_1..x_t)`` for rows of ``x`` (NaN rows carry the prior)."""
        self._require_fitted()
        x = np.asarray(x, dtype=np.float64)
        ok = np.isfinite(x).all(axis=1)
        log_b = np.zeros((x.shape[0], self.config.n_states))
        if ok.any():
            log_b[ok] = gaussian_log_density(x[ok], self.hmm.means_, np.asarray(self.hmm.covars_))
        with np.errstate(divide="ignore"):
            log_start = np.log(self.hmm.startprob_)
            log_trans = np.log(self.hmm.transmat_)
        return forward_filter(log_start, log_trans, log_b)

    def filtered_proba(self, x: FloatArray) -> FloatArray:
        """Causal state probabilities (T, n_states); each row sums to one."""
        return np.exp(self.filtered_log_proba(x))

    def regime_proba(self, dataset: Dataset) -> pd.DataFrame:
        """Filtered probability of each of the six regimes per row (NaN during warm-up, i.e.
        before the first complete feature row); columns are :data:`REGIMES`, index ``ts``."""
        x = dataset.features[self.feature_names].to_numpy(dtype=np.float64)
        p = self.filtered_proba(x)
        out = np.zeros((x.shape[0], len(REGIMES)))
        for k, code in enumerate(self.state_regime):
            out[:, code] += p[:, k]
        started = np.maximum.accumulate(np.isfinite(x).all(axis=1))
        out[~started] = np.nan
        return pd.DataFrame(out, columns=list(REGIMES), index=pd.Index(dataset.ts, name="ts"))

    def predict(self, dataset: Dataset) -> FloatArray:
        """Most probable regime code per row (filtered; NaN during warm-up)."""
        p = self.regime_proba(dataset).to_numpy()
        code = np.full(p.shape[0], np.nan)
        ok = np.isfinite(p).all(axis=1)
        code[ok] = p[ok].argmax(axis=1)
        return code
