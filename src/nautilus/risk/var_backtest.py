"""VaR backtests: Kupiec proportion of failures and Christoffersen independence / conditional
coverage likelihood-ratio tests on a series of exceptions (loss > VaR)."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import numpy as np
from scipy import stats

from nautilus.core.errors import ValidationError


class VarBacktest(msgspec.Struct, frozen=True, kw_only=True):
    periods: int
    exceptions: int
    expected: float
    lr_pof: float
    p_pof: float
    lr_ind: float
    p_ind: float
    lr_cc: float
    p_cc: float


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


def var_backtest(losses: Any, var: Any, *, confidence: float = 0.99) -> VarBacktest:
    """Test realised ``losses`` (positive = loss) against forecast ``var`` of each period."""
    loss = np.asarray(losses, dtype=np.float64).reshape(-1)
    v = np.broadcast_to(np.asarray(var, dtype=np.float64), loss.shape)
    if loss.size < 2:
        raise ValidationError("need at least 2 periods", code="too_few_periods")
    if not 0.5 < confidence < 1.0:
        raise ValidationError(
            f"confidence must be in (0.5, 1), got {confidence}", code="out_of_range"
        )
    hits = (loss > v).astype(np.int64)
    t, x = hits.size, int(hits.sum())
    p = 1.0 - confidence
    phat = x / t
    lr_pof = -2.0 * (
        _xlogy(t - x, 1 - p) + _xlogy(x, p) - _xlogy(t - x, 1 - phat) - _xlogy(x, phat)
    )
    prev, curr = hits[:-1], hits[1:]
    n00 = int(((prev == 0) & (curr == 0)).sum())
    n01 = int(((prev == 0) & (curr == 1)).sum())
    n10 = int(((prev == 1) & (curr == 0)).sum())
    n11 = int(((prev == 1) & (curr == 1)).sum())
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    lr_ind = -2.0 * (
        _xlogy(n00 + n10, 1 - pi)
        + _xlogy(n01 + n11, pi)
        - _xlogy(n00, 1 - pi0)
        - _xlogy(n01, pi0)
        - _xlogy(n10, 1 - pi1)
        - _xlogy(n11, pi1)
    )
    lr_ind = max(lr_ind, 0.0)
    lr_cc = lr_pof + lr_ind
    return VarBacktest(
        periods=t,
        exceptions=x,
        expected=p * t,
        lr_pof=lr_pof,
        p_pof=float(stats.chi2.sf(lr_pof, 1)),
        lr_ind=lr_ind,
        p_ind=float(stats.chi2.sf(lr_ind, 1)),
        lr_cc=lr_cc,
        p_cc=float(stats.chi2.sf(lr_cc, 2)),
    )
