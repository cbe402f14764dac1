"""Streaming twins, look-ahead and warm-up checks applied to every registered indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.features import INDICATORS, IndicatorStream, compute
from nautilus.features.base import resolve_inputs
from nautilus.model.data import Bar
from tests.unit.features.reference import inputs_of

ALL = INDICATORS.names()
N_STREAM = 3000


@pytest.fixture(scope="module")
def data(ohlcv: pd.DataFrame) -> dict[str, np.ndarray]:
    return inputs_of(ohlcv)


def _rows(name: str, data: dict[str, np.ndarray], n: int) -> list[tuple[float, ...]]:
    ind = INDICATORS.get(name)
    cols = [data[i][:n] for i in ind.inputs]
    return [tuple(v.item() for v in vals) for vals in zip(*cols, strict=True)]


@pytest.mark.parametrize("name", ALL)
def test_stream_equals_batch_bar_for_bar(name: str, data: dict[str, np.ndarray]) -> None:
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    batch = ind.run(resolve_inputs(ind, data, cfg)[:, :N_STREAM], cfg)
    stream = IndicatorStream(name)
    got = (
        np.array([stream.update(bar) for bar in _rows(name, data, N_STREAM)])
        .reshape(N_STREAM, -1)
        .T
    )
    np.testing.assert_array_equal(got, batch, err_msg=name)
    assert stream.bars_seen == N_STREAM
    # the batch value is a real number after the warm-up, so the comparison is not vacuous
    assert np.isfinite(batch[:, ind.lookback(cfg) :]).all(), name


@pytest.mark.parametrize("name", ALL)
def test_update_many_in_chunks_equals_batch(name: str, data: dict[str, np.ndarray]) -> None:
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    x = resolve_inputs(ind, data, cfg)
    batch = ind.run(x, cfg)
    stream = IndicatorStream(name)
    rng = np.random.default_rng(len(name))
    cuts = np.sort(rng.choice(np.arange(1, x.shape[1]), size=25, replace=False))
    parts = [stream.update_block(chunk) for chunk in np.split(x, cuts, axis=1)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), batch, err_msg=name)


@pytest.mark.parametrize("name", ALL)
def test_no_lookahead_truncation(name: str, data: dict[str, np.ndarray]) -> None:
    """The value at bar t does not change when the bars after t are removed."""
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    x = resolve_inputs(ind, data, cfg)[:, :900]
    full = ind.run(x, cfg)
    for m in (1, ind.lookback(cfg), ind.lookback(cfg) + 1, 137, 444, 899):
        part = ind.run(np.ascontiguousarray(x[:, :m]), cfg)
        np.testing.assert_array_equal(part, full[:, :m], err_msg=f"{name} cut at {m}")


@pytest.mark.parametrize("name", ALL)
def test_too_few_bars_gives_the_documented_nan_prefix(
    name: str, data: dict[str, np.ndarray]
) -> None:
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    lb = ind.lookback(cfg)
    x = resolve_inputs(ind, data, cfg)
    assert ind.run(x[:, :0], cfg).shape == (len(ind.outputs), 0)
    if lb:
        assert np.isnan(ind.run(np.ascontiguousarray(x[:, :lb]), cfg)).all(), name
    out = ind.run(np.ascontiguousarray(x[:, : lb + 1]), cfg)
    assert np.isnan(out[:, :lb]).all() and np.isfinite(out[:, lb]).all(), name


def test_stream_accepts_bar_structs_and_mappings(ohlcv: pd.DataFrame) -> None:
    bars = [
        Bar(
            instrument_id="SYN",
            timeframe="7m",
            open=r.open,
            high=r.high,
            low=r.low,
            close=r.close,
            volume=r.volume,
            ts_event=int(r.ts),
            ts_init=int(r.ts),
        )
        for r in ohlcv.head(400).itertuples()
    ]
    expect = compute("vwap", ohlcv.head(400))["vwap"].to_numpy()
    s = IndicatorStream("vwap")
    np.testing.assert_array_equal([s.update(b) for b in bars], expect)
    s2 = IndicatorStream("atr", timeperiod=5)
    got = [s2.update({"high": b.high, "low": b.low, "close": b.close}) for b in bars]
    np.testing.assert_array_equal(got, compute("atr", ohlcv.head(400), timeperiod=5)["atr"])
    macd = IndicatorStream("macd")
    last = [macd.update(b) for b in bars][-1]
    assert isinstance(last, tuple) and len(last) == 3


def test_stream_rejects_non_finite_and_keeps_state() -> None:
    s = IndicatorStream("ema", timeperiod=3)
    for v in (1.0, 2.0, 3.0):
        s.update(v)
    with pytest.raises(ValidationError) as err:
        s.update(float("nan"))
    assert err.value.code == "non_finite_input"
    assert s.update(4.0) == pytest.approx(3.0)  # (4 - 2) * 0.5 + 2
    s.reset()
    assert np.isnan(s.update(10.0)) and s.bars_seen == 1


def test_push_is_the_compiled_call_and_checks_its_arguments() -> None:
    s = IndicatorStream("sma", timeperiod=3)
    assert type(s.push).__name__ == "StepCall" and s.push1 is s.push
    assert [s.push1(v) for v in (1.0, 2, np.float64(3.0))][-1] == 2.0  # ints and numpy floats
    with pytest.raises(TypeError, match="expected 1 input value"):
        s.push(1.0, 2.0)
    with pytest.raises(TypeError):
        s.push("4")
    assert s.push(4.0) == 3.0 and s.bars_seen == 4  # the bad calls changed nothing
    atr = IndicatorStream("atr", timeperiod=2)
    with pytest.raises(TypeError, match=r"expected 3 input value\(s\), got 1"):
        atr.push1(1.0)
    bb = IndicatorStream("bbands", timeperiod=2)
    bb.push(1.0)
    assert bb.push(3.0) == pytest.approx((4.0, 2.0, 0.0))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_push_rejects_non_finite_values_and_keeps_state(bad: float) -> None:
    s = IndicatorStream("atr", timeperiod=2)
    expect = IndicatorStream("atr", timeperiod=2)
    bars = [(10.0 + i, 9.0 + i, 9.5 + i) for i in range(6)]
    for b in bars[:3]:
        s.push(*b)
        expect.push(*b)
    with pytest.raises(ValidationError) as err:
        s.push(10.0, bad, 9.5)
    assert err.value.code == "non_finite_input" and repr(bad) in str(err.value)
    assert [s.push(*b) for b in bars[3:]] == [expect.push(*b) for b in bars[3:]]


def test_push_keeps_its_stream_state_alive() -> None:
    import gc

    s = IndicatorStream("ema", timeperiod=2)
    push = s.push
    del s
    gc.collect()
    assert [push(v) for v in (1.0, 3.0, 5.0)][1:] == [2.0, 4.0]


@pytest.mark.parametrize("name", ["sma", "willr", "macd", "vwap", "yang_zhang", "cdl_engulfing"])
def test_push_and_blocks_interleaved_equal_batch(name: str, data: dict[str, np.ndarray]) -> None:
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    x = resolve_inputs(ind, data, cfg)[:, :1500]
    batch = ind.run(np.ascontiguousarray(x), cfg)
    rows = _rows(name, data, 1500)
    s = IndicatorStream(name)
    got: list[np.ndarray] = []
    # single bars (through the ring buffer's wrap), then a block, then single bars again
    for a, b, single in ((0, 700, True), (700, 1100, False), (1100, 1500, True)):
        if single:
            got.append(np.array([s.update(r) for r in rows[a:b]]).reshape(b - a, -1).T)
        else:
            got.append(s.update_block(np.ascontiguousarray(x[:, a:b])))
    np.testing.assert_array_equal(np.concatenate(got, axis=1), batch, err_msg=name)


@pytest.mark.parametrize(
    ("name", "params"), [("rsi", {"timeperiod": 7}), ("vwap", {}), ("bbands", {"nbdevup": 1.5})]
)
def test_a_stream_pickles_and_copies_mid_way(
    name: str, params: dict[str, float], data: dict[str, np.ndarray]
) -> None:
    import copy
    import pickle

    rows = _rows(name, data, 900)
    s = IndicatorStream(name, **params)
    for r in rows[:400]:
        s.update(r)
    clones = [pickle.loads(pickle.dumps(s)), copy.deepcopy(s)]
    rest = [s.update(r) for r in rows[400:]]
    for c in clones:
        assert c.bars_seen == 400
        assert [c.update(r) for r in rows[400:]] == rest  # state copied, not shared
