"""The Redis Streams bus: the scale-out backend (consumer groups, acknowledgements, replay).

Layout (``ns`` = namespace): one stream per lane, ``{ns}:bus:critical``, ``{ns}:bus:high``,
``{ns}:bus:normal``, ``{ns}:bus:low``. Each entry carries the topic ``t``, the encoded
:class:`~nautilus.bus.base.Envelope` ``m`` and a producer message id ``i``. Streams are capped
with ``XADD MAXLEN ~ config.stream_maxlen``.

Publishing
    ``publish`` encodes the message and appends it to an in-memory queue; a background flusher
    thread writes the queue with pipelined ``XADD`` batches (``flush()`` waits for it). A message
    leaves the queue only once ``XADD`` has answered with an id, so nothing acknowledged by
    Redis is lost and nothing unacknowledged is dropped. While Redis is unreachable the queue
    keeps up to ``config.buffer_max`` messages; beyond that ``publish`` raises
    :class:`UnavailableError` (``bus_buffer_full``). While Redis is up, publishers wait for room
    when the queue holds ``max(config.buffer_max, 4 * batch_size)`` messages (backpressure).

Stream cap
    ``XADD`` trims each lane to about ``config.stream_maxlen`` entries, oldest first, whether or
    not every group has read them (Redis 7 has no "trim only acknowledged entries" policy). A
    group that falls more than ``stream_maxlen`` entries behind therefore loses its oldest
    unread entries: size the cap for the longest consumer pause to survive, and alert on
    ``consumer_lag`` from ``stats()`` (a lane ``lag`` of ``None`` means Redis can no longer
    count it because entries past the group's position were trimmed).

Consuming
    A consumer thread reads with ``XREADGROUP`` in the group ``config.consumer_group``, lane by
    lane in priority order: the critical lane is drained before the high lane is read, and so
    on; after any batch it starts again from the critical lane. Each entry is dispatched to the
    local handlers whose pattern matches (same ordering rules as
    :class:`~nautilus.bus.memory.InProcessBus`), then acknowledged with ``XACK``: delivery is
    at-least-once. Entries left pending by a dead consumer are taken over with ``XAUTOCLAIM``
    once idle for ``config.claim_idle_ms``. A process reads only while it has subscriptions.

    Consumer groups: processes in the same group *share* the messages (each entry goes to one
    of them), so the members of a group must be replicas with the same subscriptions; processes
    in different groups *each* receive every message. A group created for the first time starts
    at the end of the streams (it sees messages published after it was created); a group that
    already exists resumes where it stopped, so a restarted process catches up.

    Duplicates: a batch whose ``XADD`` replies were lost with the connection is written again;
    the consumer drops entries whose producer id it has seen among the last ``dedupe_window``
    entries, so within one consuming process delivery is exactly-once for such resends. A
    consumer that dies after handling but before ``XACK`` causes a redelivery elsewhere.

Outages
    Every thread reconnects with exponential backoff and jitter; ``health()`` is unhealthy while
    Redis cannot be reached or refuses writes for a passing reason (out of memory, read-only
    replica); both count as "down" for the ``buffer_max`` rule and the batch is retried. If
    Redis comes back without its data (no persistence), the groups are recreated from the
    start of the (new) streams, so the flushed buffer is delivered.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from typing import Any

import redis

from nautilus.bus.base import (
    EndpointHandler,
    Handler,
    Lane,
    MessageBus,
    Subscription,
    decode_message,
    encode_message,
    split_topic,
)
from nautilus.bus.memory import InProcessBus
from nautilus.bus.redis_link import CONNECTION_ERRORS, RedisLink, reconnect_delay
from nautilus.bus.redis_requests import RedisRequests
from nautilus.config import BusConfig
from nautilus.core.errors import UnavailableError

log = logging.getLogger(__name__)

LANE_NAMES: tuple[str, ...] = tuple(lane.name.lower() for lane in Lane)
_TOPIC_CACHE_MAX = 100_000
_TRANSIENT_REFUSALS: tuple[type[redis.ResponseError], ...] = (
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.MasterDownError,
    redis.exceptions.TryAgainError,
)
"""Refusals that pass (memory freed, failover done): the batch is kept and retried."""


class _WriteRefusedError(Exception):
    """Redis is reachable but refuses writes for now."""


_RETRYABLE_WRITE_ERRORS: tuple[type[Exception], ...] = (*CONNECTION_ERRORS, _WriteRefusedError)


# Appends a batch to the lane streams in one call: ARGV = maxlen, then per message
# (lane index 1..4, topic, envelope, producer message id). Returns the number written.
_XADD_BATCH = """
local maxlen = ARGV[1]
local n = 0
for i = 2, #ARGV, 4 do
  redis.call('XADD', KEYS[tonumber(ARGV[i])], 'MAXLEN', '~', maxlen, '*',
             't', ARGV[i + 1], 'm', ARGV[i + 2], 'i', ARGV[i + 3])
  n = n + 1
