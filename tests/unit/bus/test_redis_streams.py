"""Redis Streams bus guarantees: groups, reclaim, caps, lanes, buffering, dedupe, lag."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from nautilus.bus.base import Lane, encode_message
from nautilus.bus.redis_streams import RedisStreamsBus
from nautilus.config import BusConfig
from nautilus.core.errors import UnavailableError

from .polling import wait_until

pytestmark = pytest.mark.redis

Factory = Callable[..., RedisStreamsBus]


def _collect(bus: RedisStreamsBus, pattern: str = ">") -> list[Any]:
    got: list[Any] = []
    lock = threading.Lock()

    def handler(topic: str, msg: Any) -> None:
        with lock:
            got.append(msg)

    bus.subscribe(pattern, handler)
    return got


def test_pending_entries_of_a_dead_consumer_are_reclaimed(
    redis_bus_factory: Factory, redis_url: str
) -> None:
    publisher = redis_bus_factory(claim_idle_ms=100)
    for i in range(20):
        publisher.publish("orders.new", i)
    publisher.flush()
    # A consumer of the same group reads the entries and dies before acknowledging them.
    r = redis.Redis.from_url(redis_url)
    stream = publisher.streams[Lane.NORMAL]
    taken = r.xreadgroup("nautilus", "dead-consumer", {stream: ">"}, count=100)
    assert len(taken[0][1]) == 20
    assert r.xpending(stream, "nautilus")["pending"] == 20

    survivor = redis_bus_factory(claim_idle_ms=100)
    got = _collect(survivor, "orders.*")
    assert wait_until(lambda: len(got) == 20, timeout=10)
    assert sorted(got) == list(range(20))
    assert survivor.stats()["reclaimed"] == 20
    assert wait_until(lambda: r.xpending(stream, "nautilus")["pending"] == 0)
    r.close()


def test_every_group_receives_every_message(redis_bus_factory: Factory) -> None:
    risk = redis_bus_factory(consumer_group="risk")
    portfolio = redis_bus_factory(consumer_group="portfolio")
    got_risk = _collect(risk)
    got_portfolio = _collect(portfolio)
    publisher = redis_bus_factory(consumer_group="publishers")
    for i in range(200):
        publisher.publish("fills.AAPL", i)
    publisher.flush()
    assert wait_until(lambda: len(got_risk) == 200 and len(got_portfolio) == 200)
    assert got_risk == list(range(200))
    assert got_portfolio == list(range(200))


def test_members_of_one_group_share_the_messages(redis_bus_factory: Factory) -> None:
    a = redis_bus_factory(consumer_group="workers", batch_size=10)
    b = redis_bus_factory(consumer_group="workers")
    got_a, got_b = _collect(a), _collect(b)
    publisher = redis_bus_factory(consumer_group="publishers")
    for i in range(2000):
        publisher.publish("jobs.task", i)
    publisher.flush()
    assert wait_until(lambda: len(got_a) + len(got_b) == 2000)
    time.sleep(0.1)
    assert sorted(got_a + got_b) == list(range(2000))
    assert got_a and got_b
    assert not set(got_a) & set(got_b)


def test_maxlen_bounds_the_stream(redis_bus_factory: Factory, redis_url: str) -> None:
    bus = redis_bus_factory(stream_maxlen=100)
    for i in range(3000):
        bus.publish("data.ticks.X", i)
    bus.flush()
    r = redis.Redis.from_url(redis_url)
    length = r.xlen(bus.streams[Lane.NORMAL])
    r.close()
    # Approximate trimming removes whole radix-tree nodes (100 entries each by default).
    assert 100 <= length <= 300
    assert bus.stats()["published"] == 3000


def test_critical_lane_is_drained_before_lower_lanes(redis_bus_factory: Factory) -> None:
    publisher = redis_bus_factory()
    for i in range(150):
        publisher.publish("md.tick", ("low", i), lane=Lane.LOW)
    for i in range(150):
        publisher.publish("md.tick", ("normal", i), lane=Lane.NORMAL)
    for i in range(150):
        publisher.publish("risk.kill", ("critical", i), lane=Lane.CRITICAL)
    publisher.flush()
    consumer = redis_bus_factory(start=False, batch_size=40)
    got = _collect(consumer)
    consumer.start()
    assert wait_until(lambda: len(got) == 450)
    lanes = [m[0] for m in got]
    assert lanes == ["critical"] * 150 + ["normal"] * 150 + ["low"] * 150
    assert [m[1] for m in got[:150]] == list(range(150))


def test_resent_entries_are_delivered_once(redis_bus_factory: Factory, redis_url: str) -> None:
    bus = redis_bus_factory()
    got = _collect(bus)
    r = redis.Redis.from_url(redis_url)
    stream = bus.streams[Lane.NORMAL]
    # The same producer id written twice is what a resend after a lost XADD reply looks like.
    for mid, value in [(b"p1:1", "a"), (b"p1:2", "b"), (b"p1:1", "a"), (b"p1:3", "c")]:
        r.xadd(stream, {"t": "x.y", "m": encode_message(value, time.time_ns()), "i": mid})
    r.close()
    assert wait_until(lambda: len(got) == 3)
    time.sleep(0.1)
    assert got == ["a", "b", "c"]
    assert bus.stats()["duplicates"] == 1


def test_stats_report_consumer_lag(redis_bus_factory: Factory) -> None:
    bus = redis_bus_factory()  # no subscriptions: it publishes but does not read
    for i in range(37):
        bus.publish("pnl.tick", i, lane=Lane.HIGH)
    bus.flush()
    stats = bus.stats()
    assert stats["published"] == 37
    assert stats["lanes"]["high"] == {"pending": 0, "lag": 37}
    assert stats["consumer_lag"] == 37
    assert stats["buffered"] == 0


def test_request_times_out(redis_bus_factory: Factory) -> None:
    server = redis_bus_factory()
    release = threading.Event()

    def slow(msg: Any) -> str:
        release.wait(2.0)
        return "late"

    server.register_endpoint("risk.slow_check", slow)
    client = redis_bus_factory()
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        client.request("risk.slow_check", 1, timeout=0.2)
    assert 0.2 <= time.monotonic() - t0 < 1.5
    release.set()


def test_requests_are_shared_between_servers(redis_bus_factory: Factory) -> None:
    s1, s2 = redis_bus_factory(), redis_bus_factory()
    s1.register_endpoint("calc.square", lambda x: x * x)
    s2.register_endpoint("calc.square", lambda x: x * x)
    client = redis_bus_factory()
    assert [client.request("calc.square", i) for i in range(30)] == [i * i for i in range(30)]
    assert s1.stats()["requests_served"] + s2.stats()["requests_served"] == 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_publish_without_redis_buffers_then_refuses() -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    bus = RedisStreamsBus(
        url, BusConfig(backend="redis", buffer_max=5), namespace="nowhere", reconnect_max_s=0.2
    )
    bus.start()
    try:
        for i in range(5):
            bus.publish("orders.new", i)
        with pytest.raises(UnavailableError) as err:
            bus.publish("orders.new", 5)
        assert err.value.code == "bus_buffer_full"
        health = bus.health()
        assert health["healthy"] is False
        assert health["buffered"] == 5
        with pytest.raises(UnavailableError):
            bus.flush(timeout=0.2)
    finally:
        bus.stop(timeout=0.2)
    with pytest.raises(UnavailableError) as err:
        bus.publish("orders.new", 6)
    assert err.value.code == "bus_stopped"


def test_stop_joins_every_thread(redis_bus_factory: Factory) -> None:
    bus = redis_bus_factory()
    bus.register_endpoint("calc.echo", lambda m: m)
    got = _collect(bus)
    assert bus.request("calc.echo", {"px": "101.25"}) == {"px": "101.25"}
    bus.publish("x.y", 1)
    assert wait_until(lambda: got == [1])
    names = {t.name for t in threading.enumerate() if bus.consumer_name in t.name}
    assert names == {
        f"bus-{kind}-{bus.consumer_name}" for kind in ("flush", "consume", "endpoints", "replies")
    }
    assert bus.health()["healthy"] is True
    t0 = time.monotonic()
    bus.stop()
    assert time.monotonic() - t0 < 2.0
    assert not [t for t in threading.enumerate() if bus.consumer_name in t.name]
    assert bus.health()["healthy"] is False


def test_prometheus_export_of_redis_stats(redis_bus_factory: Factory) -> None:
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from nautilus.bus.metrics import BusMetricsCollector

    bus = redis_bus_factory()  # publishes, does not read: everything stays as lag
    for i in range(12):
        bus.publish("pnl.tick", i, lane=Lane.LOW)
    bus.flush()
    registry = CollectorRegistry()
    registry.register(BusMetricsCollector(bus))
    samples = {
        (s.name, s.labels.get("lane")): s.value
        for fam in text_string_to_metric_families(generate_latest(registry).decode())
        for s in fam.samples
    }
    assert samples[("nautilus_bus_published_total", None)] == 12
    assert samples[("nautilus_bus_buffered", None)] == 0
    assert samples[("nautilus_bus_consumer_lag", "low")] == 12
    assert samples[("nautilus_bus_consumer_lag", "critical")] == 0
    assert samples[("nautilus_bus_consumer_pending", "low")] == 0
