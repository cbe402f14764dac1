"""In-process bus specifics: re-entrant order, cache invalidation, threads, matching."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nautilus.bus.base import Lane
from nautilus.bus.memory import InProcessBus, parse_pattern


def test_reentrant_publish_is_breadth_first() -> None:
    bus = InProcessBus()
    log: list[str] = []

    def strategy(topic: str, msg: str) -> None:
        log.append(f"strategy:{msg}")
        if msg == "bar":
            bus.publish("orders.submit", "order")

    def risk(topic: str, msg: str) -> None:
        log.append(f"risk:{msg}")
        if msg == "order":
            bus.publish("orders.accepted", "accepted")

    bus.subscribe("data.>", strategy, priority=1)
    bus.subscribe("orders.>", strategy, priority=1)
    bus.subscribe(">", risk)
    bus.publish("data.bars.AAPL", "bar")
    # Every handler sees "bar" before anyone sees "order", and "order" before "accepted".
    assert log == [
        "strategy:bar",
        "risk:bar",
        "strategy:order",
        "risk:order",
        "strategy:accepted",
        "risk:accepted",
    ]
    assert bus.stats()["published"] == 3
    assert bus.stats()["delivered"] == 6


def test_queued_reentrant_messages_drain_by_lane_then_fifo() -> None:
    bus = InProcessBus()
    seen: list[str] = []

    def fan_out(topic: str, msg: str) -> None:
        bus.publish("out.low1", "low1", lane=Lane.LOW)
        bus.publish("out.normal", "normal")
        bus.publish("out.low2", "low2", lane=Lane.LOW)
        bus.publish("out.kill", "kill", lane=Lane.CRITICAL)
        bus.publish("out.high", "high", lane=Lane.HIGH)

    bus.subscribe("in", fan_out)
    bus.subscribe("out.*", lambda t, m: seen.append(m))
    bus.publish("in", "go")
    assert seen == ["kill", "high", "normal", "low1", "low2"]


def test_subscription_changes_apply_from_the_next_message() -> None:
    bus = InProcessBus()
    seen: list[tuple[str, int]] = []
    late_sub: list[Any] = []

    def late(topic: str, msg: int) -> None:
        seen.append(("late", msg))

    def first(topic: str, msg: int) -> None:
        seen.append(("first", msg))
        if msg == 1:
            late_sub.append(bus.subscribe("t.x", late))
        if msg == 2:
            bus.unsubscribe(late_sub[0])

    bus.subscribe("t.x", first, priority=1)
    bus.publish("t.x", 1)  # cached handler list (first) used for this message
    bus.publish("t.x", 2)  # late is subscribed now; unsubscribed while 2 is delivered
    bus.publish("t.x", 3)
    assert seen == [("first", 1), ("first", 2), ("late", 2), ("first", 3)]


def test_handler_cache_is_invalidated_on_subscribe_and_unsubscribe() -> None:
    bus = InProcessBus()
    a: list[int] = []
    b: list[int] = []
    bus.subscribe("px.*", lambda t, m: a.append(m))
    bus.publish("px.AAPL", 1)
    sub_b = bus.subscribe("px.AAPL", lambda t, m: b.append(m))
    bus.publish("px.AAPL", 2)
    bus.unsubscribe(sub_b)
    bus.publish("px.AAPL", 3)
    assert a == [1, 2, 3]
    assert b == [2]
    assert bus.has_subscribers("px.MSFT")
    assert not bus.has_subscribers("qx.MSFT")


def test_publishes_from_many_threads_are_all_delivered_once() -> None:
    bus = InProcessBus()
    counts = {"n": 0, "sum": 0}

    def tally(topic: str, msg: int) -> None:
        # Not atomic on purpose: the bus serialises deliveries, so no update is lost.
        counts["n"] += 1
        counts["sum"] += msg

    bus.subscribe("ticks.>", tally)
    per_thread = 5_000

    def worker(k: int) -> None:
        for i in range(per_thread):
            bus.publish(f"ticks.{k}", i)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts["n"] == 4 * per_thread
    assert counts["sum"] == 4 * sum(range(per_thread))
    assert bus.stats()["published"] == 4 * per_thread


def test_endpoint_errors_propagate_and_deregister() -> None:
    bus = InProcessBus()

    def margin(req: dict[str, float]) -> float:
        return req["notional"] * req["rate"]

    bus.register_endpoint("risk.margin", margin)
    assert bus.request("risk.margin", {"notional": 250_000.0, "rate": 0.04}) == 10_000.0
    with pytest.raises(KeyError, match="rate"):
        bus.request("risk.margin", {"notional": 1.0})
    bus.deregister_endpoint("risk.margin")
    assert bus.stats()["endpoints"] == 0


def _reference_match(pattern: str, topic: str) -> bool:
    """Regex reading of the documented wildcard rules, independent of topic_matches."""
    rx = []
    for seg in pattern.split("."):
        if seg == "*":
            rx.append(r"[^.]+")
        elif seg == ">":
            rx.append(r"[^.]+(?:\.[^.]+)*")
        else:
            rx.append(re.escape(seg))
    return re.fullmatch(r"\.".join(rx), topic) is not None


_segment = st.sampled_from(["data", "bars", "AAPL", "1m", "risk"])
_topic = st.lists(_segment, min_size=1, max_size=5).map(".".join)
_pattern = st.tuples(
    st.lists(st.one_of(_segment, st.just("*")), min_size=1, max_size=4),
    st.booleans(),
).map(lambda p: ".".join(p[0] + ([">"] if p[1] else [])))


@settings(max_examples=150, deadline=None)
@given(
    patterns=st.lists(_pattern, min_size=1, max_size=6),
    topics=st.lists(_topic, min_size=1, max_size=8),
)
def test_delivery_matches_reference_wildcards(patterns: list[str], topics: list[str]) -> None:
    bus = InProcessBus()
    got: dict[int, list[str]] = {i: [] for i in range(len(patterns))}
    for i, p in enumerate(patterns):
        parse_pattern(p)
        bus.subscribe(p, lambda t, m, i=i: got[i].append(t))
    for t in topics:
        bus.publish(t, None)
    for i, p in enumerate(patterns):
        assert got[i] == [t for t in topics if _reference_match(p, t)], p


def test_prometheus_export_of_in_process_stats() -> None:
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from nautilus.bus.metrics import BusMetricsCollector

    bus = InProcessBus()
    bus.subscribe("a.*", lambda t, m: None)
    bus.subscribe("a.>", lambda t, m: 1 / m)
    for i in range(4):
        bus.publish("a.b", i)  # 1/0 raises once
    registry = CollectorRegistry()
    registry.register(BusMetricsCollector(bus))
    samples = {
        s.name: s.value
        for fam in text_string_to_metric_families(generate_latest(registry).decode())
        for s in fam.samples
    }
    assert samples["nautilus_bus_published_total"] == 4
    assert samples["nautilus_bus_delivered_total"] == 8
    assert samples["nautilus_bus_handler_errors_total"] == 1
