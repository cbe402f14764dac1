"""Honest validation: labels with spans, purged and embargoed walk-forward, combinatorial
purged cross-validation (López de Prado, *Advances in Financial Machine Learning*, ch. 7 and 12).

Conventions
-----------
* Row ``i`` has a label that depends on prices from ``t0[i]`` to ``t1[i]`` (int ns UTC,
  ``t0 <= t1``). A training row is *purged* when its span overlaps a test block's span
  ``[min t0, max t1]`` (closed intervals: touching counts as overlap).
* The *embargo* drops the ``embargo`` rows (bars) right after each test block from training,
  because features of those rows still carry information from the test period (serial
  correlation).
* Test blocks are contiguous runs of test positions; each is purged and embargoed separately.
* Every score reported by :func:`walk_forward_scores` is out of sample: a model is fitted on
  the purged training rows of a split and scored on that split's test rows only.

>>> t0 = np.arange(10); t1 = t0 + 2
>>> purge(np.arange(10), t0, t1, np.array([4, 5]), embargo=1).tolist()
[0, 1, 8, 9]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from nautilus.core.errors import ValidationError
from nautilus.ml.base import Model
from nautilus.ml.dataset import Dataset

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def contiguous_blocks(idx: IntArray) -> list[IntArray]:
    """Split sorted positions into runs of consecutive integers."""
    idx = np.sort(np.asarray(idx, dtype=np.int64))
    if idx.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(idx) != 1) + 1
    return list(np.split(idx, cuts))


def purge(
    train_idx: IntArray, t0: npt.ArrayLike, t1: npt.ArrayLike, test_idx: IntArray,
    embargo: int = 0,
) -> IntArray:
    """Training positions left after purging overlaps with, and embargoing after, each test
    block (see the module docstring)."""
    t0a = np.asarray(t0, dtype=np.int64)
    t1a = np.asarray(t1, dtype=np.int64)
    train = np.asarray(train_idx, dtype=np.int64)
    keep = np.ones(train.shape[0], dtype=bool)
    for block in contiguous_blocks(test_idx):
        start = t0a[block].min()
        end = t1a[block].max()
        keep &= ~((t0a[train] <= end) & (t1a[train] >= start))
        last = block[-1]
        keep &= ~((train > last) & (train <= last + embargo))
    return train[keep]


@dataclass(frozen=True)
class Split:
    """One train/test split (positions) and, for CPCV, the test group numbers."""

    train: IntArray
    test: IntArray
    groups: tuple[int, ...] = field(default=())


def purged_walk_forward(
    t0: npt.ArrayLike, t1: npt.ArrayLike, n_splits: int = 5, embargo: int = 0,
    min_train: int = 1, expanding: bool = True,
) -> list[Split]:
    """Walk-forward splits: the rows are cut into ``n_splits + 1`` equal folds; split ``k``
    tests fold ``k`` and trains on the folds before it (all of them if ``expanding``, else
    only the previous one), purged against the test span. Splits whose training set has
    fewer than ``min_train`` rows are dropped."""
    n = np.asarray(t0).shape[0]
    if n_splits < 1 or n < n_splits + 1:
        raise ValidationError(
            f"walk-forward needs at least {n_splits + 1} rows, got {n}", code="too_little_data"
        )
    bounds = np.linspace(0, n, n_splits + 2).astype(np.int64)
    out = []
    for k in range(1, n_splits + 1):
        test = np.arange(bounds[k], bounds[k + 1])
        lo = 0 if expanding else bounds[k - 1]
        train = purge(np.arange(lo, bounds[k]), t0, t1, test, embargo)
        if train.shape[0] >= min_train:
            out.append(Split(train, test, (k,)))
    return out


def combinatorial_purged_cv(
    t0: npt.ArrayLike, t1: npt.ArrayLike, n_groups: int = 6, n_test_groups: int = 2,
    embargo: int = 0,
) -> list[Split]:
    """CPCV: rows cut into ``n_groups`` contiguous groups; every choice of ``n_test_groups``
    groups is a test set, the rest (purged and embargoed) the training set. There are
    C(n_groups, n_test_groups) splits and C(n_groups - 1, n_test_groups - 1) backtest paths."""
    n = np.asarray(t0).shape[0]
    if not 1 <= n_test_groups < n_groups or n < n_groups:
        raise ValidationError(
            "CPCV needs 1 <= n_test_groups < n_groups <= rows", code="invalid_cv"
        )
    groups = np.array_split(np.arange(n), n_groups)
    out = []
    for combo in itertools.combinations(range(n_groups), n_test_groups):
        test = np.concatenate([groups[g] for g in combo])
        rest = np.concatenate([groups[g] for g in range(n_groups) if g not in combo])
        out.append(Split(purge(rest, t0, t1, test, embargo), test, combo))
    return out


def fixed_horizon_labels(
    ts: npt.ArrayLike, close: npt.ArrayLike, horizon: int, threshold: float = 0.0
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Label 1.0 if the ``horizon``-bar forward log return exceeds ``threshold``, else 0.0.

    Returns ``(label, fwd_return, t0, t1)`` with ``t0 = ts[i]``, ``t1 = ts[i + horizon]``;
    the last ``horizon`` rows have NaN label and ``t1 = ts[-1]``.
    """
    tsa = np.asarray(ts, dtype=np.int64)
    lc = np.log(np.asarray(close, dtype=np.float64))
    n = lc.shape[0]
    fwd = np.full(n, np.nan)
    fwd[: n - horizon] = lc[horizon:] - lc[: n - horizon]
    label = np.where(np.isfinite(fwd), (fwd > threshold).astype(np.float64), np.nan)
    t1 = tsa[np.minimum(np.arange(n) + horizon, n - 1)]
    return label, fwd, tsa.copy(), t1


