"""The MessageBus contract, run on both backends (``bus`` is parametrized in conftest)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from nautilus.bus.base import Lane, MessageBus
from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.model.data import Bar, Quote

from .conftest import Settle


def _recorder() -> tuple[list[tuple[str, Any]], Any]:
    got: list[tuple[str, Any]] = []

    def handler(topic: str, msg: Any) -> None:
        got.append((topic, msg))

    return got, handler


def test_wildcard_matching(bus: MessageBus, settle: Settle) -> None:
    patterns = ["data.bars.*", "data.>", "data.bars.AAPL.1m", "*.bars.*.1m", "risk.>"]
    received: dict[str, list[str]] = {}
    for p in patterns:
        got: list[str] = []
        received[p] = got
        bus.subscribe(p, lambda topic, msg, got=got: got.append(topic))
    topics = [
        "data.bars.AAPL",
        "data.bars.AAPL.1m",
        "data.quotes.MSFT",
        "data",
        "risk",
        "risk.limits.breach",
        "fx.bars.EURUSD.1m",
    ]
    for i, t in enumerate(topics):
        bus.publish(t, i)
    settle(bus)
    assert received == {
        "data.bars.*": ["data.bars.AAPL"],
        # '>' needs at least one more segment: "data" itself does not match "data.>".
        "data.>": ["data.bars.AAPL", "data.bars.AAPL.1m", "data.quotes.MSFT"],
        "data.bars.AAPL.1m": ["data.bars.AAPL.1m"],
        "*.bars.*.1m": ["data.bars.AAPL.1m", "fx.bars.EURUSD.1m"],
        "risk.>": ["risk.limits.breach"],
    }


def test_handlers_run_by_priority_then_subscription_order(bus: MessageBus, settle: Settle) -> None:
    calls: list[tuple[str, int]] = []
    for name, prio in [("low", 0), ("high", 10), ("mid", 5), ("high2", 10), ("neg", -3)]:
        bus.subscribe("orders.>", lambda t, m, name=name: calls.append((name, m)), priority=prio)
    bus.publish("orders.new.1", 1)
    bus.publish("orders.new.2", 2)
    settle(bus)
    order = ["high", "high2", "mid", "low", "neg"]
    assert calls == [(n, 1) for n in order] + [(n, 2) for n in order]


def test_unsubscribe_stops_delivery(bus: MessageBus, settle: Settle) -> None:
    got, handler = _recorder()
    kept, kept_handler = _recorder()
    sub = bus.subscribe("fills.*", handler)
    bus.subscribe("fills.*", kept_handler)
    bus.publish("fills.AAPL", 1)
    settle(bus)
    bus.unsubscribe(sub)
    bus.unsubscribe(sub)  # a second unsubscribe is harmless
    bus.publish("fills.AAPL", 2)
    settle(bus)
    assert got == [("fills.AAPL", 1)]
    assert kept == [("fills.AAPL", 1), ("fills.AAPL", 2)]


def test_struct_round_trip_keeps_type_and_values(bus: MessageBus, settle: Settle) -> None:
    got, handler = _recorder()
    bus.subscribe("data.>", handler)
    bar = Bar(
        instrument_id="AAPL.XNAS",
        timeframe="1m",
        open=189.5,
        high=190.25,
        low=189.0,
        close=190.0,
        volume=12_345.0,
        ts_event=1_700_000_060_000_000_000,
        ts_init=1_700_000_060_000_123_456,
    )
    quote = Quote(
        instrument_id="EURUSD.IDEALPRO",
        bid=1.08321,
        ask=1.08324,
        bid_size=1e6,
        ask_size=2.5e6,
        ts_event=1_700_000_000_000_000_001,
        ts_init=1_700_000_000_000_000_002,
    )
    plain = {"order_id": "O-1", "qty": 100, "tags": ["a", "b"]}
    bus.publish("data.bars.AAPL.XNAS.1m", bar)
    bus.publish("data.quotes.EURUSD", quote, lane=Lane.HIGH)
    bus.publish("data.misc", plain)
    settle(bus)
    by_topic = dict(got)
    assert type(by_topic["data.bars.AAPL.XNAS.1m"]) is Bar
    assert by_topic["data.bars.AAPL.XNAS.1m"] == bar
    assert by_topic["data.bars.AAPL.XNAS.1m"].ts_init == 1_700_000_060_000_123_456
    assert type(by_topic["data.quotes.EURUSD"]) is Quote
    assert by_topic["data.quotes.EURUSD"] == quote
    assert by_topic["data.misc"] == plain


def test_failing_handler_is_counted_and_does_not_stop_others(
    bus: MessageBus, settle: Settle
) -> None:
    got, handler = _recorder()

    def broken(topic: str, msg: Any) -> None:
        raise RuntimeError(f"cannot handle {msg}")

    bus.subscribe("signals.*", broken, priority=5)
    bus.subscribe("signals.*", handler)
    for i in range(3):
        bus.publish("signals.momo", i)
    settle(bus)
    assert [m for _, m in got] == [0, 1, 2]
    stats = bus.stats()  # type: ignore[attr-defined]
    assert stats["handler_errors"] == 3
    # 3 broken + 3 recorded calls, plus one settle marker per lane.
    assert stats["delivered"] == 6 + len(Lane)


def test_request_reply_computes_on_the_endpoint(bus: MessageBus) -> None:
    def vwap(fills: list[list[float]]) -> float:
        px = np.array([f[0] for f in fills])
        qty = np.array([f[1] for f in fills])
        return float((px * qty).sum() / qty.sum())

    bus.register_endpoint("analytics.vwap", vwap)
    fills = [[100.0, 10.0], [101.0, 30.0], [99.5, 60.0]]
    reply = bus.request("analytics.vwap", fills, timeout=5.0)
    assert reply == pytest.approx((100 * 10 + 101 * 30 + 99.5 * 60) / 100)
    assert reply == pytest.approx(100.0)


def test_request_reply_carries_structs_and_errors(bus: MessageBus) -> None:
    def last_close(bar: Bar) -> dict[str, str]:
        if bar.volume <= 0:
            raise ValidationError("bar has no volume", code="empty_bar")
        return {"instrument": bar.instrument_id, "close": str(Decimal(str(bar.close)))}

    bus.register_endpoint("data.last_close", last_close)
    bar = Bar(
        instrument_id="MSFT",
        timeframe="1d",
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.25,
        volume=10.0,
        ts_event=1,
        ts_init=2,
    )
    assert bus.request("data.last_close", bar) == {"instrument": "MSFT", "close": "1.25"}
    empty = Bar(
        instrument_id="MSFT",
        timeframe="1d",
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.25,
        volume=0.0,
        ts_event=1,
        ts_init=2,
    )
    with pytest.raises(ValidationError) as err:
        bus.request("data.last_close", empty)
    assert err.value.code == "empty_bar"
    assert "no volume" in err.value.detail


def test_unknown_endpoint_is_not_found(bus: MessageBus) -> None:
    with pytest.raises(NotFoundError) as err:
        bus.request("risk.no_such_check", {"x": 1}, timeout=1.0)
    assert err.value.code == "unknown_endpoint"
    assert err.value.status == 404


def test_duplicate_endpoint_is_a_conflict(bus: MessageBus) -> None:
    bus.register_endpoint("risk.check", lambda m: True)
    with pytest.raises(ConflictError) as err:
        bus.register_endpoint("risk.check", lambda m: False)
    assert err.value.code == "endpoint_exists"


@pytest.mark.parametrize("topic", ["", "data..bars", ".data", "data."])
def test_invalid_topics_are_rejected(bus: MessageBus, topic: str) -> None:
    with pytest.raises(ValidationError) as err:
        bus.publish(topic, 1)
    assert err.value.code == "invalid_topic"


def test_gt_only_as_last_pattern_segment(bus: MessageBus) -> None:
    with pytest.raises(ValidationError):
        bus.subscribe("data.>.AAPL", lambda t, m: None)


def test_counters_and_health(bus: MessageBus, settle: Settle) -> None:
    got, handler = _recorder()
    bus.subscribe("pnl.*", handler)
    bus.subscribe("pnl.>", handler)
    for i in range(5):
        bus.publish("pnl.daily", i)
    bus.publish("unrouted.topic", 0)
    settle(bus)
    stats = bus.stats()  # type: ignore[attr-defined]
    assert len(got) == 10
    assert stats["published"] == 6 + len(Lane)
    assert stats["delivered"] == 10 + len(Lane)
    assert stats["handler_errors"] == 0
    assert bus.health()["healthy"] is True
