"""The in-process message bus: synchronous, deterministic delivery (the default, and the bus
used inside backtests).

Delivery order
--------------
* ``publish`` calls the matching handlers in the publishing thread, before it returns.
* Handlers of one message run by ``priority`` (higher first), then by subscription order.
* Re-entrant publishes (a handler publishing) are not delivered depth-first: they are queued
  and delivered after the current message has reached all of its handlers, breadth-first. The
  queue is drained by lane (``CRITICAL`` first, then ``HIGH``, ``NORMAL``, ``LOW``), FIFO within
  a lane, and all of it before the outermost ``publish`` returns. So for a handler ``h1`` that
  publishes ``B`` while handling ``A``, every handler sees ``A`` before ``B``.
* A handler that raises is logged and counted (``handler_errors``); the remaining handlers of
  that message still run.
* Subscribing or unsubscribing takes effect from the next message delivered (a message already
  being delivered keeps its handler list; queued messages see the change).

The bus is thread-safe: deliveries are serialised by one re-entrant lock, and a publish from
another thread waits for the current delivery (including its queued re-entrant messages).

>>> bus = InProcessBus()
>>> seen = []
>>> sub = bus.subscribe("data.bars.*", lambda topic, msg: seen.append((topic, msg)))
>>> bus.publish("data.bars.AAPL", 1)
>>> seen
[('data.bars.AAPL', 1)]
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from nautilus.bus.base import (
    EndpointHandler,
    Handler,
    Lane,
    MessageBus,
    Subscription,
    split_topic,
    topic_matches,
    unknown_endpoint,
)
from nautilus.core.errors import ConflictError, ValidationError

log = logging.getLogger(__name__)

_CACHE_MAX_TOPICS = 100_000
"""Distinct topics whose handler lists are cached; the cache is cleared beyond this."""


def parse_pattern(pattern: str) -> tuple[str, ...]:
    """Validate a subscription pattern and return its segments.

    ``*`` may stand for any single segment; ``>`` only as the last segment.

    >>> parse_pattern("data.bars.>")
    ('data', 'bars', '>')
    """
    parts = split_topic(pattern)
    if ">" in parts[:-1]:
        raise ValidationError(
            f"invalid pattern {pattern!r}: '>' may only be the last segment", code="invalid_topic"
        )
    return parts


class InProcessBus(MessageBus):
    """Synchronous publish/subscribe and request/reply inside one process.

    Counters (``stats()``): ``published`` messages, ``delivered`` handler calls,
    ``handler_errors`` handler calls that raised, ``requests`` served.
    """

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._seq = 0
        self._cache: dict[str, tuple[Handler, ...]] = {}
        self._endpoints: dict[str, EndpointHandler] = {}
        self._lock = threading.RLock()
        self._depth = 0
        self._queues: tuple[deque[tuple[str, Any]], ...] = tuple(deque() for _ in Lane)
        self._queued = 0
        self._published = 0
        self._delivered = 0
        self._handler_errors = 0
        self._requests = 0

    # -- publish / subscribe ----------------------------------------------------------------

    def publish(self, topic: str, msg: Any, *, lane: Lane = Lane.NORMAL) -> None:
        """Deliver ``msg`` to every handler whose pattern matches ``topic`` (see module doc)."""
        # Explicit acquire/release and exception-only cleanup keep the hot path short.
        lock = self._lock
        lock.acquire()
        try:
            handlers = self._cache.get(topic)
            if handlers is None:
                handlers = self._resolve(topic)
            self._published += 1
            if self._depth:
                self._queues[lane].append((topic, msg))
                self._queued += 1
                return
            self._depth = 1
            try:
                for handler in handlers:
                    try:
                        handler(topic, msg)
                    except Exception:
                        self._handler_failed(handler, topic)
                self._delivered += len(handlers)
                if self._queued:
                    self._drain()
            except BaseException:
                self._depth = 0
                raise
            self._depth = 0
        finally:
            lock.release()

    def _drain(self) -> None:
        """Deliver queued re-entrant messages, lane by lane (critical first), FIFO in a lane."""
        queues = self._queues
        while self._queued:
            for q in queues:
                if q:
                    topic, msg = q.popleft()
                    break
            self._queued -= 1
            handlers = self._cache.get(topic)
            if handlers is None:
                handlers = self._resolve(topic)
            for handler in handlers:
                try:
                    handler(topic, msg)
                except Exception:
                    self._handler_failed(handler, topic)
            self._delivered += len(handlers)

    def _handler_failed(self, handler: Handler, topic: str) -> None:
        self._handler_errors += 1
        log.exception("bus handler %r failed on topic %s", handler, topic)

    def _resolve(self, topic: str) -> tuple[Handler, ...]:
        parts = split_topic(topic)
        matched = [s for s in self._subs if topic_matches(s.parts, parts)]
        matched.sort(key=lambda s: (-s.priority, s.seq))
        handlers = tuple(s.handler for s in matched)
        if len(self._cache) >= _CACHE_MAX_TOPICS:
            self._cache.clear()
        self._cache[topic] = handlers
        return handlers

    def subscribe(self, pattern: str, handler: Handler, *, priority: int = 0) -> Subscription:
        """Register ``handler(topic, msg)`` for topics matching ``pattern``."""
        if not callable(handler):
            raise ValidationError("handler must be callable", code="invalid_handler")
        parts = parse_pattern(pattern)
        with self._lock:
            self._seq += 1
            sub = Subscription(pattern, handler, priority, self._seq, parts)
            self._subs.append(sub)
            self._cache.clear()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Remove a subscription; removing one that is already gone does nothing."""
        with self._lock:
            try:
                self._subs.remove(sub)
            except ValueError:
                return
            self._cache.clear()

    def has_subscribers(self, topic: str) -> bool:
        """Whether any subscription matches ``topic`` (uses the handler cache)."""
        with self._lock:
            handlers = self._cache.get(topic)
            if handlers is None:
                handlers = self._resolve(topic)
            return bool(handlers)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """Current subscriptions in subscription order."""
        with self._lock:
            return tuple(self._subs)

    # -- request / reply --------------------------------------------------------------------

    def register_endpoint(self, name: str, handler: EndpointHandler) -> None:
        """Serve requests on ``name``; a second registration of the same name is a conflict."""
        split_topic(name)
        with self._lock:
            if name in self._endpoints:
                raise ConflictError(
                    f"endpoint {name!r} is already registered", code="endpoint_exists"
                )
            self._endpoints[name] = handler

    def deregister_endpoint(self, name: str) -> None:
        """Stop serving ``name``; an unknown name does nothing."""
        with self._lock:
            self._endpoints.pop(name, None)

    def request(self, name: str, msg: Any, *, timeout: float = 5.0) -> Any:
        """Call the endpoint synchronously and return its reply; its exceptions propagate.

        ``timeout`` is accepted for interface compatibility: delivery is synchronous.
        """
        handler = self._endpoints.get(name)
        if handler is None:
            raise unknown_endpoint(name)
        self._requests += 1
        return handler(msg)

    # -- observability ----------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counters since construction, for /metrics."""
        return {
            "published": self._published,
            "delivered": self._delivered,
            "handler_errors": self._handler_errors,
            "requests": self._requests,
            "subscriptions": len(self._subs),
            "endpoints": len(self._endpoints),
        }

    def health(self) -> dict[str, Any]:
        """Always healthy: there is nothing external to lose."""
        return {"healthy": True, "backend": "memory", **self.stats()}
