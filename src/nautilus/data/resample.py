"""Vectorised, calendar- and session-aware resampling: 1m bars or trades -> larger bars.

Conventions: time is int ns UTC; a bar's ``ts`` is its *close* time and it covers
``(ts - period, ts]`` for bars, ``[ts - period, ts)`` for trades.

With :class:`Sessions` (an exchange's trading sessions, open and close per day, early closes
included) buckets start at the session open: a 1h bar of an NYSE session closes at 10:30,
11:30, ..., 15:30 and the session's last, partial bucket closes at the session close (16:00, or
13:00 on a half day). Daily bars close at the session close, one per exchange-local session
date. Input bars closing outside every session (pre/post market) are left out and counted.
Without sessions buckets are aligned on the UTC epoch grid (``ceil(ts / period) * period``).

Weekly (``1w``) and monthly (``1mo``) bars are calendar periods, not fixed lengths: with
sessions a week (Monday..Sunday of the exchange-local session date) or a calendar month holds
only its own sessions and closes at the close of its last session (a week whose Friday is a
holiday closes at Thursday's close; a month ending on a weekend at its last weekday session's
close). Without sessions they are UTC calendar periods closing at the next Monday 00:00 / the
first of the next month 00:00. A week or month whose last session (UTC day without sessions)
the input has not reached yet is still running and is left out, so no bar is stamped with a
close that the data does not cover; a partial day inside that last session is kept, as for
daily bars.

Everything is numpy: bucket labels by ``searchsorted`` and arithmetic, OHLCV by
``reduceat`` over the bucket runs; no Python loop per bar.

>>> import numpy as np
>>> ts = np.array([60, 120, 180, 240], dtype=np.int64) * 10**9
>>> labels = bucket_labels(ts, Timeframe.M5)
>>> (labels // 10**9).tolist()
[300, 300, 300, 300]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.core.time import NS_PER_DAY, NS_PER_MINUTE
from nautilus.data.base import empty_bars
from nautilus.model import BAR_COLUMNS, Timeframe

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
OUTSIDE = np.int64(-1)
CALENDAR_START = "1985-01-01"
CALENDAR_END = "2035-12-31"
CALENDAR_PERIODS = frozenset({Timeframe.W1, Timeframe.MO1})
RESAMPLE_TARGETS = frozenset({Timeframe.M5, Timeframe.M15, Timeframe.M30, Timeframe.H1,
                              Timeframe.H4, Timeframe.D1, *CALENDAR_PERIODS})
LOOKBACK_NS = {Timeframe.W1: 8 * NS_PER_DAY, Timeframe.MO1: 33 * NS_PER_DAY}
"""How far before a range's start the input reaches into the range's first bucket (1 day for
intraday and daily buckets)."""


@dataclass(frozen=True)
class Sessions:
    """Trading sessions of one calendar: open/close ns UTC and the local session date.

    ``date_ns`` is the session date at midnight as naive ns (``2024-11-29`` -> its epoch ns).
    Arrays are sorted and sessions do not overlap.
    """

    name: str
    open_ns: I64
    close_ns: I64
    date_ns: I64

    def __len__(self) -> int:
        return len(self.open_ns)

    def session_index(self, ts: I64, *, include_open: bool = False) -> I64:
        """Index of the session holding each ``ts`` (``open < ts <= close``), else -1.

        ``include_open`` also accepts ``ts == open`` (trades at the opening auction).
        """
        if len(ts) > 1 and bool(np.all(ts[1:] >= ts[:-1])):
            return self._sorted_index(ts, include_open)
        i = np.searchsorted(self.close_ns, ts, side="left").astype(np.int64)
        inside = i < len(self.close_ns)
        j = np.where(inside, i, 0)
        after_open = ts >= self.open_ns[j] if include_open else ts > self.open_ns[j]
        return np.where(inside & after_open, i, OUTSIDE)

    def _sorted_index(self, ts: I64, include_open: bool) -> I64:
        """:meth:`session_index` for sorted ``ts``: search the few session bounds in ``ts``
        instead of every ``ts`` in the bounds, then fill each session's run of positions."""
        lo = np.searchsorted(ts, self.open_ns, side="left" if include_open else "right")
        hi = np.searchsorted(ts, self.close_ns, side="right")
        counts = np.maximum(hi - lo, 0)
        busy = np.flatnonzero(counts)
        out = np.full(len(ts), OUTSIDE, dtype=np.int64)
        if len(busy) == 0:
            return out
        cnt = counts[busy]
        first = np.repeat(lo[busy] - (np.cumsum(cnt) - cnt), cnt)
        out[first + np.arange(int(cnt.sum()), dtype=np.int64)] = np.repeat(busy, cnt)
        return out

    def day_index(self, ts: I64) -> I64:
        """Session of each *daily* bar, else -1 (a weekend or holiday bar).

        The session holding ``ts``; failing that, for a bar stamped at midnight UTC (a date),
        the session of that date; for any other stamp the last session closed less than 12
        hours before ``ts`` (a regular close that an early close moved: 16:00 on a 13:00 half
        day).
        """
        idx = self.session_index(ts)
        out = np.flatnonzero(idx < 0)
        if len(out) == 0 or len(self) == 0:
            return idx
        t = ts[out]
        k = np.minimum(np.searchsorted(self.date_ns, t, side="left"), len(self) - 1)
        midnight = t % NS_PER_DAY == 0
        dated = midnight & (self.date_ns[k] == t)
        c = np.searchsorted(self.close_ns, t, side="right") - 1
        cc = np.maximum(c, 0)
        late = ~midnight & (c >= 0) & (t - self.close_ns[cc] < NS_PER_DAY // 2)
        idx[out] = np.where(dated, k, np.where(late, cc, OUTSIDE))
        return idx

    def between(self, start_ns: int, end_ns: int) -> Sessions:
        """Sessions closing in ``[start_ns, end_ns)``."""
        lo, hi = np.searchsorted(self.close_ns, [start_ns, end_ns], side="left")
        return Sessions(self.name, self.open_ns[lo:hi], self.close_ns[lo:hi],
                        self.date_ns[lo:hi])


def _weekday_sessions(name: str, tz: str, open_hm: tuple[int, int],
                      close_hm: tuple[int, int] | None) -> Sessions:
    days = pd.bdate_range(CALENDAR_START, CALENDAR_END)
    if name == "24/7":
        days = pd.date_range(CALENDAR_START, CALENDAR_END, freq="D")
    opens = days + pd.Timedelta(hours=open_hm[0], minutes=open_hm[1])
    closes = (days + pd.Timedelta(days=1) if close_hm is None
              else days + pd.Timedelta(hours=close_hm[0], minutes=close_hm[1]))
    o = np.asarray(opens.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").asi8)
    c = np.asarray(closes.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").asi8)
    return Sessions(name, o.astype(np.int64), c.astype(np.int64),
                    np.asarray(days.asi8, dtype=np.int64))


@lru_cache(maxsize=16)
def sessions_for(calendar: str, tz: str = "America/New_York") -> Sessions:
    """Sessions of ``calendar`` 1985..2035 (cached per process).

    ``24/7`` and ``24/5`` are UTC days (every day / weekdays). Exchange codes (``XNYS``,
    ``XLON``...) come from ``exchange_calendars`` with holidays and early closes. An unknown
    code, or no ``exchange_calendars``, falls back to weekdays 09:30-16:00 in ``tz``.
    """
    if calendar in ("24/7", "24/5"):
        return _weekday_sessions(calendar, "UTC", (0, 0), None)
    try:
        import exchange_calendars as xcals
    except ImportError:
        log.warning("exchange_calendars missing; %r uses weekdays 09:30-16:00 %s", calendar, tz)
        return _weekday_sessions(calendar, tz, (9, 30), (16, 0))
    try:
        try:
            cal = xcals.get_calendar(calendar, start=CALENDAR_START, end=CALENDAR_END)
        except ValueError:
            cal = xcals.get_calendar(calendar, end=CALENDAR_END)
    except xcals.errors.InvalidCalendarName:
        log.warning("calendar %r unknown; using weekdays 09:30-16:00 %s", calendar, tz)
        return _weekday_sessions(calendar, tz, (9, 30), (16, 0))
    sched = cal.schedule
    return Sessions(
        calendar,
        np.asarray(pd.DatetimeIndex(sched["open"]).asi8, dtype=np.int64),
        np.asarray(pd.DatetimeIndex(sched["close"]).asi8, dtype=np.int64),
        np.asarray(pd.DatetimeIndex(sched.index).asi8, dtype=np.int64),
    )


def _period_keys(day: I64, tf: Timeframe) -> I64:
    """Week (Monday-based) or month number of each day, given as days since the epoch."""
    if tf is Timeframe.W1:
        return (day + 3) // 7  # 1970-01-01 was a Thursday: +3 starts weeks on Monday
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def period_closes(sessions: Sessions, timeframe: Timeframe | str) -> I64:
    """For each session, the close (ns UTC) of the last session of its week or month.

    >>> xnys = sessions_for("XNYS")
    >>> good_friday = xnys.between(int(pd.Timestamp("2024-03-25").value),
    ...                            int(pd.Timestamp("2024-03-30").value))
    >>> {str(pd.Timestamp(c, tz="UTC").tz_convert("America/New_York"))
    ...  for c in period_closes(good_friday, "1w")}
    {'2024-03-28 16:00:00-04:00'}
    """
    tf = Timeframe(timeframe)
    if tf not in CALENDAR_PERIODS:
        raise ValidationError(f"{tf.value} is not a calendar period", code="unsupported_timeframe")
    if len(sessions) == 0:
        return np.empty(0, dtype=np.int64)
    starts, ends = _runs(_period_keys(sessions.date_ns // NS_PER_DAY, tf))
    return np.repeat(sessions.close_ns[ends], ends - starts + 1)


def _utc_period_close(day: I64, tf: Timeframe) -> I64:
    """End (ns UTC, exclusive of the next period) of the UTC week or month of each day."""
    if tf is Timeframe.W1:
        return (_period_keys(day, tf) * 7 + 4) * np.int64(NS_PER_DAY)
    month = _period_keys(day, tf) + 1
    return month.astype("datetime64[M]").astype("datetime64[ns]").astype(np.int64)


def _calendar_labels(ts: I64, tf: Timeframe, sessions: Sessions | None,
                     trades: bool, daily: bool = False) -> tuple[I64, I64]:
    """Week/month labels of ``ts`` and the close of the session (UTC day) holding each ``ts``;
    ``daily`` input bars are placed by :meth:`Sessions.day_index`."""
    if sessions is None:
        day = ts // NS_PER_DAY if trades else -((-ts) // NS_PER_DAY) - 1
        if len(day) == 0:
            return day, day
        # one label per run of equal days (a day of 1m bars is 1440 rows): the date
        # arithmetic then runs on thousands of values, not millions
        starts, ends = _runs(day)
        first = day[starts]
        counts = ends - starts + 1
        return (np.repeat(_utc_period_close(first, tf), counts),
                np.repeat((first + 1) * np.int64(NS_PER_DAY), counts))
    idx = sessions.day_index(ts) if daily else sessions.session_index(ts, include_open=trades)
    inside = idx >= 0
    j = np.where(inside, idx, 0)
    label = np.where(inside, period_closes(sessions, tf)[j], OUTSIDE)
    return label, np.where(inside, sessions.close_ns[j], OUTSIDE)


def _calendar_bucket_labels(ts: I64, tf: Timeframe, sessions: Sessions | None,
                            trades: bool, daily: bool = False) -> I64:
    """Calendar labels with the still-running last period (see module docstring) set to -1."""
    labels, session_close = _calendar_labels(ts, tf, sessions, trades, daily)
    inside = np.flatnonzero(labels >= 0)
    if len(inside):
        last = inside[-1]
        if session_close[last] != labels[last]:
            labels = np.where(labels == labels[last], OUTSIDE, labels)
    return labels


def bucket_labels(ts: I64, timeframe: Timeframe | str, sessions: Sessions | None = None,
                  *, trades: bool = False) -> I64:
    """Close time (ns UTC) of the target bucket of each ``ts``; -1 outside every session.

    Bars (``trades=False``) at ``ts`` fall in the bucket ``(close - period, close]``; trades in
    ``[close - period, close)`` (see the module docstring for session alignment). Weeks and
    months are labelled per ``ts`` with no completeness check (``resample_bars`` applies it).
    """
    tf = Timeframe(timeframe)
    ts = np.asarray(ts, dtype=np.int64)
    if tf in CALENDAR_PERIODS:
        return _calendar_labels(ts, tf, sessions, trades)[0]
    period = np.int64(tf.ns)
    if sessions is None:
        if trades:
            return (ts // period + 1) * period
        return -((-ts) // period) * period
    idx = sessions.session_index(ts, include_open=trades)
    inside = idx >= 0
    j = np.where(inside, idx, 0)
    close = sessions.close_ns[j]
    if tf is Timeframe.D1:
        return np.where(inside, close, OUTSIDE)
    since_open = ts - sessions.open_ns[j]
    k = since_open // period + 1 if trades else -((-since_open) // period)
    label = np.minimum(sessions.open_ns[j] + k * period, close)
    return np.where(inside, label, OUTSIDE)


def _runs(labels: I64) -> tuple[I64, I64]:
    """Start and end (inclusive) positions of runs of equal consecutive labels."""
    n = len(labels)
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(labels[1:], labels[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    return starts, ends


def aggregate(labels: I64, open_: F64, high: F64, low: F64, close: F64,
              volume: F64) -> pd.DataFrame:
    """OHLCV per run of equal ``labels`` (non-decreasing; -1 rows skipped) as a bar frame."""
    keep = labels >= 0
    if not keep.all():
        labels = labels[keep]
        open_, high, low, close, volume = (
            open_[keep], high[keep], low[keep], close[keep], volume[keep])
    if len(labels) == 0:
        return empty_bars()
    if len(labels) > 1 and bool(np.any(labels[1:] < labels[:-1])):
        raise ValidationError("resample input must be sorted by ts", code="unsorted_input")
    starts, ends = _runs(labels)
    data = {
        "open": open_[starts],
        "high": np.maximum.reduceat(high, starts),
        "low": np.minimum.reduceat(low, starts),
        "close": close[ends],
        "volume": np.add.reduceat(volume, starts),
    }
    return pd.DataFrame(data, index=pd.Index(labels[starts], name="ts"))


def resample_bars(frame: pd.DataFrame, timeframe: Timeframe | str,
                  sessions: Sessions | None = None, *,
                  source_timeframe: Timeframe | str | None = None) -> pd.DataFrame:
    """Aggregate a bar frame (``ts`` = close, ns UTC) into ``timeframe`` bars.

    With ``source_timeframe="1d"`` and sessions, daily bars go to weeks and months by their
    session date (:meth:`Sessions.day_index`), so a day stamped at midnight UTC or at the
    regular close of an early-close day is kept, not dropped as outside its session.

    >>> ts = np.arange(1, 121, dtype=np.int64) * NS_PER_MINUTE
    >>> one = pd.DataFrame({c: np.ones(120) for c in BAR_COLUMNS}, index=pd.Index(ts, name="ts"))
    >>> resample_bars(one, "1h")["volume"].tolist()
    [60.0, 60.0]
    """
    tf = Timeframe(timeframe)
    if tf not in RESAMPLE_TARGETS:
        raise ValidationError(
            f"cannot resample to {tf.value} (targets: "
            f"{sorted(t.value for t in RESAMPLE_TARGETS)})", code="unsupported_timeframe")
    if frame.empty:
        return empty_bars()
    ts = np.asarray(frame.index, dtype=np.int64)
    cols = [np.ascontiguousarray(frame[c].to_numpy(dtype=np.float64)) for c in BAR_COLUMNS]
    if len(ts) > 1 and bool(np.any(ts[1:] <= ts[:-1])):
        order = np.argsort(ts, kind="stable")
        ts, cols = ts[order], [c[order] for c in cols]
    if tf in CALENDAR_PERIODS:
        daily = source_timeframe is not None and Timeframe(source_timeframe) is Timeframe.D1
        labels = _calendar_bucket_labels(ts, tf, sessions, trades=False, daily=daily)
    else:
        labels = bucket_labels(ts, tf, sessions)
    return aggregate(labels, *cols)


def trades_to_bars(ts: I64, price: F64, size: F64, timeframe: Timeframe | str,
                   sessions: Sessions | None = None) -> pd.DataFrame:
    """Bars from trade prints (``ts`` ns UTC, price, size): OHLC of prices, summed size."""
    tf = Timeframe(timeframe)
    ts = np.asarray(ts, dtype=np.int64)
    price = np.asarray(price, dtype=np.float64)
    size = np.asarray(size, dtype=np.float64)
    if len(ts) == 0:
        return empty_bars()
    if len(ts) > 1 and bool(np.any(ts[1:] < ts[:-1])):
        order = np.argsort(ts, kind="stable")
        ts, price, size = ts[order], price[order], size[order]
    if tf in CALENDAR_PERIODS:
        labels = _calendar_bucket_labels(ts, tf, sessions, trades=True)
    else:
        labels = bucket_labels(ts, tf, sessions, trades=True)
    return aggregate(labels, price, price, price, price, size)


def expected_closes(sessions: Sessions, timeframe: Timeframe | str, start_ns: int,
                    end_ns: int) -> I64:
    """Close times (ns UTC) a complete ``timeframe`` series has in ``[start_ns, end_ns)``."""
    tf = Timeframe(timeframe)
    if tf in CALENDAR_PERIODS:
        closes = np.unique(period_closes(sessions, tf))
        return closes[(closes >= start_ns) & (closes < end_ns)]
    window = sessions.between(start_ns, end_ns + NS_PER_DAY)
    if tf is Timeframe.D1:
        closes = window.close_ns
    else:
        period = np.int64(tf.ns)
        counts = -((window.open_ns - window.close_ns) // period)
        total = int(counts.sum())
        first = np.repeat(np.cumsum(counts) - counts, counts)
        step = np.arange(total, dtype=np.int64) - first + 1
        opens = np.repeat(window.open_ns, counts)
        closes = np.minimum(opens + step * period, np.repeat(window.close_ns, counts))
    return closes[(closes >= start_ns) & (closes < end_ns)]


__all__ = ["CALENDAR_PERIODS", "LOOKBACK_NS", "NS_PER_MINUTE", "RESAMPLE_TARGETS", "Sessions",
           "aggregate", "bucket_labels", "expected_closes", "period_closes", "resample_bars",
           "sessions_for", "trades_to_bars"]
