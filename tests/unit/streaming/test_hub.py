"""The hub on a real in-process bus: routing, seq, permissions, resume, conflation, slow
clients and heartbeats. Transports are the recording/stalling sinks of conftest."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from decimal import Decimal

from nautilus.bus import InProcessBus
from nautilus.model import Bar, OrderAccepted
from nautilus.security import Principal
from nautilus.streaming import StreamClient, StreamHub, StreamingConfig, TopicMap
from nautilus.streaming.engine import connect_bus
from nautilus.streaming.messages import CLOSE_HEARTBEAT, CLOSE_TRY_AGAIN
from tests.unit.streaming.conftest import ListSink, StalledSink

TM = TopicMap()


def bar(inst: str, close: float, tf: str = "1m") -> Bar:
    return Bar(
        instrument_id=inst,
        timeframe=tf,
        open=close,
        high=close,
        low=close,
        close=close,
        volume=1.0,
        ts_event=1,
        ts_init=1,
    )


def accepted(order_id: str) -> OrderAccepted:
    return OrderAccepted(
        client_order_id=order_id,
        instrument_id="AAPL",
        ts_event=1,
        ts_init=1,
        venue_order_id="v-" + order_id,
    )


async def until(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 30))


async def make_hub(config: StreamingConfig | None = None) -> tuple[StreamHub, InProcessBus]:
    hub = StreamHub(config or StreamingConfig())
    bus = InProcessBus()
    connect_bus(bus, hub)
    await hub.ensure_running()
    return hub, bus


def connect(
    hub: StreamHub,
    who: Principal,
    sink: ListSink,
    *topics: str,
    since: dict[str, int] | None = None,
    limit: int = 1000,
    hard: int = 4000,
    conflate_at: int = 100,
) -> StreamClient:
    client = StreamClient(
        who, sink, limit=limit, hard_limit=hard, conflate_at=conflate_at, clock=hub.clock
    )
    hub.add_client(client)
    hub.subscribe(client, [TM.resolve(t) for t in topics], since or {})
    return client


def test_frames_are_sequenced_per_topic_across_threads(alice: Principal) -> None:
    async def body() -> None:
        hub, bus = await make_hub()
        sink = ListSink()
        connect(hub, alice, sink, "bars.X.*")
        n = 2000
        # Publish from another thread: the bus handler only queues, the loop fans out.
        t = threading.Thread(
            target=lambda: [bus.publish("data.bars.X.1m", bar("X", i)) for i in range(n)]
        )
        t.start()
        bus.publish("data.bars.X.5m", bar("X", -1.0, "5m"))
        bus.publish("data.bars.Y.1m", bar("Y", -2.0))  # not subscribed
        await until(lambda: len(sink.data()) == n + 1)
        t.join()
        one = [f for f in sink.data() if f["topic"] == "bars.X.1m"]
        assert [f["seq"] for f in one] == list(range(1, n + 1))
        assert [f["data"]["close"] for f in one] == [float(i) for i in range(n)]
        five = [f for f in sink.data() if f["topic"] == "bars.X.5m"]
        assert len(five) == 1 and five[0]["seq"] == 1 and five[0]["data"]["timeframe"] == "5m"
        assert sink.frames[0] == {"type": "subscribed", "topics": ["bars.X.*"]}
        assert hub.buffer.last_seq("bars.Y.1m") == 1  # buffered for later resumes
        await hub.aclose()

    run(body)


def test_account_frames_reach_only_their_owner(
    alice: Principal, bob: Principal, root: Principal
) -> None:
    async def body() -> None:
        hub, bus = await make_hub()
        hub.owners.assign("acc-a", alice.user_id)
        hub.owners.assign("acc-b", bob.user_id)
        sinks = {p.user_id: ListSink() for p in (alice, bob, root)}
        for p in (alice, bob, root):
            connect(hub, p, sinks[p.user_id], "orders")
        bus.publish("orders.acc-a", accepted("a1"))
        bus.publish("orders.acc-b", accepted("b1"))
        bus.publish("orders.acc-unknown", accepted("u1"))
        await until(lambda: len(sinks["root"].data()) == 3)
        await asyncio.sleep(0.05)
        assert [f["data"]["client_order_id"] for f in sinks["alice"].data()] == ["a1"]
        assert [f["data"]["client_order_id"] for f in sinks["bob"].data()] == ["b1"]
        assert {f["topic"] for f in sinks["root"].data()} == {
            "orders.acc-a",
            "orders.acc-b",
            "orders.acc-unknown",
        }
        await hub.aclose()

    run(body)


def test_resume_replays_missed_frames_or_sends_a_snapshot(alice: Principal) -> None:
    async def body() -> None:
        hub, bus = await make_hub(StreamingConfig(buffer_size=10))
        for i in range(25):
            bus.publish("data.quotes.EURUSD", {"bid": i, "ask": i + 1})
        for i in range(3):
            bus.publish("data.quotes.GBPUSD", {"bid": i, "ask": i + 1})
        await until(
            lambda: (
                hub.buffer.last_seq("data.quotes.EURUSD") == 0
                and hub.buffer.last_seq("quotes.EURUSD") == 25
            )
        )
        await until(lambda: hub.buffer.last_seq("quotes.GBPUSD") == 3)
        sink = ListSink()
        connect(
            hub,
            alice,
            sink,
            "quotes.*",
            since={"quotes.EURUSD": 3, "quotes.GBPUSD": 1, "bars.not.subscribed": 0},
        )
        await until(lambda: len(sink.data()) == 3)
        snap, *replayed = sink.data()
        assert snap["type"] == "snapshot" and snap["topic"] == "quotes.EURUSD"
        assert snap["seq"] == 25 and snap["data"] == {"bid": 24, "ask": 25}
        assert [(f["type"], f["seq"]) for f in replayed] == [("data", 2), ("data", 3)]
        bus.publish("data.quotes.GBPUSD", {"bid": 9, "ask": 10})
        await until(lambda: len(sink.data()) == 4)
        assert sink.data()[-1]["seq"] == 4
        await hub.aclose()

    run(body)


def test_slow_client_gets_latest_market_data_and_never_slows_others(
    alice: Principal, bob: Principal
) -> None:
    async def body() -> None:
        hub, bus = await make_hub(StreamingConfig(slow_client_timeout_s=60))
        slow_sink, fast_sink = StalledSink(), ListSink()
        slow = connect(hub, alice, slow_sink, "bars.>", limit=50, conflate_at=10)
        connect(hub, bob, fast_sink, "bars.>")
        await until(lambda: len(slow.pending) == 0)  # "subscribed" is stuck in send
        n = 3000
        for i in range(n):
            bus.publish("data.bars.X.1m", bar("X", i))
            bus.publish("data.bars.Y.1m", bar("Y", -i))
        await until(lambda: len(fast_sink.data()) == 2 * n)
        # ten frames in order, then one frame per topic, the latest
        assert len(slow.pending) == 12
        assert slow.conflated == 2 * n - 12
        assert slow.full_since is None and not slow.closed
        slow_sink.resume()
        await until(lambda: len(slow_sink.data()) == 12)
        got = [(f["topic"], f["seq"]) for f in slow_sink.data()]
        assert got[:10] == [(t, i) for i in range(1, 6) for t in ("bars.X.1m", "bars.Y.1m")]
        assert got[10:] == [("bars.X.1m", n), ("bars.Y.1m", n)]
        assert slow_sink.data()[-1]["data"]["close"] == -(n - 1.0)
        assert [f["seq"] for f in fast_sink.data() if f["topic"] == "bars.X.1m"] == list(
            range(1, n + 1)
        )
        await hub.aclose()

    run(body)


def test_client_full_of_orders_too_long_is_disconnected(root: Principal, bob: Principal) -> None:
    async def body() -> None:
        hub, bus = await make_hub(StreamingConfig(slow_client_timeout_s=0.2))
        stuck_sink, ok_sink = StalledSink(), ListSink()
        stuck = connect(hub, root, stuck_sink, "orders", limit=5, hard=100)
        connect(hub, root, ok_sink, "orders")
        await until(lambda: len(stuck.pending) == 0)  # "subscribed" is stuck in send
        for i in range(8):
            bus.publish("orders.acc-1", accepted(str(i)))
        await until(lambda: len(ok_sink.data()) == 8)
        assert stuck.full_since is not None and not stuck.closed
        await until(lambda: stuck_sink.closed is not None, timeout=5)
        assert stuck_sink.closed is not None
        code, reason = stuck_sink.closed
        assert code == CLOSE_TRY_AGAIN and reason.startswith("too slow")
        assert stuck not in hub.clients and hub.stats["disconnected_slow"] == 1
        bus.publish("orders.acc-1", accepted("after"))
        await until(lambda: len(ok_sink.data()) == 9)
        await hub.aclose()

    run(body)


def test_queue_overflow_disconnects_at_once(root: Principal) -> None:
    async def body() -> None:
        hub, bus = await make_hub(StreamingConfig(slow_client_timeout_s=60))
        sink = StalledSink()
        client = connect(hub, root, sink, "fills", limit=5, hard=10)
        for i in range(20):
            bus.publish("fills.acc-1", {"trade_id": str(i), "last_qty": Decimal("1")})
        await until(lambda: sink.closed is not None)
        assert sink.closed is not None and sink.closed[0] == CLOSE_TRY_AGAIN
        assert "overflow" in sink.closed[1] and client not in hub.clients
        await hub.aclose()

    run(body)


def test_silent_peer_is_dropped_after_heartbeat_timeout(alice: Principal, bob: Principal) -> None:
    async def body() -> None:
        cfg = StreamingConfig(heartbeat_interval_s=0.05, heartbeat_timeout_s=0.4)
        hub, _ = await make_hub(cfg)
        silent_sink, live_sink = ListSink(), ListSink()
        connect(hub, alice, silent_sink, "bars.>")
        live = connect(hub, bob, live_sink, "bars.>")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while silent_sink.closed is None and loop.time() < deadline:
            live.touch()  # what the receive loop does on every frame (pong or other)
            await asyncio.sleep(0.02)
        assert silent_sink.closed is not None
        assert silent_sink.closed[0] == CLOSE_HEARTBEAT
        assert "heartbeat" in silent_sink.closed[1]
        assert any(f["type"] == "ping" for f in silent_sink.frames)
        assert live in hub.clients and live_sink.closed is None
        assert sum(f["type"] == "ping" for f in live_sink.frames) >= 2
        await hub.aclose()
        assert live_sink.closed == (1001, "server shutting down")

    run(body)
