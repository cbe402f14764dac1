"""``StreamHub``: bus messages → sequenced frames → subscribed clients.

Threading model
---------------
Bus handlers run in whichever thread published. :meth:`StreamHub.on_bus` only appends the
message to a deque and, at most once per batch, wakes the event loop (O(1); a slow client can
never slow the bus). On the loop, :meth:`_drain` encodes each message once, gives it the next
``seq`` of its public topic, keeps it in the replay buffer and enqueues the same text on every
matching client (O(1) each). Once per loop turn (or every ``batch_delay_s`` when set),
:meth:`_flush_clients` hands each client that got frames its queue as one WebSocket frame (a
``batch`` when it holds several). Sending costs no task switch while a socket is writable: see
:mod:`nautilus.streaming.client`.

Several API processes
---------------------
With a :class:`~nautilus.streaming.redis_fanout.RedisFanout`, a process does not number or
deliver the messages of its own bus directly: it sends them to Redis, where one script call
per batch takes each frame's ``seq`` with ``INCR`` on a per-topic key and publishes the
numbered frames on one channel. Every process (the originating one included) delivers frames
as they come back from that channel. Redis runs the script atomically, so channel order is seq
order and every process sees, buffers and replays the same ``seq`` for the same frame.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from nautilus.streaming.buffer import Frame, ReplayBuffer
from nautilus.streaming.client import StreamClient
from nautilus.streaming.config import StreamingConfig
from nautilus.streaming.messages import (
    CLOSE_GOING_AWAY,
    CLOSE_HEARTBEAT,
    CLOSE_TRY_AGAIN,
    Ping,
    Subscribed,
    Unsubscribed,
    encode,
    encode_data,
)
from nautilus.streaming.redis_fanout import FanoutItem, RedisFanout, decode_line
from nautilus.streaming.topics import (
    AccountOwners,
    Resolved,
    TopicMap,
    TopicRule,
    matches,
    permits,
)

log = logging.getLogger(__name__)


class StreamHub:
    """Routes bus messages to WebSocket clients; see the module docstring."""

    def __init__(
        self,
        config: StreamingConfig | None = None,
        *,
        topics: TopicMap | None = None,
        owners: AccountOwners | None = None,
        fanout: RedisFanout | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or StreamingConfig()
        self.topics = topics or TopicMap()
        self.owners = owners or AccountOwners()
        self.fanout = fanout
        self.clock = clock
        self.buffer = ReplayBuffer(self.config.buffer_size, self.config.max_topics)
        self.inbox: deque[tuple[TopicRule, str, Any, int]] = deque(maxlen=self.config.inbox_max)
        self.clients: set[StreamClient] = set()
        self._patterns: dict[str, tuple[Resolved, set[StreamClient]]] = {}
        self._routes: dict[str, tuple[StreamClient, ...]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._dirty: list[StreamClient] = []
        self._flush_scheduled = False
        self._tasks: list[asyncio.Task[None]] = []
        self._outbox: deque[FanoutItem] = deque()
        self._outbox_wake: asyncio.Event | None = None
        self._attach_lock = threading.Lock()
        self._closing = False
        self._last_ping = clock()
        self.stats: dict[str, int] = {
            "received": 0,
            "inbox_dropped": 0,
            "frames": 0,
            "encode_errors": 0,
            "enqueued": 0,
            "relayed": 0,
            "fanout_errors": 0,
            "disconnected_slow": 0,
            "disconnected_heartbeat": 0,
        }

    # -- bus side: any thread, O(1) ------------------------------------------------------------

    def on_bus(self, rule: TopicRule, topic: str, msg: Any) -> None:
        """Bus handler body: queue the message for the event loop and wake it once per batch."""
        inbox = self.inbox
        if len(inbox) == inbox.maxlen:
            self.stats["inbox_dropped"] += 1
        inbox.append((rule, topic, msg, time.time_ns()))
        if not self._scheduled:
            loop = self._loop
            if loop is not None:
                self._scheduled = True
                try:
                    loop.call_soon_threadsafe(self._drain)
                except RuntimeError:  # the loop has closed; a new one attaches later
                    self._scheduled = False

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def attached(self) -> bool:
        loop = self._loop
        return loop is not None and not loop.is_closed() and loop.is_running()

    async def ensure_running(self) -> None:
        """Bind to the running loop (first connection, or a new loop) and start background tasks."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        with self._attach_lock:
            if self._loop is loop:
                return
            self._reset_for_loop()
            self._loop = loop
            self._closing = False
            self._tasks.append(loop.create_task(self._watchdog()))
            if self.fanout is not None:
                self._outbox_wake = asyncio.Event()
                self._tasks.append(loop.create_task(self._publish_loop()))
        if self.fanout is not None:
            await self.fanout.start(self.on_relay)
        self._scheduled = True
        loop.call_soon(self._drain)

    def _reset_for_loop(self) -> None:
        # Clients and tasks belong to one loop; on a new loop they are gone.
        self._tasks.clear()
        self.clients.clear()
        self._dirty.clear()
        self._flush_scheduled = False
        self._patterns.clear()
        self._routes.clear()

    async def aclose(self) -> None:
        """Close every client (1001) and stop the background tasks."""
        self._closing = True
        clients = list(self.clients)
        for c in clients:
            self.remove_client(c)
        await asyncio.gather(
            *(c.close(CLOSE_GOING_AWAY, "server shutting down") for c in clients),
            return_exceptions=True,
        )
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        if self.fanout is not None:
            await self.fanout.stop()
        self._loop = None

    def close_threadsafe(self, timeout: float = 5.0) -> None:
        """:meth:`aclose` from a thread other than the loop's (engine ``stop``)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._loop = None
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.create_task(self.aclose())
            return
        try:
            asyncio.run_coroutine_threadsafe(self.aclose(), loop).result(timeout)
        except Exception:  # the loop stopped before it could run the close
            log.debug("stream hub close did not complete", exc_info=True)
            self._loop = None

    # -- loop side: messages --------------------------------------------------------------------

    def _drain(self) -> None:
        self._scheduled = False
        inbox = self.inbox
        n = min(len(inbox), self.config.drain_batch)
        stats = self.stats
        stats["received"] += n
        fanout = self.fanout is not None
        buffer = self.buffer
        for _ in range(n):
            rule, topic, msg, ts = inbox.popleft()
            public = rule.to_public(topic)
            try:
                data = encode_data(msg)
            except (TypeError, msgspec.EncodeError):
                stats["encode_errors"] += 1
                log.warning("cannot encode a %s on %s for the stream", type(msg).__name__, topic)
                continue
            if fanout:
                self._outbox.append(FanoutItem(public, ts, data))
                continue
            frame = Frame.build(rule, public, buffer.next_seq(public), ts, data, msg)
            buffer.record(frame)
            self._route(frame)
        if fanout and self._outbox and self._outbox_wake is not None:
            self._outbox_wake.set()
        if inbox and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def on_relay(self, lines: Iterable[bytes]) -> None:
        """Frames numbered by Redis (from any process): buffer and deliver them."""
        for line in lines:
            try:
                head = decode_line(line)
            except (msgspec.DecodeError, msgspec.ValidationError):
                log.warning("ignoring a malformed stream frame from Redis")
                continue
            rule = self.topics.rule_for(head.topic)
            if rule is None:
                continue
            data = bytes(head.data)
            msg = msgspec.json.decode(data) if rule.access == "account" else None
            frame = Frame(rule, head.topic, head.seq, head.ts, data, line.decode(), msg)
            if self.buffer.record(frame):
                self.stats["relayed"] += 1
                self._route(frame)

    async def _publish_loop(self) -> None:
        assert self.fanout is not None and self._outbox_wake is not None
        wake = self._outbox_wake
        outbox = self._outbox
        while True:
            if not outbox:
                wake.clear()
                await wake.wait()
                continue
            batch = [outbox.popleft() for _ in range(min(len(outbox), 1000))]
            try:
                await self.fanout.publish(batch)
            except Exception:
                self.stats["fanout_errors"] += len(batch)
                log.warning(
                    "stream fan-out to Redis failed; %d frames lost", len(batch), exc_info=True
                )
                await asyncio.sleep(0.5)

    def _route(self, frame: Frame) -> None:
        self.stats["frames"] += 1
        clients = self._routes.get(frame.topic)
        if clients is None:
            clients = self._resolve_route(frame.topic)
        if not clients:
            return
        rule = frame.rule
        key = frame.topic if rule.conflate else None
        check = rule.access == "account"
        text = frame.text
        n = 0
        for c in clients:
            if check and not permits(
                c.user_id, c.is_admin, rule, frame.topic, frame.msg, self.owners
            ):
                continue
            if not c.enqueue(text, key):
                self.stats["disconnected_slow"] += 1
                self.disconnect(c, CLOSE_TRY_AGAIN, "too slow: send queue overflow")
            n += 1
        self.stats["enqueued"] += n

    def _resolve_route(self, topic: str) -> tuple[StreamClient, ...]:
        parts = tuple(topic.split("."))
        found: dict[StreamClient, None] = {}
        for resolved, clients in self._patterns.values():
            if resolved.matches_parts(parts):
                for c in clients:
                    found[c] = None
        route = tuple(found)
        if len(self._routes) > 100_000:
            self._routes.clear()
        self._routes[topic] = route
        return route

    # -- loop side: clients ---------------------------------------------------------------------

    def add_client(self, client: StreamClient) -> None:
        client.schedule_flush = self._schedule_flush
        self.clients.add(client)

    def _schedule_flush(self, client: StreamClient) -> None:
        self._dirty.append(client)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop = self._loop or asyncio.get_running_loop()
            delay = self.config.batch_delay_s
            if delay > 0:
                loop.call_later(delay, self._flush_clients)
            else:
                loop.call_soon(self._flush_clients)

    def _flush_clients(self) -> None:
        """Send every client's queued frames: one socket write per client per turn."""
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, []
        for client in dirty:
            client.flush()

    def remove_client(self, client: StreamClient) -> None:
        """Forget a client's subscriptions (idempotent)."""
        if client not in self.clients:
            return
        self.clients.discard(client)
        for pattern in client.subscriptions:
            entry = self._patterns.get(pattern)
            if entry is not None:
                entry[1].discard(client)
                if not entry[1]:
                    del self._patterns[pattern]
        self._routes.clear()

    def disconnect(self, client: StreamClient, code: int, reason: str) -> None:
        """Drop a client now and close its socket in the background."""
        self.remove_client(client)
        if self._loop is not None:
            client.close_soon(code, reason)

    def subscribe(
        self, client: StreamClient, resolved: list[Resolved], since_seq: dict[str, int]
    ) -> None:
        """Add patterns (already authorised), confirm, then replay what ``since_seq`` asks.

        Runs in one loop step, so no live frame can slip between the replay and the stream.
        """
        for r in resolved:
            client.subscriptions[r.pattern] = r
            entry = self._patterns.get(r.pattern)
            if entry is None:
                entry = self._patterns[r.pattern] = (r, set())
            entry[1].add(client)
        self._routes.clear()
        client.enqueue(encode(Subscribed([r.pattern for r in resolved])))
        for topic, seq in since_seq.items():
            rule = self.topics.rule_for(topic)
            if rule is None or not any(matches(r, topic) for r in resolved):
                continue
            frames = self.buffer.since(topic, seq)
            if frames is None:
                latest = self.buffer.latest(topic)
                if latest is not None and self._permits(client, latest):
                    client.enqueue(latest.snapshot_text())
                continue
            for f in frames:
                if self._permits(client, f):
                    client.enqueue(f.text)

    def unsubscribe(self, client: StreamClient, resolved: list[Resolved]) -> None:
        for r in resolved:
            client.subscriptions.pop(r.pattern, None)
            entry = self._patterns.get(r.pattern)
            if entry is not None:
                entry[1].discard(client)
                if not entry[1]:
                    del self._patterns[r.pattern]
        self._routes.clear()
        client.enqueue(encode(Unsubscribed([r.pattern for r in resolved])))

    def _permits(self, client: StreamClient, frame: Frame) -> bool:
        return permits(
            client.user_id, client.is_admin, frame.rule, frame.topic, frame.msg, self.owners
        )

    # -- heartbeats and slow clients ------------------------------------------------------------

    def _tick_seconds(self) -> float:
        c = self.config
        return max(
            0.01,
            min(c.heartbeat_interval_s, c.heartbeat_timeout_s, c.slow_client_timeout_s, 1.0) / 4,
        )

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(self._tick_seconds())
            self.check_clients()

    def check_clients(self) -> None:
        """Ping everyone when due; drop clients too slow or silent for too long."""
        now = self.clock()
        c = self.config
        ping = None
        if now - self._last_ping >= c.heartbeat_interval_s:
            self._last_ping = now
            ping = encode(Ping(time.time_ns()))
        for client in list(self.clients):
            if client.full_for(now) > c.slow_client_timeout_s:
                self.stats["disconnected_slow"] += 1
                self.disconnect(
                    client,
                    CLOSE_TRY_AGAIN,
                    f"too slow: send queue full for over {c.slow_client_timeout_s:g}s",
                )
            elif now - client.last_seen > c.heartbeat_timeout_s:
                self.stats["disconnected_heartbeat"] += 1
                self.disconnect(
                    client,
                    CLOSE_HEARTBEAT,
                    f"heartbeat timeout: silent for over {c.heartbeat_timeout_s:g}s",
                )
            elif ping is not None:
                client.enqueue(ping, "\x00ping")

    def snapshot_stats(self) -> dict[str, Any]:
        return {
            **self.stats,
            "clients": len(self.clients),
            "topics": len(self.buffer),
            "inbox": len(self.inbox),
            "attached": self.attached,
        }
