"""Thread-safe token bucket used to keep each data source under its provider's rate limit.

A bucket holds at most ``capacity`` tokens and refills at ``rate_per_s`` tokens per second.
``acquire`` blocks until enough tokens exist or the timeout passes, then raises
:class:`~nautilus.core.errors.RateLimitedError` with the wait that would have been needed.
A provider's ``Retry-After`` is honoured with :meth:`TokenBucket.block_for`, which stops every
thread sharing the bucket until that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from nautilus.core.errors import RateLimitedError, ValidationError


class TokenBucket:
    """Token bucket: ``rate_per_s`` tokens per second, bursts up to ``capacity``.

    Times are seconds on a monotonic clock (injectable with ``clock``/``sleep`` for tests).

    >>> bucket = TokenBucket(rate_per_s=10.0, capacity=2)
    >>> bucket.try_acquire(), bucket.try_acquire(), bucket.try_acquire()
    (True, True, False)
    """

    def __init__(
        self,
        rate_per_s: float,
        capacity: float,
        *,
        name: str = "source",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_s <= 0 or capacity < 1:
            raise ValidationError("rate_per_s must be > 0 and capacity >= 1", code="bad_rate_limit")
        self.rate_per_s = float(rate_per_s)
        self.capacity = float(capacity)
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(capacity)
        self._updated = clock()
        self._blocked_until = 0.0

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate_per_s)
        self._updated = now

    def _wait_needed(self, tokens: float, now: float) -> float:
        """Seconds until ``tokens`` are available (0 when available now). Lock must be held."""
        self._refill(now)
        blocked = max(0.0, self._blocked_until - now)
        deficit = max(0.0, tokens - self._tokens)
        return max(blocked, deficit / self.rate_per_s)

    def try_acquire(self, tokens: float = 1.0) -> bool:
        """Take ``tokens`` if available right now; never blocks."""
        with self._lock:
            now = self._clock()
            if self._wait_needed(tokens, now) > 0:
                return False
            self._tokens -= tokens
            return True

    def acquire(self, tokens: float = 1.0, timeout: float | None = None) -> float:
        """Block until ``tokens`` are taken; return the seconds waited.

        Raises RateLimitedError (code ``rate_limit_exhausted``) if the wait would exceed
        ``timeout`` seconds (``None`` waits as long as needed, ``0`` never waits).
        """
        if tokens > self.capacity:
            raise ValidationError(
                f"cannot take {tokens} tokens from a bucket of {self.capacity}",
                code="bad_rate_limit",
            )
        start = self._clock()
        deadline = None if timeout is None else start + timeout
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(tokens, now)
                if wait <= 0:
                    self._tokens -= tokens
                    return now - start
                if deadline is not None and now + wait > deadline:
                    raise RateLimitedError(
                        f"{self.name}: rate limit of {self.rate_per_s:g}/s exhausted",
                        retry_after=wait,
                        code="rate_limit_exhausted",
                    )
            self._sleep(wait)

    def block_for(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (a provider asked us to back off)."""
        with self._lock:
            now = self._clock()
            self._blocked_until = max(self._blocked_until, now + max(0.0, seconds))

    @property
    def available(self) -> float:
        """Tokens available now."""
        with self._lock:
            self._refill(self._clock())
            return self._tokens
