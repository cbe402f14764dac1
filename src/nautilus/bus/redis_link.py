"""The Redis connection shared by the Redis Streams bus threads, with its health state.

Every thread (flusher, consumer, endpoint server, reply reader) uses the same connection pool
and reports each success or connection failure here, so ``connected`` reflects the last thing
any of them saw. redis-py's own retries are switched off: the bus threads retry themselves with
exponential backoff and jitter (:func:`reconnect_delay`).
"""

from __future__ import annotations

import logging
import random
import threading

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    OSError,
)
"""Failures that mean Redis cannot be reached (as opposed to a rejected command)."""


def reconnect_delay(attempt: int, base_s: float, max_s: float) -> float:
    """Seconds to wait before reconnect ``attempt`` (0-based): exponential, capped, jittered.

    The delay is drawn uniformly from [d/2, d] with ``d = min(max_s, base_s * 2**attempt)``
    ("equal jitter"), so many processes reconnecting at once spread out.

    >>> 0.05 <= reconnect_delay(1, 0.05, 5.0) <= 0.1
    True
    """
    d = min(max_s, base_s * (2 ** min(attempt, 30)))
    # Jitter is the point: reconnecting processes must not retry in lock-step.
    return random.uniform(d / 2, d)


class RedisLink:
    """One redis-py client (pooled, bytes replies) plus the bus's view of its health."""

    def __init__(self, redis_url: str, *, socket_timeout_s: float = 5.0) -> None:
        self.url = redis_url
        self.client = redis.Redis.from_url(
            redis_url,
            socket_connect_timeout=1.0,
            socket_timeout=socket_timeout_s,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._probe = redis.Redis.from_url(
            redis_url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        self._lock = threading.Lock()
        self.connected = False
        self.last_error: str | None = None
        self.disconnects = 0
        self.reconnects = 0

    def mark_up(self) -> None:
        """Record a successful round trip."""
        if not self.connected:
            with self._lock:
                if not self.connected:
                    if self.disconnects:
                        self.reconnects += 1
                        log.info("redis bus reconnected to %s", self.url)
                    self.connected = True

    def mark_down(self, exc: BaseException) -> None:
        """Record a connection failure."""
        with self._lock:
            self.last_error = f"{type(exc).__name__}: {exc}"
            if self.connected:
                self.disconnects += 1
                self.connected = False
                log.warning("redis bus lost its connection to %s: %s", self.url, exc)
            elif not self.disconnects:
                self.disconnects = 1

    def probe(self) -> bool:
        """PING with a short timeout; updates the health state."""
        try:
            self._probe.ping()
        except CONNECTION_ERRORS as exc:
            self.mark_down(exc)
            return False
        self.mark_up()
        return True

    def close(self) -> None:
        self.client.close()
        self._probe.close()
