"""Purged / embargoed walk-forward, CPCV, and labels against hand-built cases and loops."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from nautilus.core.errors import ValidationError
from nautilus.ml.dataset import Dataset, daily_ts, direction_features, synthetic_regimes
from nautilus.ml.forecast.direction import LogisticDirection
from nautilus.ml.validation import (
    classification_scores,
    combinatorial_purged_cv,
    contiguous_blocks,
    fixed_horizon_labels,
    purge,
    purged_walk_forward,
    triple_barrier_labels,
    walk_forward_scores,
)


def test_purge_hand_built_intervals() -> None:
    # label spans in ns: row i looks at [10 i, 10 i + 25] (2.5 bars ahead)
    t0 = np.arange(12) * 10
    t1 = t0 + 25
    test = np.array([5, 6])  # span [50, 85]
    train = np.setdiff1d(np.arange(12), test)
    kept = purge(train, t0, t1, test, embargo=0)
    # row 3: [30, 55] overlaps 50; row 4: [40, 65] overlaps; row 2: [20, 45] does not
    # rows 7, 8: start 70, 80 <= 85 overlap; row 9 starts at 90 > 85
    assert kept.tolist() == [0, 1, 2, 9, 10, 11]
    # the embargo counts bars after the test block's last row (6): 7, 8 (already purged), 9
    assert purge(train, t0, t1, test, embargo=2).tolist() == [0, 1, 2, 9, 10, 11]
    assert purge(train, t0, t1, test, embargo=3).tolist() == [0, 1, 2, 10, 11]
    # touching endpoints count as overlap
    assert purge(np.array([0]), [0, 50], [50, 60], np.array([1]), 0).tolist() == []


def test_purge_handles_several_test_blocks_separately() -> None:
    t0 = np.arange(20)
    t1 = t0 + 1
    test = np.array([4, 5, 12, 13])
    kept = purge(np.setdiff1d(np.arange(20), test), t0, t1, test, embargo=1)
    # block [4,5] span [4,6]: purge 3 (ends 4), 6 (starts 6); embargo removes 6
    # block [12,13] span [12,14]: purge 11, 14; embargo removes 14
    assert kept.tolist() == [0, 1, 2, 7, 8, 9, 10, 15, 16, 17, 18, 19]
    assert [b.tolist() for b in contiguous_blocks(test)] == [[4, 5], [12, 13]]


def test_walk_forward_never_trains_on_overlapping_labels() -> None:
    n = 300
    t0 = np.arange(n, dtype=np.int64) * 1000
    t1 = t0 + 5 * 1000  # 5-bar labels
    splits = purged_walk_forward(t0, t1, n_splits=4, embargo=3)
    assert len(splits) == 4
    for sp in splits:
        start, end = t0[sp.test].min(), t1[sp.test].max()
        assert not np.any((t0[sp.train] <= end) & (t1[sp.train] >= start))
        assert sp.train.max() < sp.test.min()  # walk-forward: the past only
        assert sp.test.min() - sp.train.max() == 6  # 5-bar label + touching endpoint
    # expanding windows grow
    assert [len(s.train) for s in splits] == sorted(len(s.train) for s in splits)


def test_cpcv_counts_and_purging() -> None:
    n = 120
    t0 = np.arange(n)
    t1 = t0 + 2
    splits = combinatorial_purged_cv(t0, t1, n_groups=6, n_test_groups=2, embargo=1)
    assert len(splits) == comb(6, 2)
    tested = np.zeros(n, dtype=int)
    for sp in splits:
        tested[sp.test] += 1
        assert np.intersect1d(sp.train, sp.test).size == 0
        for block in contiguous_blocks(sp.test):
            s, e = t0[block].min(), t1[block].max()
            assert not np.any((t0[sp.train] <= e) & (t1[sp.train] >= s))
            assert block[-1] + 1 not in sp.train  # embargo
    # each row sits in comb(5, 1) test sets = the number of backtest paths
    assert (tested == comb(5, 1)).all()
    with pytest.raises(ValidationError):
        combinatorial_purged_cv(t0, t1, n_groups=3, n_test_groups=3)


def test_fixed_horizon_labels_match_shifted_returns() -> None:
    rets, _ = synthetic_regimes(50, seed=2)
    close = 100 * np.exp(np.cumsum(rets))
    ts = daily_ts(50)
    label, fwd, t0, t1 = fixed_horizon_labels(ts, close, horizon=3, threshold=0.001)
    ref = np.log(close[3:] / close[:-3])
    np.testing.assert_allclose(fwd[:-3], ref, rtol=0, atol=1e-14)
    assert np.isnan(label[-3:]).all()
    np.testing.assert_array_equal(label[:-3], (ref > 0.001).astype(float))
    np.testing.assert_array_equal(t1[:-3], ts[3:])
    np.testing.assert_array_equal(t0, ts)


def _triple_barrier_loop(ts, close, vol, pt, sl, h):  # type: ignore[no-untyped-def]
    n = len(close)
    lab, ret, t1 = np.full(n, np.nan), np.full(n, np.nan), np.full(n, ts[-1])
    for i in range(n - h):
        if not np.isfinite(vol[i]):
            continue
        for j in range(i + 1, i + h + 1):
            r = np.log(close[j] / close[i])
            if r >= pt * vol[i]:
                lab[i], ret[i], t1[i] = 1, r, ts[j]
                break
            if r <= -sl * vol[i]:
                lab[i], ret[i], t1[i] = -1, r, ts[j]
                break
        else:
            lab[i], ret[i], t1[i] = 0, np.log(close[i + h] / close[i]), ts[i + h]
    return lab, ret, t1


def test_triple_barrier_matches_a_plain_loop() -> None:
    rets, _ = synthetic_regimes(400, seed=5)
    close = 100 * np.exp(np.cumsum(rets))
    ts = daily_ts(400)
    vol = direction_features(close)["vol_21"].to_numpy()
    lab, ret, t0, t1 = triple_barrier_labels(
        ts, close, vol, profit_take=1.5, stop_loss=1.0, max_holding=7
    )
    ref_lab, ref_ret, ref_t1 = _triple_barrier_loop(ts, close, vol, 1.5, 1.0, 7)
    np.testing.assert_array_equal(lab, ref_lab)
    np.testing.assert_allclose(ret, ref_ret, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(t1, ref_t1)
    np.testing.assert_array_equal(t0, ts)
    assert {-1.0, 0.0, 1.0} <= set(lab[np.isfinite(lab)])


def test_walk_forward_scores_are_out_of_sample() -> None:
    rng = np.random.default_rng(3)
    n = 600
    x = rng.standard_normal((n, 3))
    y = (x[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(float)
    ts = daily_ts(n)
    import pandas as pd

    ds = Dataset(ts=ts, features=pd.DataFrame(x, columns=["a", "b", "c"]), label=y,
                 label_start=ts, label_end=np.r_[ts[1:], ts[-1]])
    splits = purged_walk_forward(ds.label_start, ds.label_end, n_splits=3, embargo=2)
    res = walk_forward_scores(lambda: LogisticDirection(), ds, splits, classification_scores)
    # the first fold is never tested; every other row is predicted by a model not fitted on it
    first_test = splits[0].test.min()
    assert np.isnan(res.oos_pred[:first_test]).all()
    assert np.isfinite(res.oos_pred[first_test:]).all()
    # recompute split 2 by hand from its training rows only
    sp = splits[1]
    ref = LogisticDirection().fit(ds.take(sp.train)).predict(ds.take(sp.test))
    np.testing.assert_allclose(res.oos_pred[sp.test], ref, rtol=1e-12)
    s = res.split_scores[1]
    assert s["hit_rate"] == pytest.approx(np.mean((ref >= 0.5) == (y[sp.test] == 1)))
    assert res.mean_scores()["hit_rate"] > 0.75  # x0 carries a strong signal
