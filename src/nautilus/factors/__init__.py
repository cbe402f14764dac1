"""Factor library, expression language, point-in-time synthesis and evaluation.

Importing the package registers the built-in factors in ``FACTORS`` (Alpha158, style,
multi-source) and the ``factors.compute_set`` job kind.
"""

from __future__ import annotations

from nautilus.factors import alpha158, style, synthesis
from nautilus.factors.expr import Evaluator, evaluate, parse
from nautilus.factors.job import FactorSetParams, compute_factor_set
from nautilus.factors.library import FACTORS, Factor, by_tag, compute, compute_many, resolve
from nautilus.factors.panel import Panel, synthetic_panel
from nautilus.factors.synthesis import align_asof_facts, align_asof_macro, trailing_sum_asof

__all__ = [
    "FACTORS",
    "Evaluator",
    "Factor",
    "FactorSetParams",
    "Panel",
    "align_asof_facts",
    "align_asof_macro",
    "alpha158",
    "by_tag",
    "compute",
    "compute_factor_set",
    "compute_many",
    "evaluate",
    "parse",
    "resolve",
    "style",
    "synthesis",
    "synthetic_panel",
    "trailing_sum_asof",
]
