"""Ensemble of the HMM and rule-based regime detectors, with a confidence per regime.

The regime probability is the weighted mean ``w * P_hmm + (1 - w) * onehot_rules`` (both
causal), the regime is its argmax, and ``confidence`` is the top probability. ``agree`` is
True where both detectors' top regimes coincide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.ml.dataset import Dataset
from nautilus.ml.regimes.base import REGIMES
from nautilus.ml.regimes.hmm import HMMRegimeModel
from nautilus.ml.regimes.rules import RuleRegimeDetector


class RegimeEnsemble:
    """Combine a fitted :class:`HMMRegimeModel` and a :class:`RuleRegimeDetector`."""

    def __init__(
        self, hmm: HMMRegimeModel, rules: RuleRegimeDetector, hmm_weight: float = 0.6
    ) -> None:
        if not 0.0 <= hmm_weight <= 1.0:
            raise ValidationError("hmm_weight must lie in [0, 1]", code="invalid_weight")
        self.hmm = hmm
        self.rules = rules
        self.hmm_weight = hmm_weight

    def regimes(self, dataset: Dataset) -> pd.DataFrame:
        """Per bar: one probability column per regime, ``regime`` (name), ``confidence``,
        ``agree``. Rows where either detector is still warming up have ``regime`` None."""
        ph = self.hmm.regime_proba(dataset)
        pr = self.rules.regime_proba(dataset)
        p = self.hmm_weight * ph.to_numpy() + (1.0 - self.hmm_weight) * pr.to_numpy()
        ok = np.isfinite(p).all(axis=1)
        top = np.where(ok, np.nan_to_num(p).argmax(axis=1), -1)
        out = pd.DataFrame(p, columns=list(REGIMES), index=ph.index)
        out["regime"] = [REGIMES[c] if c >= 0 else None for c in top]
        out["confidence"] = np.where(ok, np.nan_to_num(p).max(axis=1), np.nan)
        agree = np.nan_to_num(ph.to_numpy()).argmax(axis=1) == np.nan_to_num(
            pr.to_numpy()).argmax(axis=1)
        out["agree"] = agree & ok
        return out
