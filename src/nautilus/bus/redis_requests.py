"""Request/reply over Redis: one request stream per endpoint, one reply stream per process.

Keys (``ns`` = the bus namespace):

* ``{ns}:ep:{name}`` — requests to endpoint ``name``. Every process serving ``name`` reads it in
  the bus consumer group, so several servers of one endpoint in one group share the requests
  (servers in different groups would each answer; the requester keeps the first reply).
* ``{ns}:ep-live:{name}`` — sorted set of serving processes, scored by the expiry of their
  heartbeat (ms since the epoch, refreshed every 2 s, valid 10 s). A request to a name with no
  live server fails at once with ``unknown_endpoint`` instead of waiting for its timeout.
* ``{ns}:reply:{consumer}`` — this process's reply stream (capped, expires when idle).

A request entry carries a correlation id ``c``, the reply stream ``r``, a deadline ``d``
(ns UTC; a server skips requests that are already past it) and the encoded message ``m``.
A reply carries ``c`` and either ``m`` or an error (class name ``ek``, code ``ec``, detail
``ed``), re-raised in the requester as the same :mod:`nautilus.core.errors` class.

Requests are at-most-once: a request whose server dies is not re-served; the requester gets a
``TimeoutError`` and may retry.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis

from nautilus.bus.base import EndpointHandler, decode_message, encode_message, split_topic
from nautilus.bus.base import unknown_endpoint as _unknown_endpoint
from nautilus.bus.redis_link import CONNECTION_ERRORS, RedisLink, reconnect_delay
from nautilus.core import errors as _errors
from nautilus.core.errors import ConflictError, NautilusError, UnavailableError

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 2.0
HEARTBEAT_VALID_MS = 10_000
REQUEST_STREAM_MAXLEN = 10_000
REPLY_STREAM_MAXLEN = 1_000
REPLY_STREAM_TTL_S = 300

_ERROR_CLASSES: dict[str, type[NautilusError]] = {
    name: obj
    for name, obj in vars(_errors).items()
    if isinstance(obj, type) and issubclass(obj, NautilusError)
}


@dataclass(slots=True)
class _Waiter:
    event: threading.Event = field(default_factory=threading.Event)
    fields: dict[bytes, bytes] | None = None


def _rebuild_error(fields: dict[bytes, bytes]) -> NautilusError:
    kind = fields[b"ek"].decode()
    code = fields.get(b"ec", b"endpoint_failed").decode()
    detail = fields.get(b"ed", b"").decode()
    cls = _ERROR_CLASSES.get(kind)
    if cls is not None and cls is not _errors.RateLimitedError:
        return cls(detail, code=code)
    return NautilusError(f"{kind}: {detail}", code=code)


class RedisRequests:
    """The request/reply half of :class:`~nautilus.bus.redis_streams.RedisStreamsBus`."""

    def __init__(
        self,
        link: RedisLink,
        *,
        namespace: str,
        group: str,
        consumer: str,
        block_ms: int,
        reconnect_base_s: float,
        reconnect_max_s: float,
    ) -> None:
        self._link = link
        self._r: Any = link.client
        self._ns = namespace
        self._group = group
        self._consumer = consumer
        self._block_ms = block_ms
        self._backoff = (reconnect_base_s, reconnect_max_s)
        self.reply_stream = f"{namespace}:reply:{consumer}"
        self._endpoints: dict[str, EndpointHandler] = {}
        self._ready: set[str] = set()
        self._waiters: dict[str, _Waiter] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._serve_thread: threading.Thread | None = None
        self._reply_thread: threading.Thread | None = None
        self._running = False
        self.served = 0
        self.requests = 0

    def request_stream(self, name: str) -> str:
        return f"{self._ns}:ep:{name}"

    def live_key(self, name: str) -> str:
        return f"{self._ns}:ep-live:{name}"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._running = True
        if self._endpoints:
            self._start_server()

    def stop(self) -> None:
        self._running = False
        self._stop.set()
        for t in (self._serve_thread, self._reply_thread):
            if t is not None:
                t.join()
        self._serve_thread = self._reply_thread = None
        if self._endpoints:
            try:
                pipe = self._r.pipeline(transaction=False)
                for name in self._endpoints:
                    pipe.zrem(self.live_key(name), self._consumer)
                pipe.execute()
            except CONNECTION_ERRORS:
                log.warning(
                    "could not withdraw endpoints %s (redis down); they expire in %d s",
                    sorted(self._endpoints),
                    HEARTBEAT_VALID_MS // 1000,
                )

    def threads(self) -> list[threading.Thread]:
        return [t for t in (self._serve_thread, self._reply_thread) if t is not None]

    # -- serving ----------------------------------------------------------------------------

    def register(self, name: str, handler: EndpointHandler) -> None:
        split_topic(name)
        with self._lock:
            if name in self._endpoints:
                raise ConflictError(
                    f"endpoint {name!r} is already registered", code="endpoint_exists"
                )
            self._endpoints[name] = handler
        if self._running:
            try:
                self._announce([name])
            except CONNECTION_ERRORS as exc:
                self._link.mark_down(exc)
            self._start_server()

    def deregister(self, name: str) -> None:
        with self._lock:
            self._endpoints.pop(name, None)
            self._ready.discard(name)
        try:
            self._r.zrem(self.live_key(name), self._consumer)
        except CONNECTION_ERRORS as exc:
            self._link.mark_down(exc)

    def _start_server(self) -> None:
        with self._lock:
            if self._serve_thread is None or not self._serve_thread.is_alive():
                self._serve_thread = threading.Thread(
                    target=self._serve_loop, name=f"bus-endpoints-{self._consumer}", daemon=True
                )
                self._serve_thread.start()

    def _announce(self, names: list[str]) -> None:
        """Create the request groups (if missing) and refresh this server's heartbeat."""
        expiry = int(time.time() * 1000) + HEARTBEAT_VALID_MS
        pipe = self._r.pipeline(transaction=False)
        for name in names:
            if name not in self._ready:
                pipe.xgroup_create(self.request_stream(name), self._group, "$", mkstream=True)
        res = pipe.execute(raise_on_error=False)
        for r in res:
            if isinstance(r, redis.ResponseError) and "BUSYGROUP" not in str(r):
                raise r
            if isinstance(r, CONNECTION_ERRORS):
                raise r
        pipe = self._r.pipeline(transaction=False)
        for name in names:
            pipe.zadd(self.live_key(name), {self._consumer: expiry})
            pipe.zremrangebyscore(self.live_key(name), "-inf", expiry - HEARTBEAT_VALID_MS)
        pipe.execute()
        self._ready.update(names)

    def _serve_loop(self) -> None:
        attempt = 0
        next_beat = 0.0
        while not self._stop.is_set():
            names = list(self._endpoints)
            if not names:
                self._stop.wait(0.1)
                continue
            try:
                now = time.monotonic()
                if now >= next_beat or any(n not in self._ready for n in names):
                    self._announce(names)
                    next_beat = now + HEARTBEAT_EVERY_S
                streams = {self.request_stream(n): ">" for n in names}
                res = self._r.xreadgroup(
                    self._group, self._consumer, streams, count=100, block=self._block_ms
                )
                self._link.mark_up()
                attempt = 0
                for stream, entries in res or ():
                    name = stream.decode().split(":ep:", 1)[1]
                    for entry_id, fields in entries:
                        self._serve_one(name, stream, entry_id, fields)
            except CONNECTION_ERRORS as exc:
                self._link.mark_down(exc)
                self._stop.wait(reconnect_delay(attempt, *self._backoff))
                attempt += 1
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    log.exception("endpoint server read failed")
                    self._stop.wait(0.5)
                self._ready.clear()

    def _serve_one(
        self, name: str, stream: bytes, entry_id: bytes, fields: dict[bytes, bytes] | None
    ) -> None:
        pipe = self._r.pipeline(transaction=False)
        handler = self._endpoints.get(name)
        if fields and handler is not None and int(fields[b"d"]) >= time.time_ns():
            reply: dict[str, bytes | str] = {"c": fields[b"c"]}
            try:
                msg, _ = decode_message(fields[b"m"])
                reply["m"] = encode_message(handler(msg), time.time_ns())
            except Exception as exc:
                log.warning("endpoint %s failed: %s", name, exc, exc_info=True)
                reply["ek"] = type(exc).__name__
                reply["ec"] = getattr(exc, "code", "endpoint_failed")
                reply["ed"] = str(exc)
            reply_to = fields[b"r"]
            pipe.xadd(reply_to, reply, maxlen=REPLY_STREAM_MAXLEN, approximate=True)
            pipe.expire(reply_to, REPLY_STREAM_TTL_S)
            self.served += 1
        pipe.xack(stream, self._group, entry_id)
        pipe.execute()

    # -- requesting -------------------------------------------------------------------------

    def request(self, name: str, msg: Any, timeout: float) -> Any:
        if not self._running:
            raise UnavailableError("the bus is not started", code="bus_not_started")
        split_topic(name)
        now_ms = int(time.time() * 1000)
        try:
            live = self._r.zcount(self.live_key(name), now_ms, "+inf")
        except CONNECTION_ERRORS as exc:
            self._link.mark_down(exc)
            raise UnavailableError(f"redis unreachable: {exc}", code="bus_unavailable") from exc
        if not live:
            raise _unknown_endpoint(name)
        self._start_reply_reader()
        corr = uuid.uuid4().hex
        waiter = _Waiter()
        self._waiters[corr] = waiter
        try:
            entry = {
                "c": corr,
                "r": self.reply_stream,
                "d": time.time_ns() + int(timeout * 1e9),
                "m": encode_message(msg, time.time_ns()),
            }
            try:
                self._r.xadd(
                    self.request_stream(name),
                    entry,
                    maxlen=REQUEST_STREAM_MAXLEN,
                    approximate=True,
                )
            except CONNECTION_ERRORS as exc:
                self._link.mark_down(exc)
                raise UnavailableError(f"redis unreachable: {exc}", code="bus_unavailable") from exc
            self.requests += 1
            if not waiter.event.wait(timeout):
                raise TimeoutError(f"no reply from endpoint {name!r} within {timeout} s")
        finally:
            self._waiters.pop(corr, None)
        fields = waiter.fields or {}
        if b"ek" in fields:
            raise _rebuild_error(fields)
        return decode_message(fields[b"m"])[0]

    def _start_reply_reader(self) -> None:
        with self._lock:
            if self._reply_thread is None or not self._reply_thread.is_alive():
                self._reply_thread = threading.Thread(
                    target=self._reply_loop, name=f"bus-replies-{self._consumer}", daemon=True
                )
                self._reply_thread.start()

    def _reply_loop(self) -> None:
        # The reply stream is private to this process, so reading from 0 sees every reply;
        # after a Redis restart new ids are time-based and so still greater than ``last``.
        last: bytes | str = "0-0"
        attempt = 0
        while not self._stop.is_set():
            try:
                res = self._r.xread({self.reply_stream: last}, count=100, block=self._block_ms)
                self._link.mark_up()
                attempt = 0
            except CONNECTION_ERRORS as exc:
                self._link.mark_down(exc)
                self._stop.wait(reconnect_delay(attempt, *self._backoff))
                attempt += 1
                continue
            for _stream, entries in res or ():
                for entry_id, fields in entries:
                    last = entry_id
                    waiter = self._waiters.get(fields[b"c"].decode())
                    if waiter is not None:
                        waiter.fields = fields
                        waiter.event.set()
