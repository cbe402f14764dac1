"""Universe streaming: one compiled call per bar close for N instruments equals the batch
values of every instrument's own series, for every registered indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.features import INDICATORS, UniverseStream, compute
from nautilus.features.base import resolve_inputs
from tests.unit.features.conftest import synthetic_ohlcv
from tests.unit.features.reference import inputs_of

ALL = INDICATORS.names()
IDS = ["AAA", "BBB", "CCC", "DDD", "EEE"]
N_BARS = 400


@pytest.fixture(scope="module")
def universe() -> list[dict[str, np.ndarray]]:
    return [inputs_of(synthetic_ohlcv(N_BARS, seed=100 + j)) for j in range(len(IDS))]


def _bar(name: str, universe: list[dict[str, np.ndarray]], t: int) -> dict[str, np.ndarray]:
    """Bar ``t`` of every instrument as input name -> length-N array (``ts`` int ns)."""
    return {i: np.array([d[i][t] for d in universe]) for i in INDICATORS.get(name).inputs}


def _batch(name: str, universe: list[dict[str, np.ndarray]]) -> np.ndarray:
    """``(n_outputs, N, n_bars)``: the batch values of each instrument's own series."""
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    return np.stack([ind.run(resolve_inputs(ind, d, cfg), cfg) for d in universe], axis=1)


def _state(u: UniverseStream) -> tuple[np.ndarray, ...]:
    return u._buf.copy(), u._pos.copy(), u._st.copy()


@pytest.mark.parametrize("name", ALL)
def test_universe_equals_batch_per_instrument(
    name: str, universe: list[dict[str, np.ndarray]]
) -> None:
    ind = INDICATORS.get(name)
    expect = _batch(name, universe)
    u = UniverseStream(name, IDS)
    got = np.stack([u.update(_bar(name, universe, t)) for t in range(N_BARS)], axis=2)
    assert got.shape == (len(ind.outputs), len(IDS), N_BARS)
    np.testing.assert_array_equal(got, expect, err_msg=name)
    assert (u.bars_seen == N_BARS).all()
    lb = ind.lookback(ind.make_config({}))
    assert np.isfinite(expect[:, :, lb:]).all(), name  # not a vacuous comparison
    # blocks of bars through update_many continue the same state, from a fresh start
    u.reset()
    assert (u.bars_seen == 0).all()
    x = np.stack([resolve_inputs(ind, d, ind.make_config({})) for d in universe], axis=1)
    parts = [u.update_many(c) for c in np.split(x, [1, 7, 150, 151, 333], axis=2)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=2), expect, err_msg=name)


@pytest.mark.parametrize("name", ["rsi", "bbands", "stoch", "vwap", "cdl_engulfing", "adx"])
def test_inactive_instruments_are_skipped(name: str, universe: list[dict[str, np.ndarray]]) -> None:
    """An instrument without a bar keeps its state; its values are those of its own bars."""
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    rng = np.random.default_rng(3)
    active = rng.random((N_BARS, len(IDS))) < 0.8
    active[:, 0] = True
    u = UniverseStream(name, len(IDS))
    got = np.stack(
        [u.update(_bar(name, universe, t), active=active[t]) for t in range(N_BARS)], axis=2
    )
    assert np.isnan(got[:, ~active.T]).all()
    for j, d in enumerate(universe):
        own = ind.run(resolve_inputs(ind, d, cfg)[:, active[:, j]], cfg)
        np.testing.assert_array_equal(got[:, j, active[:, j]], own, err_msg=f"{name} {j}")
    assert (u.bars_seen == active.sum(axis=0)).all()


