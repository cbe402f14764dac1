"""Overfitting statistics for parameter searches.

- :func:`deflated_sharpe_ratio` (Bailey & López de Prado, 2014): the probability that the true
  Sharpe ratio of the selected strategy exceeds the expected maximum Sharpe ratio of
  ``n_trials`` unskilled trials. Sharpe ratios are **per period** (not annualised); ``kurtosis``
  is the ordinary (non-excess) kurtosis, 3 for a normal distribution.
- :func:`probability_of_backtest_overfitting` (Bailey, Borwein, López de Prado & Zhu, CSCV): the
  share of combinatorial in-sample / out-of-sample splits in which the in-sample best trial
  ranks at or below the out-of-sample median.

>>> round(deflated_sharpe_ratio(2.5 / 250**0.5, 100, 0.5 / 250, 1250, -3.0, 10.0), 3)
0.9
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum per-period Sharpe of ``n_trials`` trials whose true Sharpe is zero."""
    if n_trials < 1:
        raise ValidationError("n_trials must be >= 1", code="out_of_range")
    if n_trials == 1:
        return 0.0
    g = EULER_GAMMA
    z = (1 - g) * _NORMAL.inv_cdf(1 - 1 / n_trials) + g * _NORMAL.inv_cdf(
        1 - 1 / (n_trials * math.e)
    )
    return math.sqrt(max(sharpe_variance, 0.0)) * float(z)


def probabilistic_sharpe_ratio(
    sharpe: float,
    benchmark_sharpe: float,
    n_obs: int,
    skew: float,
    kurtosis: float,
) -> float:
    """P(true SR > ``benchmark_sharpe``) given an observed per-period ``sharpe`` over ``n_obs``
    returns with the given skew and (non-excess) kurtosis."""
    if n_obs < 2:
        raise ValidationError("need at least 2 observations", code="out_of_range")
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe
    if denom <= 0:
        raise ValidationError(
            "skew/kurtosis give a non-positive variance term", code="out_of_range"
        )
    return _NORMAL.cdf((sharpe - benchmark_sharpe) * math.sqrt(n_obs - 1) / math.sqrt(denom))


def deflated_sharpe_ratio(
    sharpe: float,
    n_trials: int,
    sharpe_variance: float,
    n_obs: int,
    skew: float,
    kurtosis: float,
) -> float:
    """Deflated Sharpe ratio: PSR against the expected maximum Sharpe of ``n_trials`` trials.

    ``sharpe_variance`` is the variance of the per-period Sharpe ratios across the trials.
    """
    return probabilistic_sharpe_ratio(
        sharpe, expected_max_sharpe(n_trials, sharpe_variance), n_obs, skew, kurtosis
    )


@dataclass(frozen=True, slots=True)
class PBOResult:
    """CSCV outcome: PBO, the logits per split and the OOS rank of each IS-best trial."""

    pbo: float
    logits: npt.NDArray[np.float64]
    n_splits: int
    oos_rank: npt.NDArray[np.float64]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pbo": self.pbo,
            "n_splits": self.n_splits,
            "logit_median": float(np.median(self.logits)),
        }


def _sharpe_cols(block: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    mu = block.mean(axis=0)
    sd = block.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(sd > 0, mu / sd, 0.0)
    return out


def probability_of_backtest_overfitting(
    returns: Any,
    n_blocks: int = 10,
    max_splits: int | None = None,
    seed: int = 0,
) -> PBOResult:
    """PBO by combinatorially symmetric cross-validation.

    ``returns`` is (periods, trials): each column the per-period returns of one trial of the
    search. Rows are cut into ``n_blocks`` (even) contiguous blocks; every choice of half of
    them is the in-sample set, the rest out-of-sample. Performance is the per-period Sharpe.
    The IS-best trial's OOS relative rank ``w = rank / (trials + 1)`` gives the logit
    ``log(w / (1 - w))``; PBO is the share of logits <= 0. With ``max_splits`` a seeded sample of
    the splits is used.
    """
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ValidationError(
            f"returns must be (periods, trials >= 2), got shape {m.shape}", code="bad_shape"
        )
    if n_blocks < 2 or n_blocks % 2:
        raise ValidationError(
            f"n_blocks must be even and >= 2, got {n_blocks}", code="out_of_range"
        )
    if m.shape[0] < 2 * n_blocks:
        raise ValidationError(
            f"{m.shape[0]} periods are too few for {n_blocks} blocks", code="out_of_range"
        )
    if not np.isfinite(m).all():
        raise ValidationError("returns contain NaN or inf", code="non_finite")
    blocks = np.array_split(np.arange(m.shape[0]), n_blocks)
    splits = list(itertools.combinations(range(n_blocks), n_blocks // 2))
    if max_splits is not None and len(splits) > max_splits:
        rng = np.random.default_rng(seed)
        splits = [splits[i] for i in sorted(rng.choice(len(splits), max_splits, replace=False))]
    n_trials = m.shape[1]
    logits = np.empty(len(splits))
    ranks = np.empty(len(splits))
    for s, chosen in enumerate(splits):
        is_rows = np.concatenate([blocks[b] for b in chosen])
        oos_rows = np.concatenate([blocks[b] for b in range(n_blocks) if b not in chosen])
        best = int(np.argmax(_sharpe_cols(m[is_rows])))
        oos = _sharpe_cols(m[oos_rows])
        # rank 1 = worst; ties share the average rank
        rank = float((oos < oos[best]).sum() + 0.5 * ((oos == oos[best]).sum() - 1) + 1)
        w = rank / (n_trials + 1)
        ranks[s] = rank
        logits[s] = math.log(w / (1 - w))
    return PBOResult(float((logits <= 0).mean()), logits, len(splits), ranks)