end
return n
"""


class RedisStreamsBus(MessageBus):
    """Message bus over Redis Streams (see the module docstring for the guarantees).

    Args:
        redis_url: ``redis://host:port/db``.
        config: stream cap, consumer group, outage buffer and reclaim idle time.
        namespace: key prefix; buses with different namespaces never see each other.
        consumer_name: this process's consumer name in the group (default host-pid-random).
        batch_size: most entries per ``XADD`` pipeline and per ``XREADGROUP``.
        block_ms: how long a blocking read waits, which bounds how quickly ``stop`` returns.
        reconnect_base_s, reconnect_max_s: backoff bounds after a connection failure.
        dedupe_window: producer ids remembered by the consumer to drop resent entries.
    """

    def __init__(
        self,
        redis_url: str,
        config: BusConfig,
        *,
        namespace: str = "nautilus",
        consumer_name: str | None = None,
        batch_size: int = 1000,
        block_ms: int = 100,
        reconnect_base_s: float = 0.05,
        reconnect_max_s: float = 5.0,
        dedupe_window: int = 100_000,
    ) -> None:
        self.config = config
        self.namespace = namespace
        self.consumer_name = consumer_name or (
            f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        )
        self._group = config.consumer_group
        self._batch = batch_size
        self._block_ms = block_ms
        self._backoff = (reconnect_base_s, reconnect_max_s)
        self._link = RedisLink(redis_url, socket_timeout_s=max(5.0, 2 * block_ms / 1000))
        self._r: Any = self._link.client
        self.streams: tuple[str, ...] = tuple(f"{namespace}:bus:{n}" for n in LANE_NAMES)
        self._local = InProcessBus()
        self._requests = RedisRequests(
            self._link,
            namespace=namespace,
            group=self._group,
            consumer=self.consumer_name,
            block_ms=block_ms,
            reconnect_base_s=reconnect_base_s,
            reconnect_max_s=reconnect_max_s,
        )
        # publish side
        self._queue: deque[tuple[int, str, bytes, int]] = deque()
        self._xadd_batch = self._r.register_script(_XADD_BATCH)
        self._capacity_up = max(config.buffer_max, 4 * batch_size)
        self._ids = itertools.count(1)
        self._id_prefix = f"{self.consumer_name}:".encode()
        self._wake = threading.Event()
        self._inflight = 0
        self._write_refused = False
        self._valid_topics: set[str] = set()
        # consume side
        self._seen: set[bytes] = set()
        self._seen_order: deque[bytes] = deque()
        self._dedupe_window = dedupe_window
        self._groups_ready = threading.Event()
        # lifecycle
        self._stop_consuming = threading.Event()
        self._stop_flushing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running = False
        self._closed = False
        self._counts = {
            "published": 0,
            "consumed": 0,
            "duplicates": 0,
            "reclaimed": 0,
            "decode_errors": 0,
            "publish_errors": 0,
        }

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Create the consumer groups (if Redis is up) and start the background threads."""
        if self._running:
            return
        self._closed = False
        self._stop_consuming.clear()
        self._stop_flushing.clear()
        try:
            self._ensure_groups(at_end=True)
            self._link.mark_up()
        except CONNECTION_ERRORS as exc:
            self._link.mark_down(exc)
            log.warning("redis bus starting without redis (%s); will keep retrying", exc)
        self._threads = [
            threading.Thread(
                target=self._flush_loop, name=f"bus-flush-{self.consumer_name}", daemon=True
            ),
            threading.Thread(
                target=self._consume_loop, name=f"bus-consume-{self.consumer_name}", daemon=True
            ),
        ]
        for t in self._threads:
            t.start()
        self._requests.start()
        self._running = True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop consuming, write what is still queued (up to ``timeout`` s), join the threads.

        Messages that could not be written because Redis stayed down are reported in the log.
        """
        if not self._running:
            return
        self._stop_consuming.set()
        self._requests.stop()
        for t in self._threads[1:]:
            t.join()
        self._closed = True
        deadline = time.monotonic() + timeout
        while (self._queue or self._inflight) and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.005)
        self._stop_flushing.set()
        self._wake.set()
        self._threads[0].join()
        if self._queue:
            log.error(
                "redis bus stopped with %d unwritten messages (redis unreachable or refusing)",
                len(self._queue),
            )
        self._threads = []
        self._running = False
        self._link.close()

    # -- publishing -------------------------------------------------------------------------

    def publish(self, topic: str, msg: Any, *, lane: Lane = Lane.NORMAL) -> None:
        """Queue ``msg`` for the flusher; see the module docstring for buffering rules.

        Raises:
            UnavailableError: the bus is stopped, or Redis is down and the buffer is full.
        """
        if self._closed:
            raise UnavailableError("the bus is stopped", code="bus_stopped")
        if topic not in self._valid_topics:
            split_topic(topic)
            if len(self._valid_topics) >= _TOPIC_CACHE_MAX:
                self._valid_topics.clear()
            self._valid_topics.add(topic)
        queue = self._queue
        if len(queue) >= self.config.buffer_max and (
            len(queue) >= self._capacity_up or not self._writable
        ):
            self._wait_for_room()
        data = encode_message(msg, time.time_ns())
        queue.append((int(lane), topic, data, next(self._ids)))
        if not self._wake.is_set():
            self._wake.set()

    def _wait_for_room(self) -> None:
        deadline = time.monotonic() + 5.0
        while True:
            n = len(self._queue)
            if n < self.config.buffer_max:
                return
            if not self._writable or not self._running:
                raise UnavailableError(
                    f"redis bus cannot take more messages: {n} already buffered while redis is "
                    f"unreachable or refusing writes (buffer_max={self.config.buffer_max})",
                    code="bus_buffer_full",
                )
            if n < self._capacity_up:
                return
            if time.monotonic() >= deadline:
                raise UnavailableError(
                    f"redis bus publish queue stayed full ({n})", code="bus_backpressure"
                )
            time.sleep(0.0005)

    @property
    def _writable(self) -> bool:
        return self._link.connected and not self._write_refused

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every published message has been written to Redis.

        Raises:
            UnavailableError: not written within ``timeout`` seconds (Redis down, bus stopped).
        """
        deadline = time.monotonic() + timeout
        while self._queue or self._inflight:
            if time.monotonic() >= deadline or not self._running:
                raise UnavailableError(
                    f"{len(self._queue) + self._inflight} messages not yet written to redis",
                    code="bus_flush_timeout",
                )
            self._wake.set()
            time.sleep(0.001)

    def _flush_loop(self) -> None:
        attempt = 0
        queue = self._queue
        while True:
            if not queue or not self._groups_ready.is_set():
                if self._stop_flushing.is_set():
                    return
                self._wake.wait(0.05)
                self._wake.clear()
                continue
            # Count the batch as in flight before taking it, so flush() never sees it nowhere.
            # Only this thread takes from the queue, so it holds at least ``k`` messages.
            k = min(self._batch, len(queue))
            self._inflight = k
            batch = [queue.popleft() for _ in range(k)]
            try:
                self._write(batch)
            except _RETRYABLE_WRITE_ERRORS as exc:
                queue.extendleft(reversed(batch))
                self._inflight = 0
                if isinstance(exc, _WriteRefusedError):
                    if not self._write_refused:
                        log.warning("redis refuses bus writes: %s", exc)
                    self._write_refused = True
                    self._link.last_error = f"write refused: {exc}"
                else:
                    self._link.mark_down(exc)
                if self._stop_flushing.is_set():
                    return
                self._stop_flushing.wait(reconnect_delay(attempt, *self._backoff))
                attempt += 1
                continue
            self._inflight = 0
            self._write_refused = False
            self._link.mark_up()
            attempt = 0

    def _write(self, batch: list[tuple[int, str, bytes, int]]) -> None:
        """Write one batch with a single script call (one round trip, one reply)."""
        args: list[Any] = [self.config.stream_maxlen]
        extend, prefix = args.extend, self._id_prefix
        for lane, topic, data, seq in batch:
            extend((lane + 1, topic, data, b"%s%d" % (prefix, seq)))
        try:
            self._xadd_batch(keys=self.streams, args=args)
        except redis.ResponseError as exc:
            if isinstance(exc, _TRANSIENT_REFUSALS) or "maxmemory" in str(exc):
                # Out of memory, read-only replica...: keep the batch and retry later.
                raise _WriteRefusedError(str(exc)) from exc
            # A rejected command (e.g. a key of the wrong type) will not succeed on retry.
            self._counts["publish_errors"] += len(batch)
            log.error("redis rejected a batch of %d bus messages: %s", len(batch), exc)
            return
        self._counts["published"] += len(batch)

    # -- subscribing ------------------------------------------------------------------------

    def subscribe(self, pattern: str, handler: Handler, *, priority: int = 0) -> Subscription:
        """Register a local handler; it runs in the consumer thread."""
        return self._local.subscribe(pattern, handler, priority=priority)

    def unsubscribe(self, sub: Subscription) -> None:
        self._local.unsubscribe(sub)

    def _ensure_groups(self, *, at_end: bool) -> None:
        """Create the lane groups if missing: at the stream end on first start, else from 0."""
        pipe = self._r.pipeline(transaction=False)
        for stream in self.streams:
            pipe.xgroup_create(stream, self._group, "$" if at_end else "0", mkstream=True)
        for r in pipe.execute(raise_on_error=False):
            if isinstance(r, CONNECTION_ERRORS):
                raise r
            if isinstance(r, Exception) and "BUSYGROUP" not in str(r):
                raise r
        self._groups_ready.set()

    def _consume_loop(self) -> None:
        attempt = 0
        claim_every = max(self.config.claim_idle_ms / 2000, 0.05)
        next_claim = 0.0
        stop = self._stop_consuming
        while not stop.is_set():
            try:
                if not self._groups_ready.is_set():
                    self._ensure_groups(at_end=False)
                if not self._local.subscriptions:
                    stop.wait(self._block_ms / 1000)
                    continue
                now = time.monotonic()
                if now >= next_claim:
                    self._reclaim()
                    next_claim = now + claim_every
                self._read_once()
                self._link.mark_up()
                attempt = 0
            except CONNECTION_ERRORS as exc:
                self._link.mark_down(exc)
                stop.wait(reconnect_delay(attempt, *self._backoff))
                attempt += 1
            except redis.ResponseError as exc:
                if "NOGROUP" in str(exc):
                    # Redis lost the group (restart without persistence): recreate from 0.
                    self._groups_ready.clear()
                else:
                    log.exception("redis bus consumer read failed")
                    stop.wait(0.5)

    def _read_once(self) -> None:
        r, group, me, count = self._r, self._group, self.consumer_name, self._batch
        for stream in self.streams:
            res = r.xreadgroup(group, me, {stream: ">"}, count=count)
            if res:
                self._dispatch(res[0][0], res[0][1])
                return
        res = r.xreadgroup(
            group, me, dict.fromkeys(self.streams, ">"), count=count, block=self._block_ms
        )
        if res:
            order = {s.encode(): i for i, s in enumerate(self.streams)}
            for stream, entries in sorted(res, key=lambda item: order.get(item[0], 99)):
                self._dispatch(stream, entries)

    def _reclaim(self) -> None:
        """Take over entries idle longer than ``claim_idle_ms`` (their consumer died)."""
        for stream in self.streams:
            start: bytes | str = "0-0"
            for _ in range(100):
                res = self._r.xautoclaim(
                    stream,
                    self._group,
                    self.consumer_name,
                    self.config.claim_idle_ms,
                    start,
                    count=self._batch,
                )
                start, entries = res[0], res[1]
                live = [e for e in entries if e[1] is not None]
                if live:
                    self._counts["reclaimed"] += len(live)
                    self._dispatch(stream, live)
                if start in (b"0-0", "0-0"):
                    break

    def _dispatch(self, stream: bytes | str, entries: list[Any]) -> None:
        """Hand entries to the local handlers, drop resent ones, then XACK the whole batch."""
        publish, has_subscribers = self._local.publish, self._local.has_subscribers
        seen, seen_order = self._seen, self._seen_order
        routes: dict[bytes, str | None] = {}  # topic bytes -> topic, None if nobody listens
        consumed = duplicates = 0
        for entry_id, fields in entries:
            if not fields:
                continue
            consumed += 1
            mid = fields.get(b"i")
            if mid is not None:
                if mid in seen:
                    duplicates += 1
                    continue
                seen.add(mid)
                seen_order.append(mid)
            raw = fields[b"t"]
            if raw in routes:
                topic = routes[raw]
            else:
                topic = routes[raw] = raw.decode() if has_subscribers(raw.decode()) else None
            if topic is None:
                continue
            try:
                msg = decode_message(fields[b"m"])[0]
            except Exception:
                self._counts["decode_errors"] += 1
                log.exception("undecodable bus entry %r on %s", entry_id, topic)
                continue
            publish(topic, msg)
        while len(seen_order) > self._dedupe_window:
            seen.discard(seen_order.popleft())
        self._counts["consumed"] += consumed
        self._counts["duplicates"] += duplicates
        if entries:
            self._r.xack(stream, self._group, *[e[0] for e in entries])

    # -- request / reply --------------------------------------------------------------------

    def register_endpoint(self, name: str, handler: EndpointHandler) -> None:
        """Serve ``name`` from this process (shared with other servers of the same group)."""
        self._requests.register(name, handler)

    def deregister_endpoint(self, name: str) -> None:
        self._requests.deregister(name)

    def request(self, name: str, msg: Any, *, timeout: float = 5.0) -> Any:
        """Send ``msg`` to endpoint ``name`` over Redis and wait for the reply.

        Raises:
            NotFoundError: no live process serves ``name`` (``unknown_endpoint``).
            TimeoutError: no reply within ``timeout`` seconds.
            UnavailableError: Redis is unreachable or the bus is not started.
        """
        return self._requests.request(name, msg, timeout)

    # -- observability ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters and consumer lag for /metrics.

        ``published`` entries written, ``consumed`` entries read, ``delivered`` handler calls,
        ``handler_errors``, ``buffered`` messages not yet written, ``duplicates`` resent entries
        dropped, ``reclaimed`` entries taken over, and per lane the group's ``pending`` (read,
        not acknowledged) and ``lag`` (not yet read) from ``XINFO GROUPS``; ``lanes`` is ``None``
        while Redis is down, a lane's ``lag`` is ``None`` when Redis cannot count it (entries
        were trimmed past the group's position).
        """
        local = self._local.stats()
        out: dict[str, Any] = {
            **self._counts,
            "delivered": local["delivered"],
            "handler_errors": local["handler_errors"],
            "subscriptions": local["subscriptions"],
            "buffered": len(self._queue) + self._inflight,
            "requests": self._requests.requests,
            "requests_served": self._requests.served,
            "reconnects": self._link.reconnects,
        }
        lanes: dict[str, dict[str, int | None]] | None
        try:
            found: dict[str, dict[str, int | None]] = {}
            pipe = self._r.pipeline(transaction=False)
            for stream in self.streams:
                pipe.xinfo_groups(stream)
            group = self._group.encode()
            for name, groups in zip(LANE_NAMES, pipe.execute(raise_on_error=False), strict=True):
                info = (
                    next((g for g in groups if g["name"] == group), None)
                    if isinstance(groups, list)
                    else None
                )
                found[name] = {
                    "pending": info["pending"] if info else None,
                    "lag": info.get("lag") if info else None,
                }
            lanes = found
        except CONNECTION_ERRORS as exc:
            self._link.mark_down(exc)
            lanes = None
        out["lanes"] = lanes
        if lanes:
            out["consumer_pending"] = sum(v["pending"] or 0 for v in lanes.values())
            out["consumer_lag"] = sum(v["lag"] or 0 for v in lanes.values())
        return out

    def health(self) -> dict[str, Any]:
        """``healthy`` when started, Redis answers a PING and takes writes, threads alive."""
        connected = self._link.probe()
        threads = self._threads + self._requests.threads()
        alive = bool(threads) and all(t.is_alive() for t in threads)
        return {
            "healthy": self._running and connected and alive and not self._write_refused,
            "backend": "redis",
            "connected": connected,
            "write_refused": self._write_refused,
            "running": self._running,
            "buffered": len(self._queue) + self._inflight,
            "last_error": self._link.last_error,
            "consumer": self.consumer_name,
            "group": self._group,
        }