def triple_barrier_labels(
    ts: npt.ArrayLike, close: npt.ArrayLike, vol: npt.ArrayLike, *, profit_take: float = 2.0,
    stop_loss: float = 2.0, max_holding: int = 10,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Triple-barrier labels: from bar ``i`` the upper barrier is ``+profit_take * vol[i]``
    and the lower ``-stop_loss * vol[i]`` in log return (``vol`` per bar, e.g. a rolling std
    of log returns), the vertical barrier ``max_holding`` bars later.

    Returns ``(label, ret, t0, t1)``: label +1 (upper touched first), -1 (lower first) or 0
    (vertical barrier; ``ret`` is the log return at exit), ``t1`` the exit time. Rows with
    NaN vol or fewer than ``max_holding`` future bars get NaN label and ``t1 = ts[-1]``.
    """
    tsa = np.asarray(ts, dtype=np.int64)
    lc = np.log(np.asarray(close, dtype=np.float64))
    v = np.asarray(vol, dtype=np.float64)
    n = lc.shape[0]
    h = max_holding
    label = np.full(n, np.nan)
    ret = np.full(n, np.nan)
    t1 = np.full(n, tsa[-1], dtype=np.int64)
    m = n - h
    if m <= 0:
        return label, ret, tsa.copy(), t1
    path = sliding_window_view(lc, h + 1)[:m] - lc[:m, None]  # (m, h+1), path[:, 0] = 0
    up = path[:, 1:] >= (profit_take * v[:m])[:, None]
    dn = path[:, 1:] <= (-stop_loss * v[:m])[:, None]
    first_up = np.where(up.any(axis=1), up.argmax(axis=1), h)
    first_dn = np.where(dn.any(axis=1), dn.argmax(axis=1), h)
    exit_step = np.minimum(np.minimum(first_up, first_dn), h - 1) + 1
    lab = np.where(first_up < first_dn, 1.0, np.where(first_dn < first_up, -1.0, 0.0))
    ok = np.isfinite(v[:m])
    rows = np.arange(m)
    label[:m] = np.where(ok, lab, np.nan)
    ret[:m] = np.where(ok, path[rows, exit_step], np.nan)
    t1[:m] = np.where(ok, tsa[rows + exit_step], tsa[-1])
    return label, ret, tsa.copy(), t1


Scorer = Callable[[FloatArray, FloatArray], dict[str, float]]


@dataclass
class WalkForwardResult:
    """Out-of-sample predictions (NaN where a row was never tested) and per-split scores."""

    oos_pred: FloatArray
    split_scores: list[dict[str, float]]

    def mean_scores(self) -> dict[str, float]:
        keys = self.split_scores[0].keys() if self.split_scores else []
        return {k: float(np.mean([s[k] for s in self.split_scores])) for k in keys}


def walk_forward_scores(
    make_model: Callable[[], Model], dataset: Dataset, splits: list[Split], scorer: Scorer,
    on_split: Callable[[int, int], None] | None = None,
) -> WalkForwardResult:
    """Fit a fresh model per split on its training rows, score it on its test rows.

    ``dataset.label`` must be set. For CPCV a row is tested several times: ``oos_pred`` keeps
    the last prediction, the scores keep every split.
    """
    if dataset.label is None:
        raise ValidationError("walk-forward needs a labelled dataset", code="missing_label")
    if not splits:
        raise ValidationError("no usable splits (too little data?)", code="too_little_data")
    pred = np.full(len(dataset), np.nan)
    scores: list[dict[str, float]] = []
    for i, sp in enumerate(splits):
        model = make_model().fit(dataset.take(sp.train))
        test = dataset.take(sp.test)
        p = model.predict(test)
        pred[sp.test] = p
        y = np.asarray(test.label, dtype=np.float64)
        ok = np.isfinite(p) & np.isfinite(y)
        scores.append(scorer(y[ok], p[ok]) | {"n_test": float(ok.sum())})
        if on_split is not None:
            on_split(i + 1, len(splits))
    return WalkForwardResult(pred, scores)


def classification_scores(y: FloatArray, p: FloatArray) -> dict[str, float]:
    """Hit rate, log-loss (nats) and Brier score of probabilities ``p`` for 0/1 labels ``y``."""
    from nautilus.ml.forecast.direction import hit_rate, log_loss

    return {
        "hit_rate": hit_rate(y, p),
        "log_loss": log_loss(y, p),
        "brier": float(np.mean((np.asarray(p) - np.asarray(y)) ** 2)),
    }
