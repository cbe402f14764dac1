"""Weekly and monthly resampling against a pandas reference on the NYSE calendar.

The reference assigns every bar to its exchange session with ``merge_asof`` on the
``exchange_calendars`` schedule, groups sessions by calendar week / month and stamps each group
at its last session's close; ours does the same with numpy through ``resample_bars``.
"""

from __future__ import annotations

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from nautilus.core.time import NS_PER_DAY, NS_PER_MINUTE
from nautilus.data.resample import (
    RESAMPLE_TARGETS,
    Sessions,
    bucket_labels,
    expected_closes,
    period_closes,
    resample_bars,
    sessions_for,
    trades_to_bars,
)
from nautilus.data.sources.synthetic import daily_bars, minute_bars
from nautilus.model import BAR_COLUMNS, Timeframe

NY = "America/New_York"
AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def _ny(ts: str) -> int:
    return int(pd.Timestamp(ts, tz=NY).value)


@pytest.fixture(scope="module")
def xnys() -> Sessions:
    return sessions_for("XNYS")


@pytest.fixture(scope="module")
def schedule() -> pd.DataFrame:
    cal = xcals.get_calendar("XNYS", start="2023-12-01", end="2025-01-31")
    sched = cal.schedule.rename_axis("session").reset_index()
    return sched[["session", "open", "close"]].rename(
        columns={"open": "session_open", "close": "session_close"}
    )


@pytest.fixture(scope="module")
def minutes() -> pd.DataFrame:
    """Synthetic minutes trade 09:31..16:00 NY on every weekday, holidays included (Good
    Friday 29 Mar 2024, Juneteenth, 4 Jul) and after the 13:00 close of 3 Jul: the calendar
    has to leave those bars out. The data ends on Wednesday 10 Jul 2024 (exclusive)."""
    return minute_bars("TEC01.XSYN", _ny("2024-03-01"), _ny("2024-07-10"))


