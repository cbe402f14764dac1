"""Resampling against pandas references and exchange sessions (NYSE half days, holidays)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.time import NS_PER_MINUTE, NS_PER_SECOND
from nautilus.data.resample import (
    bucket_labels,
    expected_closes,
    resample_bars,
    sessions_for,
    trades_to_bars,
)
from nautilus.data.sources.synthetic import minute_bars
from nautilus.model import BAR_COLUMNS

NY = "America/New_York"


def _ny(ts: str) -> int:
    return int(pd.Timestamp(ts, tz=NY).value)


def _random_minutes(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = (np.arange(1, n + 1, dtype=np.int64) * NS_PER_MINUTE) + 1_700_000_040 * NS_PER_SECOND
    close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 1e-3, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 1e-3, n))
    vol = rng.integers(1, 1000, n).astype(float)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": vol},
                        index=pd.Index(ts, name="ts"))


@pytest.mark.parametrize("rule,tf", [("5min", "5m"), ("15min", "15m"), ("1h", "1h"),
                                     ("4h", "4h"), ("1D", "1d")])
def test_epoch_aligned_matches_pandas(rule: str, tf: str) -> None:
    bars = _random_minutes(3000)
    ours = resample_bars(bars, tf)
    dt = bars.set_axis(pd.to_datetime(bars.index.to_numpy(), utc=True))
    ref = dt.resample(rule, closed="right", label="right").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    ).dropna()
    assert ours.index.tolist() == ref.index.as_unit("ns").asi8.tolist()
    np.testing.assert_allclose(ours.to_numpy(), ref[list(BAR_COLUMNS)].to_numpy())


def test_trades_to_bars_matches_pandas() -> None:
    rng = np.random.default_rng(3)
    ts = np.sort(rng.integers(0, 3600 * NS_PER_SECOND, 5000)).astype(np.int64)
    price = 50 + np.cumsum(rng.normal(0, 0.01, 5000))
    size = rng.integers(1, 100, 5000).astype(float)
    ours = trades_to_bars(ts, price, size, "5m")
    s = pd.DataFrame({"p": price, "q": size}, index=pd.to_datetime(ts, utc=True))
    r = s.resample("5min", closed="left", label="right")
    ref = pd.DataFrame({"open": r["p"].first(), "high": r["p"].max(), "low": r["p"].min(),
                        "close": r["p"].last(), "volume": r["q"].sum()}).dropna()
    assert ours.index.tolist() == ref.index.as_unit("ns").asi8.tolist()
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy())


@pytest.fixture(scope="module")
def xnys():  # type: ignore[no-untyped-def]
    return sessions_for("XNYS")


def test_session_aware_hours_half_day_and_holiday(xnys) -> None:  # type: ignore[no-untyped-def]
    # Synthetic minutes trade every weekday 09:31..16:00 NY, including Thanksgiving (28 Nov
    # 2024) and after the 13:00 close of 29 Nov: those bars are outside NYSE sessions.
    start, end = _ny("2024-11-26 00:00"), _ny("2024-12-03 00:00")
    minutes = minute_bars("TEC01.XSYN", start, end)
    hourly = resample_bars(minutes, "1h", xnys)
    local = pd.to_datetime(hourly.index.to_numpy(), utc=True).tz_convert(NY)
    per_day = pd.Series(1, index=local.date).groupby(level=0).sum()
    assert sorted(str(d) for d in per_day.index) == ["2024-11-26", "2024-11-27", "2024-11-29",
                                                      "2024-12-02"]
    assert per_day.loc[pd.Timestamp("2024-11-26").date()] == 7
    half = [t.strftime("%H:%M") for t in local if t.date() == pd.Timestamp("2024-11-29").date()]
    assert half == ["10:30", "11:30", "12:30", "13:00"]
    # the last regular bucket 15:30 < ts <= 16:00 is a 30-minute partial bar
    day = minutes.loc[(minutes.index > _ny("2024-11-26 15:30")) & (minutes.index <= _ny(
        "2024-11-26 16:00"))]
    last = hourly.loc[_ny("2024-11-26 16:00")]
    assert len(day) == 30
    assert last["open"] == day["open"].iloc[0] and last["close"] == day["close"].iloc[-1]
    assert last["high"] == day["high"].max() and last["volume"] == day["volume"].sum()
    daily = resample_bars(minutes, "1d", xnys)
    assert daily.index.tolist() == [_ny("2024-11-26 16:00"), _ny("2024-11-27 16:00"),
                                    _ny("2024-11-29 13:00"), _ny("2024-12-02 16:00")]
    in_half = minutes.loc[(minutes.index > _ny("2024-11-29 09:30"))
                          & (minutes.index <= _ny("2024-11-29 13:00"))]
    assert daily.loc[_ny("2024-11-29 13:00"), "volume"] == in_half["volume"].sum()


def test_expected_closes_and_labels_match(xnys) -> None:  # type: ignore[no-untyped-def]
    start, end = _ny("2024-11-29 00:00"), _ny("2024-12-03 00:00")
    closes = expected_closes(xnys, "1h", start, end)
    assert len(closes) == 4 + 7
    assert expected_closes(xnys, "1d", start, end).tolist() == [_ny("2024-11-29 13:00"),
                                                                _ny("2024-12-02 16:00")]
    # a bar at each expected close is labelled with that close
    assert bucket_labels(closes, "1h", xnys).tolist() == closes.tolist()
    # pre-market bars are outside every session
    assert bucket_labels(np.array([_ny("2024-12-02 09:00")]), "1h", xnys).tolist() == [-1]


def test_unsorted_input_is_sorted_first() -> None:
    bars = _random_minutes(600)
    shuffled = bars.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(resample_bars(shuffled, "15m"), resample_bars(bars, "15m"))


def test_unknown_calendar_falls_back_to_weekday_sessions() -> None:
    s = sessions_for("NOPE", "Europe/London")
    week = s.between(int(pd.Timestamp("2024-07-01").value), int(pd.Timestamp("2024-07-08").value))
    assert len(week) == 5
    opens = pd.to_datetime(week.open_ns, utc=True).tz_convert("Europe/London")
    assert {t.strftime("%H:%M") for t in opens} == {"09:30"}


def test_sorted_session_index_matches_the_per_timestamp_search(xnys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    lo, hi = int(xnys.open_ns[9000]) - 10**13, int(xnys.close_ns[9300]) + 10**13
    ts = np.unique(rng.integers(lo, hi, 200_000)).astype(np.int64)
    edges = np.concatenate([xnys.open_ns[9000:9300], xnys.close_ns[9000:9300]])
    ts = np.unique(np.concatenate([ts, edges, edges + 1]))
    for include_open in (False, True):
        fast = xnys.session_index(ts, include_open=include_open)
        slow = xnys.session_index(ts[::-1], include_open=include_open)[::-1]  # unsorted path
        np.testing.assert_array_equal(fast, slow)
    assert (fast >= 0).any() and (fast < 0).any()