def test_non_finite_input_rejects_the_bar_and_keeps_every_state(
    universe: list[dict[str, np.ndarray]],
) -> None:
    name = "atr"
    u = UniverseStream(name, IDS, timeperiod=5)
    for t in range(200):
        u.update(_bar(name, universe, t))
    before, last = _state(u), u.last.copy()
    bad = _bar(name, universe, 200)
    bad["low"][3] = np.inf
    with pytest.raises(ValidationError) as err:
        u.update(bad)
    assert err.value.code == "non_finite_input"
    assert "'low'" in err.value.detail and "'DDD'" in err.value.detail
    assert err.value.extra["instrument"] == "DDD"
    for a, b in zip(before, _state(u), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(u.last, last)
    # the universe goes on as if the bad bar never came
    got = np.stack([u.update(_bar(name, universe, t)) for t in range(200, N_BARS)], axis=2)
    for j, d in enumerate(universe):
        expect = compute(name, d, timeperiod=5)["atr"][200:]
        np.testing.assert_array_equal(got[0, j], expect)
    # an inactive instrument's non-finite values are not looked at
    bad = _bar(name, universe, 0)
    bad["close"][1] = np.nan
    mask = np.ones(len(IDS), dtype=bool)
    mask[1] = False
    assert np.isnan(u.update(bad, active=mask)[0, 1])
    # in a block, the bar is named too and nothing moves
    before = _state(u)
    x = np.ones((3, len(IDS), 4))
    x[2, 0, 2] = np.nan
    with pytest.raises(ValidationError, match=r"'close'.*'AAA'.*bar 2"):
        u.update_many(x)
    for a, b in zip(before, _state(u), strict=True):
        np.testing.assert_array_equal(a, b)


def test_input_forms_and_ids(universe: list[dict[str, np.ndarray]]) -> None:
    ref = UniverseStream("macd", IDS)
    arr = UniverseStream("macd", IDS)
    flat = UniverseStream("macd", len(IDS))
    frm = UniverseStream("macd", IDS)
    for t in range(120):
        bar = _bar("macd", universe, t)
        a = ref.update(bar)
        np.testing.assert_array_equal(arr.update(bar["close"].reshape(1, -1)), a)
        np.testing.assert_array_equal(flat.update(list(bar["close"])), a)
        # a DataFrame indexed by instrument id, in any order, with extra instruments
        df = pd.DataFrame({"close": bar["close"], "volume": 1.0}, index=IDS)
        df.loc["ZZZ"] = (1.0, 1.0)
        out = frm.update(df.iloc[::-1])
        assert list(out.index) == IDS and list(out.columns) == ["macd", "macdsignal", "macdhist"]
        np.testing.assert_array_equal(out.to_numpy().T, a)
    assert ref.last.shape == (3, len(IDS))
    assert list(ref.frame().index) == IDS and list(flat.frame().index) == list(range(len(IDS)))
    assert "DDD" in repr(ref.frame()) and repr(ref) == "UniverseStream('macd', n_instruments=5)"


def test_session_vwap_takes_ts_once_for_the_universe(
    universe: list[dict[str, np.ndarray]],
) -> None:
    ts = universe[0]["ts"]  # every instrument's bars close at the same times
    expect = _batch("vwap", universe)[0]
    by_kw = UniverseStream("vwap", IDS)
    by_row = UniverseStream("vwap", IDS)
    for t in range(N_BARS):
        bar = _bar("vwap", universe, t)
        hlcv = np.stack([bar[k] for k in ("high", "low", "close", "volume")])
        np.testing.assert_array_equal(by_kw.update(hlcv, ts=int(ts[t]))[0], expect[:, t])
        bar["ts"] = int(ts[t])
        np.testing.assert_array_equal(by_row.update(bar)[0], expect[:, t])
    # a session boundary is inside the series, so the reset is exercised
    assert len(np.unique(ts // 86_400_000_000_000)) > 1


def test_shape_and_id_errors_are_clear() -> None:
    u = UniverseStream("atr", IDS)
    cases = [
        (np.ones((3, 4)), "bad_shape"),
        (np.ones((2, 5)), "bad_shape"),
        (np.ones(5), "bad_shape"),
        ({"high": np.ones(5), "low": np.ones(5)}, "missing_input"),
        ({"high": np.ones(5), "low": np.ones(5), "close": np.ones(4)}, "bad_shape"),
        (
            pd.DataFrame({"high": 1.0, "low": 1.0, "close": 1.0}, index=IDS[:4]),
            "unknown_instrument",
        ),
    ]
    for values, code in cases:
        with pytest.raises(ValidationError) as err:
            u.update(values)
        assert err.value.code == code, values
    with pytest.raises(ValidationError, match="active must be a bool array of length 5"):
        u.update(np.ones((3, 5)), active=np.ones(4, dtype=bool))
    with pytest.raises(ValidationError, match=r"update_many needs an array \(n_inputs=3"):
        u.update_many(np.ones((3, 5)))
    assert (u.bars_seen == 0).all()
    with pytest.raises(ValidationError) as err:
        UniverseStream("sma", ["A", "A"])
    assert err.value.code == "duplicate_id"
    with pytest.raises(ValidationError):
        UniverseStream("sma", 0)
    with pytest.raises(ValidationError) as err:
        UniverseStream("sma", 3, timeperiod=0)
    assert err.value.code == "parameter_out_of_range"
    v = UniverseStream("vwap", 2)
    with pytest.raises(ValidationError) as err:
        v.update({"high": [1.0, 1.0], "low": [1.0, 1.0], "close": [1.0, 1.0], "volume": [1, 1]})
    assert err.value.code == "missing_input" and err.value.extra["parameter"] == "ts"
    with pytest.raises(ValidationError, match="ts must be one int ns or one per instrument"):
        v.update(np.ones((4, 2)), ts=[1, 2, 3])
