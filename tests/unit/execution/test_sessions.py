"""Trading days, order expiry and forgetting finished orders at the simulated venue."""

from __future__ import annotations

from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from nautilus.core.time import NS_PER_MINUTE, to_ns
from nautilus.execution.sessions import ExpiryQueue, SessionCalendar, local_date
from nautilus.model.events import OrderCanceled, OrderCancelRejected, OrderExpired, OrderFilled
from nautilus.model.instrument import Instrument
from nautilus.model.orders import make_order
from tests.unit.execution.builders import AAPL, T0, M, VenueFactory, bar

H = 60 * NS_PER_MINUTE


def test_expiry_queue_pops_due_entries_by_time_then_id() -> None:
    q = ExpiryQueue()
    for oid, t in (("B", 20), ("A", 20), ("C", 10), ("D", 30), ("E", 15)):
        q.add(oid, t)
    q.discard("E")
    assert q.next_due() == 10 and len(q) == 4 and "E" not in q
    assert q.pop_due(20) == [(10, "C"), (20, "A"), (20, "B")]
    assert q.pop_due(29) == [] and len(q) == 1
    q.add("D", 40)  # re-timed: only the newest time counts
    assert q.pop_due(35) == [] and q.pop_due(40) == [(40, "D")]
    assert len(q) == 0 and q.next_due() is None


def test_expiry_queue_compacts_discarded_entries() -> None:
    q = ExpiryQueue()
    for k in range(1_000):
        q.add(f"O{k:04d}", 1_000 + k)
    for k in range(0, 1_000, 2):
        q.discard(f"O{k:04d}")
    assert len(q._heap) <= 64 + 2 * len(q) + 1
    due = q.pop_due(1_010)
    assert due == [(1_000 + k, f"O{k:04d}") for k in (1, 3, 5, 7, 9)]


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        ("America/New_York", "2026-03-07T00:00:00Z"),  # spring forward on 2026-03-08
        ("America/New_York", "2026-10-31T00:00:00Z"),  # fall back on 2026-11-01
        ("Asia/Kolkata", "2026-06-01T00:00:00Z"),  # +05:30
        ("Australia/Lord_Howe", "2026-04-04T00:00:00Z"),  # 30-minute DST shift
        ("America/Santiago", "2026-04-04T00:00:00Z"),  # DST ends at local midnight
    ],
)
def test_new_day_matches_the_exact_local_date(tz: str, start: str) -> None:
    inst = Instrument.create("X.SIM", "equity", "USD", exchange_tz=tz)
    cal = SessionCalendar("16:00")
    zone = ZoneInfo(tz)
    t0 = to_ns(start)
    # every 7 minutes over three days, plus the nanoseconds around each UTC half hour
    times = sorted(
        {t0 + k * 7 * NS_PER_MINUTE for k in range(3 * 24 * 60 // 7)}
        | {t0 + k * H // 2 + d for k in range(3 * 48) for d in (-1, 0, 1, -300, 300)}
    )
    prev = None
    for t in times:
        day = local_date(t, zone)
        assert cal.new_day(inst, t) == (day != prev), (t, day)
        prev = day


def test_day_expiry_at_the_session_close_or_utc_midnight() -> None:
    cal = SessionCalendar("16:00")
    crypto = Instrument.create("BTC.SIM", "crypto", "USD", calendar="24/7")
    assert cal.day_expiry_ns(AAPL, T0) == to_ns("2026-03-02T21:00:00Z")  # 16:00 EST
    assert cal.day_expiry_ns(AAPL, to_ns("2026-03-02T21:00:00Z")) == to_ns("2026-03-03T21:00:00Z")
    assert cal.day_expiry_ns(AAPL, to_ns("2026-03-09T15:00:00Z")) == to_ns("2026-03-09T20:00:00Z")
    assert cal.day_expiry_ns(crypto, T0) == to_ns("2026-03-03T00:00:00Z")


def test_session_open_on_intraday_bars_fills_moo_once_per_day(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.process_bar(bar(0, 100, 101, 99, 100))
    venue.submit(make_order(AAPL, "buy", "market_on_open", 5, client_order_id="MOO"), T0 + M)
    for i in range(1, 5):
        venue.process_bar(bar(i, 100, 101, 99, 100))
    assert not rec.of(OrderFilled)  # same New York date: no session open
    next_day = (to_ns("2026-03-03T14:30:00Z") - T0) // M
    venue.process_bar(bar(next_day, 100.5, 101, 99, 100))
    assert rec.fills("MOO") == [("5", "100.50")]


def test_forget_drops_a_finished_order_and_refuses_an_open_one(make_venue: VenueFactory) -> None:
    venue, rec = make_venue()
    venue.submit(make_order(AAPL, "buy", "market", 5, client_order_id="A"), T0)
    venue.submit(make_order(AAPL, "sell", "limit", 5, price="150", client_order_id="B"), T0)
    venue.process_bar(bar(0, 100, 101, 99, 100))
    assert rec.fills("A") == [("5", "100.00")]
    engine = venue.engines[AAPL.id]
    assert not venue.forget("B") and "B" in venue.orders  # still working
    assert venue.forget("A")
    assert "A" not in venue.orders and "A" not in engine._seq and "A" not in venue._last_arrival
    assert not venue.forget("A")  # already gone
    assert venue.net_qty[AAPL.id] == D(5)


def test_forget_waits_for_a_command_in_flight(make_venue: VenueFactory) -> None:
    venue, rec = make_venue(latency=("fixed", {"delay_ns": 30 * 1_000_000_000}))
    venue.submit(make_order(AAPL, "buy", "limit", 5, price="100", client_order_id="L"), T0 - M)
    venue.process_bar(bar(0, 100.5, 101, 99, 100))  # accepted, then crossed at 99.00
    assert rec.fills("L") == [("5", "100")]
    venue.submit(make_order(AAPL, "buy", "limit", 5, price="90", client_order_id="X"), T0 + M)
    venue.process_bar(bar(1, 100, 101, 99, 100))
    venue.cancel("X", T0 + 2 * M)
    assert venue.forget("L")  # closed, nothing in flight: dropped at once
    assert "L" not in venue.orders
    venue.process_bar(bar(2, 100, 101, 99, 100))
    assert [e.client_order_id for e in rec.of(OrderCanceled)] == ["X"]
    # a cancel still travelling when its order closes is answered, then the order is dropped
    venue.submit(make_order(AAPL, "sell", "limit", 5, price="101", client_order_id="Y"), T0)
    venue.process_bar(bar(3, 100, 100.5, 99, 100))  # accepted, not reached
    venue.cancel("Y", to_ns("2026-03-02T15:04:50Z"))  # arrives at 15:05:20, in bar 5
    venue.process_bar(bar(4, 101.5, 102, 101, 101.5))  # gaps through 101: filled at the open
    assert rec.fills("Y") == [("5", "101.50")]
    assert venue.forget("Y") and "Y" in venue.orders  # deferred: the cancel is in flight
    venue.process_bar(bar(5, 101.5, 102, 101, 101.5))
    # the cancel reached a filled order (no legal event: nothing emitted), then it was dropped
    assert not rec.of(OrderCancelRejected, "Y") and not rec.of(OrderCanceled, "Y")
    assert "Y" not in venue.orders and not venue._in_flight
    assert not rec.of(OrderExpired)
