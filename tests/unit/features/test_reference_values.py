"""Indicators TA-Lib does not have, checked against independent pandas/numpy computations
(or against TA-Lib building blocks where the definition is made of them)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nautilus.core.time import NS_PER_DAY, NS_PER_HOUR
from nautilus.features import compute
from tests.unit.features.reference import assert_matches

talib = pytest.importorskip("talib")


def _wma(x: np.ndarray, n: int) -> np.ndarray:
    w = np.arange(1, n + 1, dtype=float)
    out = np.full(len(x), np.nan)
    for i in range(n - 1, len(x)):
        out[i] = np.dot(x[i - n + 1 : i + 1], w) / w.sum()
    return out


@pytest.fixture(params=["ohlcv", "sp500"])
def frame(request: pytest.FixtureRequest) -> pd.DataFrame:
    return request.getfixturevalue(request.param)


def test_hma_is_wma_of_wma_difference(frame: pd.DataFrame) -> None:
    c = frame["close"].to_numpy()
    n = 16
    diff = 2 * _wma(c, n // 2) - _wma(c, n)
    ref = np.full(len(c), np.nan)
    ref[n - 1 :] = _wma(diff[n - 1 :], int(math.sqrt(n)))
    assert_matches(compute("hma", c, timeperiod=n), ref, "hma")


def test_vwma_cmf_eom_against_pandas(frame: pd.DataFrame) -> None:
    h, lo, c, v = (frame[k] for k in ("high", "low", "close", "volume"))
    ref = (c * v).rolling(20).sum() / v.rolling(20).sum()
    assert_matches(compute("vwma", frame)["vwma"], ref, "vwma")
    mfm = ((c - lo) - (h - c)) / (h - lo)
    cmf = (mfm * v).rolling(20).sum() / v.rolling(20).sum()
    assert_matches(compute("cmf", frame)["cmf"], cmf, "cmf")
    mid = (h + lo) / 2
    emv = mid.diff() * (h - lo) / (v / 1e8)
    assert_matches(compute("eom", frame)["eom"], emv.rolling(14).mean(), "eom")


def test_force_index_is_talib_ema_of_raw_force(frame: pd.DataFrame) -> None:
    c, v = frame["close"].to_numpy(), frame["volume"].to_numpy()
    raw = np.diff(c) * v[1:]
    ref = np.concatenate([[np.nan], talib.EMA(raw, 13)])
    assert_matches(compute("force_index", frame)["force_index"], ref, "force_index")


def test_keltner_is_talib_ema_plus_minus_talib_atr(frame: pd.DataFrame) -> None:
    h, lo, c = (frame[k].to_numpy() for k in ("high", "low", "close"))
    out = compute("keltner", frame, timeperiod=20, atr_period=10, multiplier=1.5)
    mid, atr = talib.EMA(c, 20), talib.ATR(h, lo, c, 10)
    assert_matches(out["middle"], mid, "keltner.middle")
    assert_matches(out["upper"], mid + 1.5 * atr, "keltner.upper")
    assert_matches(out["lower"], mid - 1.5 * atr, "keltner.lower")


def test_donchian_against_pandas(frame: pd.DataFrame) -> None:
    out = compute("donchian", frame, timeperiod=20)
    hi = frame["high"].rolling(20).max()
    lo = frame["low"].rolling(20).min()
    assert_matches(out["upper"], hi, "donchian.upper")
    assert_matches(out["lower"], lo, "donchian.lower")
    assert_matches(out["middle"], (hi + lo) / 2, "donchian.middle")


def test_range_volatility_estimators_against_pandas(frame: pd.DataFrame) -> None:
    o, h, lo, c = (frame[k] for k in ("open", "high", "low", "close"))
    n, ann = 20, math.sqrt(252)
    r = np.log(c / c.shift(1))
    assert_matches(
        compute("realized_vol", frame)["realized_vol"],
        r.rolling(n).std(ddof=1) * ann,
        "realized_vol",
    )
    hl, co = np.log(h / lo), np.log(c / o)
    park = np.sqrt((hl**2 / (4 * math.log(2))).rolling(n).mean()) * ann
    assert_matches(compute("parkinson", frame)["parkinson"], park, "parkinson")
    gk = np.sqrt((0.5 * hl**2 - (2 * math.log(2) - 1) * co**2).rolling(n).mean()) * ann
    assert_matches(compute("garman_klass", frame)["garman_klass"], gk, "garman_klass")
    rs_term = np.log(h / c) * np.log(h / o) + np.log(lo / c) * np.log(lo / o)
    rs = np.sqrt(rs_term.rolling(n).mean()) * ann
    assert_matches(compute("rogers_satchell", frame)["rogers_satchell"], rs, "rogers_satchell")
    on = np.log(o / c.shift(1))
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    yz_var = (
        on.rolling(n).var(ddof=1)
        + k * co.rolling(n).var(ddof=1)
        + (1 - k) * rs_term.rolling(n).mean()
    )
    yz_var.iloc[:n] = np.nan
    assert_matches(compute("yang_zhang", frame)["yang_zhang"], np.sqrt(yz_var) * ann, "yang_zhang")


def test_zscore_and_quantile_against_pandas(frame: pd.DataFrame) -> None:
    c = frame["close"]
    z = (c - c.rolling(20).mean()) / c.rolling(20).std(ddof=0)
    assert_matches(compute("zscore", frame)["zscore"], z, "zscore")
    for q in (0.0, 0.1, 0.5, 0.75, 1.0):
        ref = c.rolling(15).quantile(q, interpolation="linear")
        got = compute("rolling_quantile", frame, timeperiod=15, quantile=q)["quantile"]
        assert_matches(got, ref, f"quantile {q}")


def test_session_vwap_resets_at_session_boundaries(ohlcv: pd.DataFrame) -> None:
    """US cash session: 24 h sessions starting 14:30 UTC; bars every 7 minutes."""
    offset = 14 * NS_PER_HOUR + 30 * 60 * 1_000_000_000
    out = compute("vwap", ohlcv, session_length_ns=NS_PER_DAY, session_offset_ns=offset)["vwap"]
    tp = (ohlcv["high"] + ohlcv["low"] + ohlcv["close"]) / 3
    session = (ohlcv["ts"] - offset) // NS_PER_DAY
    pv = (tp * ohlcv["volume"]).groupby(session).cumsum()
    vol = ohlcv["volume"].groupby(session).cumsum()
    assert_matches(out.to_numpy(), (pv / vol).to_numpy(), "vwap")
    first = np.flatnonzero(np.diff(session.to_numpy()) != 0) + 1
    assert len(first) >= 20
    # the first bar of a session is that bar's typical price
    np.testing.assert_allclose(out.to_numpy()[first], tp.to_numpy()[first], rtol=1e-15)


def test_vwap_takes_timestamps_from_a_datetime_index(ohlcv: pd.DataFrame) -> None:
    df = ohlcv.drop(columns="ts").set_index(pd.to_datetime(ohlcv["ts"], utc=True))
    a = compute("vwap", df)["vwap"].to_numpy()
    b = compute("vwap", ohlcv)["vwap"].to_numpy()
    np.testing.assert_array_equal(a, b)
