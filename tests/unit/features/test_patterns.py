"""Candlestick pattern kernels: exact TA-Lib parity on tick-rounded prices (many equal prices,
so every ``>=`` / ``>`` boundary and the +/-80 scores are exercised), both input forms of the
kernels, block streaming, and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from nautilus.features import INDICATORS, IndicatorStream, compute

talib = pytest.importorskip("talib")

PATTERNS = [n for n in INDICATORS.names() if INDICATORS.get(n).category == "patterns"]


@pytest.fixture(scope="module")
def ticks() -> dict[str, np.ndarray]:
    """20,000 bars on a 0.05 tick grid: equal opens, closes and previous bodies are common."""
    rng = np.random.default_rng(3)
    n = 20_000
    close = np.round((100.0 + np.cumsum(rng.normal(0.0, 0.3, n))) / 0.05) * 0.05
    open_ = np.round((np.roll(close, 1) + rng.normal(0.0, 0.08, n)) / 0.05) * 0.05
    open_[0] = close[0]
    doji = rng.random(n) < 0.1
    close = np.where(doji, open_, close)
    top, bot = np.maximum(open_, close), np.minimum(open_, close)
    high = top + np.round(np.abs(rng.normal(0.0, 0.2, n)) / 0.05) * 0.05
    low = bot - np.round(np.abs(rng.normal(0.0, 0.2, n)) / 0.05) * 0.05
    return {"open": open_, "high": high, "low": low, "close": close}


@pytest.mark.parametrize("name", PATTERNS)
def test_tick_prices_match_talib_exactly(name: str, ticks: dict[str, np.ndarray]) -> None:
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    lb = ind.lookback(cfg)
    ref = getattr(talib, ind.talib)(*[ticks[i] for i in ind.inputs], **cfg.model_dump())
    ours = compute(name, ticks)[name]
    assert np.isnan(ours[:lb]).all()
    np.testing.assert_array_equal(ours[lb:], ref[lb:], err_msg=name)
    # the same kernel on one stacked (4, n) array gives the same numbers
    stacked = np.stack([ticks[i] for i in ind.inputs])
    np.testing.assert_array_equal(ind.run(stacked, cfg)[0], ours, err_msg=name)
    assert np.count_nonzero(ref) >= 1, name


def test_equal_edges_score_80(ticks: dict[str, np.ndarray]) -> None:
    """Engulfing and harami score +/-80 when one body edge is equal; the tick data has both."""
    for name in ("cdl_engulfing", "cdl_harami"):
        got = compute(name, ticks)[name]
        vals = set(np.unique(got[~np.isnan(got)]).tolist())
        assert {-100.0, -80.0, 80.0, 100.0} <= vals, (name, vals)


@pytest.mark.parametrize("name", PATTERNS)
def test_blocks_of_any_size_continue_the_totals(name: str, ticks: dict[str, np.ndarray]) -> None:
    ind = INDICATORS.get(name)
    cfg = ind.make_config({})
    x = np.stack([ticks[i][:3000] for i in ind.inputs])
    batch = ind.run(x, cfg)
    stream = IndicatorStream(name)
    # blocks shorter than, equal to and longer than the lookback, and single bars
    cuts = np.cumsum([1, 1, 3, ind.lookback(cfg), 1, 2, 40, 1, 500, 7])
    parts = [stream.update_block(np.ascontiguousarray(b)) for b in np.split(x, cuts, axis=1)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), batch, err_msg=name)


def test_doji_against_hand_computed_average() -> None:
    """Ten bars of high-low range 2.0: the doji limit is 0.1 * 20 / 10 = 0.2 of body."""
    o = np.full(13, 10.0)
    c = np.array([11.0, 9.0] * 5 + [10.2, 10.25, 9.8])
    h, lo = np.full(13, 11.0), np.full(13, 9.0)
    got = compute("cdl_doji", {"open": o, "high": h, "low": lo, "close": c})["cdl_doji"]
    assert np.isnan(got[:10]).all()
    # bodies 0.2 (within the limit), 0.25 (over it), 0.2 again
    np.testing.assert_array_equal(got[10:], [100.0, 0.0, 100.0])
    np.testing.assert_array_equal(got[10:], talib.CDLDOJI(o, h, lo, c)[10:])


def test_engulfing_hand_built() -> None:
    """A black candle 10 -> 9 engulfed by a white 8.9 -> 10.5 (+100), then a white 10.5 ->
    11 engulfed by a black 11 -> 10 sharing its open edge (-80)."""
    o = np.array([9.5, 10.0, 8.9, 10.5, 11.0])
    c = np.array([9.6, 9.0, 10.5, 11.0, 10.0])
    h = np.maximum(o, c) + 0.1
    lo = np.minimum(o, c) - 0.1
    got = compute("cdl_engulfing", {"open": o, "high": h, "low": lo, "close": c})
    np.testing.assert_array_equal(got["cdl_engulfing"][2:], [100.0, 0.0, -80.0])
