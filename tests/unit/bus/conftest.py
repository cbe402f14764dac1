"""Bus fixtures: the same contract tests run on the in-process and the Redis Streams bus."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from nautilus.bus.base import Lane, MessageBus
from nautilus.bus.memory import InProcessBus
from nautilus.bus.redis_streams import RedisStreamsBus
from nautilus.config import BusConfig

Settle = Callable[[MessageBus], None]


def delete_namespace(redis_url: str, namespace: str) -> None:
    """Remove every key of one test namespace (never anything else)."""
    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(match=f"{namespace}:*", count=1000))
    if keys:
        r.delete(*keys)
    r.close()


@pytest.fixture
def redis_bus_factory(redis_url: str, unique: str) -> Iterator[Callable[..., RedisStreamsBus]]:
    """Build started Redis buses in this test's own namespace; all are stopped afterwards."""
    namespace = f"test-bus-{unique}"
    built: list[RedisStreamsBus] = []

    def build(
        start: bool = True, block_ms: int = 50, batch_size: int = 1000, **config: object
    ) -> RedisStreamsBus:
        cfg = BusConfig.model_validate({"backend": "redis", "claim_idle_ms": 200, **config})
        bus = RedisStreamsBus(
            redis_url, cfg, namespace=namespace, block_ms=block_ms, batch_size=batch_size
        )
        built.append(bus)
        if start:
            bus.start()
        return bus

    yield build
    for bus in built:
        bus.stop()
    delete_namespace(redis_url, namespace)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def bus(request: pytest.FixtureRequest) -> Iterator[MessageBus]:
    if request.param == "memory":
        mem = InProcessBus()
        mem.start()
        yield mem
        mem.stop()
        return
    factory = request.getfixturevalue("redis_bus_factory")
    yield factory()


@pytest.fixture
def settle() -> Settle:
    """Wait until everything published before the call has reached its handlers.

    Publishes one marker per lane and waits for all four: each lane is delivered in order, so
    a marker's arrival means the messages before it on that lane have been handled.
    """

    def wait(bus: MessageBus, timeout: float = 10.0) -> None:
        token = uuid.uuid4().hex
        seen: set[int] = set()
        done = threading.Event()

        def on_marker(topic: str, lane: int) -> None:
            seen.add(lane)
            if len(seen) == len(Lane):
                done.set()

        sub = bus.subscribe(f"settle.{token}", on_marker, priority=-(10**6))
        for lane in Lane:
            bus.publish(f"settle.{token}", int(lane), lane=lane)
        assert done.wait(timeout), f"bus did not settle within {timeout} s"
        bus.unsubscribe(sub)

    return wait
