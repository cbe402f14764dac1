"""Trading days and order expiry for the simulated venue.

:class:`SessionCalendar` answers two calendar questions in an instrument's exchange time zone:
when a DAY order sent at ``ts`` expires (the next ``session_close``; UTC midnight for ``24/7``
and ``24/5`` calendars), and whether a bar opens a new exchange-local date (a session open,
which fills market-on-open orders). :class:`ExpiryQueue` holds the expire times of working
DAY/GTD orders and hands out the due ones in ``(time, client order id)`` order.

Times are int ns UTC. The local date of a time is the date of ``datetime.fromtimestamp(ts / 1e9,
tz)``; the calendar caches the span of UTC times that share the last date seen, so a bar
inside a known day costs two integer comparisons instead of a time-zone conversion.
"""

from __future__ import annotations

import heapq
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nautilus.core.time import NS_PER_SECOND
from nautilus.model.instrument import Instrument

DAY_NS = 86_400 * NS_PER_SECOND
_EDGE_NS = 1_000
"""Margin kept inside a cached day's end: ``ts / 1e9`` may round up to the next day's first
second within a few hundred ns of midnight, and those times are converted exactly instead."""


def local_date(ts: int, tz: ZoneInfo) -> date:
    """The exchange-local date of ``ts`` (int ns UTC)."""
    return datetime.fromtimestamp(ts / NS_PER_SECOND, tz=tz).date()


class SessionCalendar:
    """DAY-order expiry and session opens per instrument (``session_close`` is ``HH:MM``)."""

    def __init__(self, session_close: str) -> None:
        hh, mm = (int(x) for x in session_close.split(":"))
        self.close = time(hh, mm)
        self._days: dict[str, tuple[int, int, date]] = {}

    def day_expiry_ns(self, instrument: Instrument, ts: int) -> int:
        """The next session close at or after ``ts`` (int ns UTC) for a DAY order."""
        if instrument.calendar in ("24/7", "24/5"):
            return (ts // DAY_NS + 1) * DAY_NS
        tz = ZoneInfo(instrument.exchange_tz)
        local = datetime.fromtimestamp(ts / NS_PER_SECOND, tz=tz)
        close = datetime.combine(local.date(), self.close, tzinfo=tz)
        if close.timestamp() * NS_PER_SECOND <= ts:
            close = datetime.combine(local.date() + timedelta(days=1), self.close, tzinfo=tz)
        return int(close.timestamp()) * NS_PER_SECOND

    def new_day(self, instrument: Instrument, ts: int) -> bool:
        """``True`` if ``ts`` falls on another exchange-local date than the previous call's
        for this instrument (always ``True`` on the first call)."""
        iid = instrument.id
        span = self._days.get(iid)
        if span is not None and span[0] <= ts < span[1]:
            return False
        tz = ZoneInfo(instrument.exchange_tz)
        day = local_date(ts, tz)
        self._days[iid] = (*_day_span(day, tz), day)
        return span is None or span[2] != day


def _day_span(day: date, tz: ZoneInfo) -> tuple[int, int]:
    """UTC ns ``[start, end)`` inside which every time has local date ``day``.

    Empty (``(0, 0)``) when the day has an offset change at either end (a time-zone rule
    moving midnight), so such days are always converted exactly.
    """
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    start_s, end_s = int(start.timestamp()), int(end.timestamp())
    first = datetime.fromtimestamp(start_s, tz=tz)
    last = datetime.fromtimestamp(end_s - 1, tz=tz)
    if first.date() != day or last.date() != day or first.utcoffset() != last.utcoffset():
        return 0, 0
    return start_s * NS_PER_SECOND, end_s * NS_PER_SECOND - _EDGE_NS


class ExpiryQueue:
    """Expire times (int ns UTC) of working orders by client order id.

    >>> q = ExpiryQueue()
    >>> q.add("B", 20); q.add("A", 20); q.add("C", 10); q.discard("C")
    >>> q.pop_due(20)
    [(20, 'A'), (20, 'B')]
    """

    def __init__(self) -> None:
        self._at: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._at

    def add(self, client_order_id: str, ts: int) -> None:
        self._at[client_order_id] = ts
        heapq.heappush(self._heap, (ts, client_order_id))

    def discard(self, client_order_id: str) -> None:
        # the heap entry stays and is skipped when it comes due
        if self._at.pop(client_order_id, None) is not None and len(self._heap) > 64 + 2 * len(
            self._at
        ):
            self._heap = [(t, oid) for oid, t in self._at.items()]
            heapq.heapify(self._heap)

    def next_due(self) -> int | None:
        """The earliest time at which an entry may be due (``None`` if empty)."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, ts: int) -> list[tuple[int, str]]:
        """Remove and return the entries due at or before ``ts``, by time then id."""
        heap, at = self._heap, self._at
        due: list[tuple[int, str]] = []
        while heap and heap[0][0] <= ts:
            t, oid = heapq.heappop(heap)
            if at.get(oid) == t:
                del at[oid]
                due.append((t, oid))
        return due
