"""Hierarchical risk parity (López de Prado, 2016), in numpy.

Distance ``d_ij = sqrt((1 - ρ_ij) / 2)``; single-linkage clustering (scipy); assets ordered by
the dendrogram's leaves (quasi-diagonalisation); weights by recursive bisection of the ordered
list, each half receiving ``1 - V_a / (V_a + V_b)`` of its parent's weight, where ``V`` is the
variance of the half's inverse-variance portfolio. Long-only, fully invested, no constraints.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.cluster.hierarchy as sch
from scipy.spatial.distance import squareform

Vector = npt.NDArray[np.float64]


def quasi_diagonal_order(
    corr: npt.NDArray[np.float64], method: str = "single"
) -> npt.NDArray[np.int64]:
    dist = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))
    np.fill_diagonal(dist, 0.0)
    link = sch.linkage(squareform(dist, checks=False), method)
    return np.asarray(sch.to_tree(link, rd=False).pre_order(), dtype=np.int64)


def _cluster_variance(cov: npt.NDArray[np.float64], idx: npt.NDArray[np.int64]) -> float:
    sub = cov[np.ix_(idx, idx)]
    ivp = 1.0 / np.diag(sub)
    ivp /= ivp.sum()
    return float(ivp @ sub @ ivp)


def hrp_weights(
    cov: npt.NDArray[np.float64],
    corr: npt.NDArray[np.float64] | None = None,
    method: str = "single",
) -> Vector:
    """HRP weights in the original asset order (sum to one, all >= 0)."""
    c = np.asarray(cov, dtype=np.float64)
    if corr is None:
        sd = np.sqrt(np.diag(c))
        corr = c / np.outer(sd, sd)
    order = quasi_diagonal_order(corr, method)
    w = np.ones(c.shape[0])
    clusters = [order]
    while clusters:
        clusters = [
            part
            for cl in clusters
            if len(cl) > 1
            for part in (cl[: len(cl) // 2], cl[len(cl) // 2 :])
        ]
        for i in range(0, len(clusters), 2):
            left, right = clusters[i], clusters[i + 1]
            v_left, v_right = _cluster_variance(c, left), _cluster_variance(c, right)
            alpha = 1.0 - v_left / (v_left + v_right)
            w[left] *= alpha
            w[right] *= 1.0 - alpha
    return w
