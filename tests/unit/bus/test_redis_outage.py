"""Redis goes away and comes back: the bus buffers, reports unhealthy, reconnects, loses nothing.

The test runs its own ``redis-server`` (no persistence) on a free port so it can kill it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from nautilus.bus.redis_streams import RedisStreamsBus
from nautilus.config import BusConfig
from nautilus.core.errors import UnavailableError

from .polling import wait_until

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not on PATH"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisProcess:
    """A throwaway redis-server without persistence, on a fixed port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            assert wait_until(lambda: self._ping(client), timeout=10), "redis-server did not start"
        finally:
            client.close()

    @staticmethod
    def _ping(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    server = RedisProcess(_free_port())
    server.start()
    yield server
    server.kill()


def test_outage_buffers_and_delivers_everything_once(redis_process: RedisProcess) -> None:
    url = f"redis://127.0.0.1:{redis_process.port}/0"
    config = BusConfig(backend="redis", buffer_max=5_000, claim_idle_ms=200)
    bus = RedisStreamsBus(
        url, config, namespace="outage", block_ms=50, reconnect_base_s=0.02, reconnect_max_s=0.2
    )
    got: list[int] = []
    lock = threading.Lock()

    def on_fill(topic: str, msg: Any) -> None:
        with lock:
            got.append(msg)

    bus.subscribe("fills.>", on_fill)
    bus.start()
    try:
        for i in range(500):
            bus.publish("fills.AAPL", i)
        bus.flush()
        assert wait_until(lambda: len(got) == 500)
        assert bus.health()["healthy"] is True

        redis_process.kill()
        for i in range(500, 2500):
            bus.publish("fills.AAPL", i)
        assert wait_until(lambda: not bus.health()["healthy"], timeout=5)
        health = bus.health()
        assert health["connected"] is False
        assert health["buffered"] == 2000
        assert health["last_error"]
        assert len(got) == 500

        redis_process.start()
        assert wait_until(lambda: len(got) >= 2500, timeout=20), f"only {len(got)} delivered"
        time.sleep(0.2)
        assert sorted(got) == list(range(2500))  # every message, none twice
        assert got == list(range(2500))  # and in publish order on this lane
        assert bus.health()["healthy"] is True
        stats = bus.stats()
        assert stats["published"] == 2500
        assert stats["buffered"] == 0
        assert stats["reconnects"] >= 1
    finally:
        bus.stop(timeout=1.0)


def test_buffer_limit_during_outage_is_never_silent(redis_process: RedisProcess) -> None:
    url = f"redis://127.0.0.1:{redis_process.port}/0"
    config = BusConfig(backend="redis", buffer_max=100)
    bus = RedisStreamsBus(
        url,
        config,
        namespace="outage-limit",
        block_ms=50,
        reconnect_base_s=0.02,
        reconnect_max_s=0.2,
    )
    got: list[int] = []
    bus.subscribe("orders.>", lambda t, m: got.append(m))
    bus.start()
    try:
        redis_process.kill()
        assert wait_until(lambda: not bus.health()["healthy"], timeout=5)
        accepted = 0
        with pytest.raises(UnavailableError) as err:
            for i in range(1_000):
                bus.publish("orders.new", i)
                accepted += 1
        assert err.value.code == "bus_buffer_full"
        assert accepted == 100
        redis_process.start()
        assert wait_until(lambda: len(got) == accepted, timeout=20)
        assert got == list(range(accepted))
    finally:
        bus.stop(timeout=1.0)


def test_dropped_connections_under_load_deliver_exactly_once(
    redis_process: RedisProcess,
) -> None:
    """Connections cut while batches are in flight: resends are deduplicated, acks retried."""
    url = f"redis://127.0.0.1:{redis_process.port}/0"
    config = BusConfig(backend="redis", buffer_max=50_000, claim_idle_ms=100)
    bus = RedisStreamsBus(
        url,
        config,
        namespace="drops",
        block_ms=20,
        batch_size=200,
        reconnect_base_s=0.01,
        reconnect_max_s=0.05,
    )
    got: list[int] = []
    bus.subscribe("ticks.>", lambda t, m: got.append(m))
    bus.start()
    admin = redis.Redis(port=redis_process.port)
    n = 20_000
    try:
        for i in range(n):
            bus.publish("ticks.ES", i)
            if i % 2_000 == 1_000:
                admin.client_kill_filter(_type="normal", skipme=True)
                time.sleep(0.02)  # let the reader's blocking call be in flight at the next cut
        # A cut that lands between two calls is invisible (redis-py replaces an idle dead
        # pooled connection silently); keep cutting until one hit a call in flight.
        deadline = time.monotonic() + 10
        while bus.stats()["reconnects"] < 1 and time.monotonic() < deadline:
            admin.client_kill_filter(_type="normal", skipme=True)
            time.sleep(0.05)
        assert wait_until(lambda: len(got) >= n, timeout=30), f"only {len(got)} delivered"
        stream = bus.streams[2]
        assert wait_until(lambda: admin.xpending(stream, "nautilus")["pending"] == 0, timeout=10)
        assert len(got) == n
        assert sorted(got) == list(range(n))
        assert bus.stats()["reconnects"] >= 1
    finally:
        admin.close()
        bus.stop(timeout=1.0)


def test_out_of_memory_refusals_are_buffered_and_retried(redis_process: RedisProcess) -> None:
    url = f"redis://127.0.0.1:{redis_process.port}/0"
    config = BusConfig(backend="redis", buffer_max=5_000)
    bus = RedisStreamsBus(
        url, config, namespace="oom", block_ms=50, reconnect_base_s=0.02, reconnect_max_s=0.1
    )
    got: list[int] = []
    bus.subscribe("quotes.>", lambda t, m: got.append(m))
    bus.start()
    admin = redis.Redis(port=redis_process.port)
    try:
        bus.publish("quotes.EURUSD", -1)
        assert wait_until(lambda: got == [-1])
        used = int(admin.info("memory")["used_memory"])
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", used - 1)  # every write is refused from now on
        for i in range(300):
            bus.publish("quotes.EURUSD", i)
        assert wait_until(lambda: not bus.health()["healthy"] or bus.stats()["buffered"] == 0)
        assert bus.stats()["publish_errors"] == 0
        assert bus.health()["buffered"] == 300
        assert bus.health()["write_refused"] is True
        assert "maxmemory" in (bus.health()["last_error"] or "")
        admin.config_set("maxmemory", 0)
        assert wait_until(lambda: len(got) == 301, timeout=10)
        assert got == [-1, *range(300)]
    finally:
        admin.close()
        bus.stop(timeout=1.0)