def reference(frame: pd.DataFrame, schedule: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Week (``freq="W-SUN"``) or month (``"M"``) bars via pandas on the exchange schedule."""
    bars = frame.reset_index()
    bars["t"] = pd.to_datetime(bars["ts"], utc=True)
    joined = pd.merge_asof(
        bars.sort_values("t"), schedule, left_on="t", right_on="session_close", direction="forward"
    )
    joined = joined.loc[joined["t"] > joined["session_open"]].copy()
    joined["period"] = joined["session"].dt.to_period(freq)
    periods = schedule.assign(period=schedule["session"].dt.to_period(freq))
    last_close = periods.groupby("period")["session_close"].max()
    out = joined.groupby("period").agg(AGG)
    out.index = pd.Index(pd.DatetimeIndex(last_close.loc[out.index]).as_unit("ns").asi8, name="ts")
    # the period of the last bar is complete only if that bar is in the period's last session
    last = joined.iloc[-1]
    if last["session_close"] != last_close.loc[last["period"]]:
        out = out.iloc[:-1]
    return out


def _assert_same(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert ours.index.tolist() == ref.index.tolist()
    np.testing.assert_allclose(
        ours[list(BAR_COLUMNS)].to_numpy(), ref[list(BAR_COLUMNS)].to_numpy(), rtol=1e-12
    )


def test_weekly_from_minutes_matches_pandas(
    xnys: Sessions, schedule: pd.DataFrame, minutes: pd.DataFrame
) -> None:
    ours = resample_bars(minutes, "1w", xnys)
    _assert_same(ours, reference(minutes, schedule, "W-SUN"))
    # Good Friday week ends at Thursday's close and holds Mon..Thu sessions only
    good_friday_week = ours.loc[_ny("2024-03-28 16:00")]
    in_week = minutes.loc[
        (minutes.index > _ny("2024-03-25 09:30")) & (minutes.index <= _ny("2024-03-28 16:00"))
    ]
    assert len(in_week) == 4 * 390
    assert good_friday_week["volume"] == in_week["volume"].sum()
    assert good_friday_week["close"] == in_week["close"].iloc[-1]
    assert _ny("2024-03-29 16:00") not in ours.index
    # the week of the 3 Jul half day and 4 Jul holiday closes Friday 5 Jul; the week of
    # 8..10 Jul has not reached its Friday in the data, so it is not a bar yet
    assert ours.index[-1] == _ny("2024-07-05 16:00")
    july = minutes.loc[
        (minutes.index > _ny("2024-07-01 09:30")) & (minutes.index <= _ny("2024-07-05 16:00"))
    ]
    in_session = (july.index <= _ny("2024-07-03 13:00")) | (july.index > _ny("2024-07-05 09:30"))
    assert ours.iloc[-1]["volume"] == july.loc[in_session, "volume"].sum()


def test_monthly_from_minutes_matches_pandas(
    xnys: Sessions, schedule: pd.DataFrame, minutes: pd.DataFrame
) -> None:
    ours = resample_bars(minutes, "1mo", xnys)
    _assert_same(ours, reference(minutes, schedule, "M"))
    # March 2024 ends on a Sunday after Good Friday: stamped at Thursday 28 Mar's close;
    # June 2024 ends on a Sunday: Friday 28 Jun's close; July is still running
    assert ours.index.tolist() == [
        _ny("2024-03-28 16:00"),
        _ny("2024-04-30 16:00"),
        _ny("2024-05-31 16:00"),
        _ny("2024-06-28 16:00"),
    ]
    march = minutes.loc[minutes.index <= _ny("2024-03-28 16:00")]
    assert ours.iloc[0]["open"] == march["open"].iloc[0]
    assert ours.iloc[0]["high"] == march["high"].max()


def test_weekly_and_monthly_from_daily_bars_match_pandas(
    xnys: Sessions, schedule: pd.DataFrame
) -> None:
    # synthetic daily bars close 16:00 NY on every weekday: holidays are dropped by the
    # calendar, and so is the 16:00 bar of the 13:00 half day (outside its session)
    daily = daily_bars("FIN02.XSYN", _ny("2023-12-01"), _ny("2025-01-01"))
    for tf, freq in (("1w", "W-SUN"), ("1mo", "M")):
        ours = resample_bars(daily, tf, xnys)
        _assert_same(ours, reference(daily, schedule, freq))
    monthly = resample_bars(daily, "1mo", xnys)
    assert len(monthly) == 13
    # November 2024 ends on Saturday after the 13:00 close of Friday 29 Nov
    assert _ny("2024-11-29 13:00") in monthly.index
    weekly = resample_bars(daily, "1w", xnys)
    # Christmas week 2024 (Wed 25 Dec holiday) closes Friday 27 Dec
    assert _ny("2024-12-27 16:00") in weekly.index
    xmas = daily.loc[
        (daily.index >= _ny("2024-12-23 16:00"))
        & (daily.index <= _ny("2024-12-27 16:00"))
        & (daily.index != _ny("2024-12-25 16:00"))
        & (daily.index != _ny("2024-12-24 16:00"))
    ]  # 24 Dec closed at 13:00
    assert weekly.loc[_ny("2024-12-27 16:00"), "volume"] == xmas["volume"].sum()


def by_session_date(daily: pd.DataFrame, schedule: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Reference for daily input: each bar belongs to the session of its New York date."""
    bars = daily.reset_index()
    local = pd.to_datetime(bars["ts"], utc=True).dt.tz_convert(NY).dt.tz_localize(None)
    bars["session"] = local.dt.normalize().astype(schedule["session"].dtype)
    joined = bars.merge(schedule, on="session")  # weekend/holiday bars have no session
    joined["period"] = joined["session"].dt.to_period(freq)
    last_close = schedule.assign(period=schedule["session"].dt.to_period(freq)).groupby(
        "period"
    )["session_close"].max()
    out = joined.groupby("period").agg(AGG)
    out.index = pd.Index(pd.DatetimeIndex(last_close.loc[out.index]).as_unit("ns").asi8, name="ts")
    last = joined.iloc[-1]  # a period is complete once its last session has a bar
    return out if last["session_close"] == last_close.loc[last["period"]] else out.iloc[:-1]


def test_daily_source_keeps_early_close_days_and_date_stamped_bars(
    xnys: Sessions, schedule: pd.DataFrame
) -> None:
    # the same daily bars, told they are daily: the 16:00 bar of a 13:00 half day belongs to
    # that day's session and is kept (its volume is in the week and the month)
    daily = daily_bars("FIN02.XSYN", _ny("2023-12-01"), _ny("2025-01-01"))
    for tf, freq in (("1w", "W-SUN"), ("1mo", "M")):
        ours = resample_bars(daily, tf, xnys, source_timeframe="1d")
        _assert_same(ours, by_session_date(daily, schedule, freq))
    weekly = resample_bars(daily, "1w", xnys, source_timeframe="1d")
    thanksgiving_week = daily.loc[
        (daily.index >= _ny("2024-11-25 16:00")) & (daily.index <= _ny("2024-11-29 16:00"))
        & (daily.index != _ny("2024-11-28 16:00"))  # Thanksgiving: no session
    ]
    assert len(thanksgiving_week) == 4
    assert weekly.loc[_ny("2024-11-29 13:00"), "volume"] == thanksgiving_week["volume"].sum()
    assert weekly.loc[_ny("2024-11-29 13:00"), "close"] == daily.loc[_ny("2024-11-29 16:00"),
                                                                      "close"]
    # a provider that stamps days at midnight UTC of the session date gives the same bars
    dated = daily.copy()
    dated.index = pd.Index((dated.index.to_numpy() // NS_PER_DAY) * NS_PER_DAY, name="ts")
    pd.testing.assert_frame_equal(resample_bars(dated, "1w", xnys, source_timeframe="1d"),
                                  weekly)
    # a bar on a holiday still has no session: left out, as before
    xmas = _ny("2024-12-25 16:00")
    xmas_date = (xmas // NS_PER_DAY) * NS_PER_DAY
    assert xnys.day_index(np.array([xmas, xmas_date], dtype=np.int64)).tolist() == [-1, -1]


def test_partial_last_period_is_left_out_partial_last_day_kept(
    xnys: Sessions, minutes: pd.DataFrame
) -> None:
    # data up to Wednesday 10 Apr: that week has not finished
    upto_wed = minutes.loc[minutes.index <= _ny("2024-04-10 16:00")]
    assert resample_bars(upto_wed, "1w", xnys).index[-1] == _ny("2024-04-05 16:00")
    # data up to Friday 12 Apr 12:00: the week reached its last session and closes at 16:00,
    # exactly like the partial 1d bar of that Friday
    upto_fri = minutes.loc[minutes.index <= _ny("2024-04-12 12:00")]
    weekly = resample_bars(upto_fri, "1w", xnys)
    daily = resample_bars(upto_fri, "1d", xnys)
    assert weekly.index[-1] == daily.index[-1] == _ny("2024-04-12 16:00")
    assert weekly.iloc[-1]["close"] == daily.iloc[-1]["close"] == upto_fri["close"].iloc[-1]
    # mid-month data: April is not a bar yet
    assert resample_bars(upto_fri, "1mo", xnys).index.tolist() == [_ny("2024-03-28 16:00")]


def test_utc_calendar_periods_without_sessions_match_pandas() -> None:
    rng = np.random.default_rng(11)
    n = 60 * 24 * 75  # 75 days of 1-minute bars from Thu 2024-02-01 00:01 UTC (a leap year)
    ts = pd.Timestamp("2024-02-01", tz="UTC").value + np.arange(1, n + 1) * NS_PER_MINUTE
    close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-4, n)))
    frame = pd.DataFrame(
        {
            "open": close * 0.999,
            "high": close * 1.001,
            "low": close * 0.998,
            "close": close,
            "volume": rng.integers(1, 50, n).astype(float),
        },
        index=pd.Index(ts, name="ts"),
    )
    # a bar closing at ts covers (ts - 1m, ts]: bucket it by ts - 1ns into [start, end)
    # periods (pandas "right"-closed weekly/monthly bins snap to the end of a day instead)
    dt = frame.set_axis(pd.to_datetime(ts - 1, utc=True))
    for tf, rule, step in (
        ("1w", "W-MON", pd.Timedelta(days=7)),
        ("1mo", "MS", pd.offsets.MonthBegin(1)),
    ):
        ours = resample_bars(frame, tf)
        ref = dt.resample(rule, closed="left", label="left").agg(AGG).dropna()
        ref.index = ref.index + step
        # the data ends at Mon 2024-04-16 00:00: the last week and April are still running
        assert ours.index.tolist() == ref.index.as_unit("ns").asi8.tolist()[:-1]
        np.testing.assert_allclose(ours.to_numpy(), ref[list(BAR_COLUMNS)].to_numpy()[:-1])
    assert resample_bars(frame, "1mo").index.tolist() == [
        pd.Timestamp("2024-03-01", tz="UTC").value,
        pd.Timestamp("2024-04-01", tz="UTC").value,
    ]


def test_weekly_trades_and_labels(xnys: Sessions) -> None:
    # trades at the open auction of Mon 25 Mar, midday Thu 28 Mar, on Good Friday (no
    # session) and on Monday 1 Apr (the next week has started: 25..28 Mar is complete)
    ts = np.array(
        [
            _ny("2024-03-25 09:30"),
            _ny("2024-03-28 12:00"),
            _ny("2024-03-29 12:00"),
            _ny("2024-04-01 10:00"),
        ],
        dtype=np.int64,
    )
    bars = trades_to_bars(
        ts, np.array([10.0, 12.0, 99.0, 11.0]), np.array([1.0, 2, 3, 4]), "1w", xnys
    )
    assert bars.index.tolist() == [_ny("2024-03-28 16:00")]
    assert bars.iloc[0].tolist() == [10.0, 12.0, 10.0, 12.0, 3.0]
    labels = bucket_labels(ts, Timeframe.W1, xnys, trades=True)
    assert labels.tolist() == [_ny("2024-03-28 16:00")] * 2 + [-1, _ny("2024-04-05 16:00")]


def test_expected_closes_and_period_closes(xnys: Sessions) -> None:
    start, end = _ny("2024-03-01"), _ny("2024-05-01")
    weeks = expected_closes(xnys, "1w", start, end)
    assert len(weeks) == 9 and _ny("2024-03-28 16:00") in weeks
    assert expected_closes(xnys, "1mo", start, end).tolist() == [
        _ny("2024-03-28 16:00"),
        _ny("2024-04-30 16:00"),
    ]
    closes = period_closes(xnys.between(start, end), "1w")
    assert len(closes) == len(xnys.between(start, end))
    assert {Timeframe.W1, Timeframe.MO1} <= RESAMPLE_TARGETS
    # "1m" is a minute and "1mo" a month
    assert Timeframe("1m").ns == NS_PER_MINUTE and Timeframe("1mo") is Timeframe.MO1
    assert Timeframe("1w").ns == 7 * NS_PER_DAY
