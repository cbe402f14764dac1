"""Market regimes: six named regimes from a Gaussian HMM (filtered), rules, and an ensemble."""

from __future__ import annotations

from nautilus.ml.regimes.base import REGIMES, RegimeThresholds, name_regime, name_regimes
from nautilus.ml.regimes.ensemble import RegimeEnsemble
from nautilus.ml.regimes.hmm import HMMRegimeModel, forward_filter
from nautilus.ml.regimes.rules import RuleRegimeDetector

__all__ = [
    "REGIMES",
    "HMMRegimeModel",
    "RegimeEnsemble",
    "RegimeThresholds",
    "RuleRegimeDetector",
    "forward_filter",
    "name_regime",
    "name_regimes",
]
