"""Two hubs (two API processes) sharing one stream through the real Redis."""

from __future__ import annotations

import asyncio

import redis

from nautilus.bus import InProcessBus
from nautilus.security import Principal
from nautilus.streaming import RedisFanout, StreamHub, StreamingConfig
from nautilus.streaming.engine import connect_bus
from tests.unit.streaming.conftest import ListSink
from tests.unit.streaming.test_hub import TM, bar, connect, run, until


def test_frames_cross_processes_with_one_sequence(
    redis_url: str, unique: str, alice: Principal, bob: Principal
) -> None:
    prefix = f"test:ws:{unique}"

    async def body() -> None:
        hubs, buses = [], []
        for _ in range(2):
            hub = StreamHub(StreamingConfig(), fanout=RedisFanout(redis_url, prefix))
            bus = InProcessBus()
            connect_bus(bus, hub)
            await hub.ensure_running()
            hubs.append(hub)
            buses.append(bus)
        a_sink, b_sink = ListSink(), ListSink()
        connect(hubs[0], alice, a_sink, "bars.X.1m")
        connect(hubs[1], bob, b_sink, "bars.X.1m")
        # Messages originate in both processes, interleaved.
        for i in range(10):
            buses[i % 2].publish("data.bars.X.1m", bar("X", i))
            if i % 3 == 0:
                await asyncio.sleep(0.001)
        await until(lambda: len(a_sink.data()) == 10 and len(b_sink.data()) == 10)
        a = [(f["seq"], f["data"]["close"]) for f in a_sink.data()]
        b = [(f["seq"], f["data"]["close"]) for f in b_sink.data()]
        assert a == b  # both processes deliver the same frames with the same seq
        assert [s for s, _ in a] == list(range(1, 11))
        assert sorted(c for _, c in a) == [float(i) for i in range(10)]
        # A message published only in process 0 reaches a client of process 1 ...
        buses[0].publish("data.bars.X.1m", bar("X", 100.0))
        await until(lambda: len(b_sink.data()) == 11)
        assert b_sink.data()[-1]["seq"] == 11 and b_sink.data()[-1]["data"]["close"] == 100.0
        # ... and a reconnect to process 1 resumes frames that originated in process 0.
        late = ListSink()
        client = connect(hubs[1], alice, late, "bars.X.*", since={"bars.X.1m": 8})
        await until(lambda: len(late.data()) == 3)
        assert [f["seq"] for f in late.data()] == [9, 10, 11]
        assert client.subscriptions["bars.X.*"] == TM.resolve("bars.X.*")
        for hub in hubs:
            await hub.aclose()

    try:
        run(body)
    finally:
        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(f"{prefix}:*"))
        assert keys == [f"{prefix}:seq:bars.X.1m".encode()]
        assert int(r.get(keys[0]) or 0) == 11
        r.delete(*keys)
