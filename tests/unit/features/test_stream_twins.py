"""The pure-Python streaming twins (``stream_py``): selected automatically, bit-identical to
the batch kernel bar for bar, including across warm-up, block updates, resets and rejected bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import ValidationError
from nautilus.features import INDICATORS, Indicator, IndicatorStream
from nautilus.features.base import resolve_inputs
from nautilus.features.stream_py import PyStream
from nautilus.features.streaming import TWINS
from nautilus.model.data import Bar
from tests.unit.features.reference import inputs_of

TWIN_NAMES = sorted(TWINS)
N = 1500
# non-default parameters (short and odd windows) for every twin that has a window
OTHER = {
    "sma": {"timeperiod": 7},
    "wma": {"timeperiod": 2},
    "dema": {"timeperiod": 3},
    "tema": {"timeperiod": 4},
    "mom": {"timeperiod": 1},
    "roc": {"timeperiod": 3},
    "rocp": {"timeperiod": 25},
    "rocr": {"timeperiod": 2},
    "adosc": {"fastperiod": 5, "slowperiod": 2},
    "bbands": {"timeperiod": 9, "nbdevup": 1.5, "nbdevdn": 2.5},
    "stddev": {"timeperiod": 7, "nbdev": 2.0},
    "var": {"timeperiod": 2},
    "vwma": {"timeperiod": 4},
    "cmf": {"timeperiod": 3},
    "eom": {"timeperiod": 1, "volume_divisor": 1e4},
    "force_index": {"timeperiod": 1},
}


@pytest.fixture(scope="module")
def data(ohlcv: pd.DataFrame) -> dict[str, np.ndarray]:
    return inputs_of(ohlcv)


def _batch(name: str, data: dict[str, np.ndarray], params: dict[str, float]) -> np.ndarray:
    ind = INDICATORS.get(name)
    cfg = ind.make_config(params)
    x = np.ascontiguousarray(resolve_inputs(ind, data, cfg)[:, :N])
    return x, ind.run(x, cfg)


def _as_row(out: object) -> list[float]:
    return list(out) if isinstance(out, tuple) else [out]  # type: ignore[arg-type]


def test_every_twin_is_a_registered_indicator_and_is_picked_automatically() -> None:
    assert len(TWIN_NAMES) >= 19
    for name in TWIN_NAMES:
        s = IndicatorStream(name)
        assert type(s) is TWINS[name] and isinstance(s, PyStream), name
    # the FMA kernels keep the compiled step
    assert type(IndicatorStream("ema")) is IndicatorStream
    # an indicator object that is not the registered one keeps the generic stream
    sma = INDICATORS.get("sma")
    clone = Indicator(
        "sma",
        "overlap",
        sma.inputs,
        sma.outputs,
        sma.config_class,
        sma.kernel,
        lambda c: 2,
        lambda c: c.timeperiod - 1,
    )
    assert type(IndicatorStream(clone)) is IndicatorStream


@pytest.mark.parametrize("params_kind", ["default", "other"])
@pytest.mark.parametrize("name", TWIN_NAMES)
def test_twin_mixes_push_and_blocks_exactly(
    name: str, params_kind: str, data: dict[str, np.ndarray]
) -> None:
    """Bars fed alternately one by one (warm-up and live) and in blocks give the batch values
    exactly; the state carries across every switch."""
    params = OTHER.get(name, {}) if params_kind == "other" else {}
    x, batch = _batch(name, data, params)
    s = IndicatorStream(name, **params)
    rng = np.random.default_rng(len(name) + len(params))
    got: list[list[float]] = []
    i = 0
    while i < N:
        m = int(rng.integers(1, 90))
        if rng.random() < 0.5:
            for j in range(i, min(i + m, N)):
                got.append(_as_row(s.push(*x[:, j].tolist())))
        else:
            out = s.update_block(np.ascontiguousarray(x[:, i : i + m]))
            got.extend(out.T.tolist())
        i = min(i + m, N)
        assert s.bars_seen == i
    np.testing.assert_array_equal(np.array(got).T, batch, err_msg=f"{name} {params}")
    lb = INDICATORS.get(name).lookback(INDICATORS.get(name).make_config(params))
    assert np.isfinite(batch[:, lb:]).all()


@pytest.mark.parametrize("name", TWIN_NAMES)
def test_twin_rejects_non_finite_bars_and_keeps_state(
    name: str, data: dict[str, np.ndarray]
) -> None:
    x, batch = _batch(name, data, {})
    ind = INDICATORS.get(name)
    s = IndicatorStream(name)
    got = []
    for j in range(N):
        if j in (3, 200, 201, 777):  # once during the warm-up, then while live
            for bad in (float("nan"), float("inf")):
                vals = x[:, j].tolist()
                vals[-1] = bad
                with pytest.raises(ValidationError) as err:
                    s.push(*vals)
                assert err.value.code == "non_finite_input"
        got.append(_as_row(s.push(*x[:, j].tolist())))
    np.testing.assert_array_equal(np.array(got).T, batch, err_msg=name)
    assert s.bars_seen == N
    s.reset()
    assert s.bars_seen == 0
    again = [_as_row(s.push(*x[:, j].tolist())) for j in range(300)]
    np.testing.assert_array_equal(np.array(again).T, batch[:, :300], err_msg=name)
    assert len(ind.inputs) == x.shape[0]


def test_twins_accept_bars_mappings_and_ints(ohlcv: pd.DataFrame) -> None:
    head = ohlcv.head(300)
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
        for r in head.itertuples()
    ]
    for name in ("sma", "vwma", "cmf", "bbands"):
        ind = INDICATORS.get(name)
        expect = ind.run(resolve_inputs(ind, head, ind.make_config({})), ind.make_config({}))
        by_bar = IndicatorStream(name)
        by_map = IndicatorStream(name)
        got_bar = [_as_row(by_bar.update(b)) for b in bars]
        got_map = [_as_row(by_map.update({k: getattr(b, k) for k in ind.inputs})) for b in bars]
        np.testing.assert_array_equal(np.array(got_bar).T, expect, err_msg=name)
        np.testing.assert_array_equal(np.array(got_map).T, expect, err_msg=name)
    s = IndicatorStream("sma", timeperiod=3)
    assert [s.update(v) for v in (1, 2, 3, 4)][2:] == [2.0, 3.0]
    assert s.update(np.float64(8.0)) == 5.0
