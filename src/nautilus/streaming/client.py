"""Per-connection state: subscriptions, a bounded queue with conflation, liveness.

The hub only ever calls :meth:`StreamClient.enqueue` (O(1), never waits). Frames enqueued in
one event-loop turn are flushed together at the end of it (:meth:`StreamClient.flush`, called
once per turn for every client that got something): one frame goes out as it is, several go
out as one ``batch`` frame (see :mod:`nautilus.streaming.messages`), so a client that gets
many messages per turn costs one socket write, not one per message. The sink's ``send``
coroutine is stepped in place and, as long as the socket is writable, it finishes in that
step, with no task switch (the common case, and the reason 1,000 clients are cheap). When a
send has to wait (the peer's TCP window is full), the half-done send moves to a writer task
that finishes it and then drains the queue, a batch at a time; frames arriving meanwhile are
queued. So a client whose socket stalls fills its own queue and nobody else's:

* conflatable frames (market data, P&L, jobs) are sent one by one while the client keeps up;
  once ``conflate_at`` frames are queued, they are keyed by topic and a newer frame replaces
  the queued one in place, so a slow client holds at most one more frame per such topic;
* other frames (orders, fills, control frames) are queued in order;
* at ``limit`` queued frames the client is *full*; the hub's watchdog disconnects a client
  that stays full for longer than the slow-client timeout, and a client that reaches
  ``hard_limit`` is disconnected at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, Protocol

from nautilus.streaming.messages import batch_text
from nautilus.streaming.topics import Resolved

if TYPE_CHECKING:
    from nautilus.security import Principal

log = logging.getLogger(__name__)

MAX_BATCH = 256
"""Frames sent in one ``batch`` frame at most."""
MAX_BATCH_CHARS = 64 * 1024
"""A batch takes no more frames once it holds this many characters (peers cap frame sizes,
e.g. 1 MiB by default in the ``websockets`` library)."""


class Sink(Protocol):
    """Where a client's frames go: the WebSocket (or any transport with the same two calls)."""

    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class _Resume:
    """Awaitable that carries on a coroutine already stepped once (which yielded ``first``).

    It relays what the awaiting task sends or throws, exactly as ``await coro`` would have.
    """

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, None], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, Any, None]:
        to_yield = self.first
        while True:
            try:
                value = yield to_yield
            except BaseException as exc:  # cancellation is passed on to the send
                try:
                    to_yield = self.coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    to_yield = self.coro.send(value)
                except StopIteration:
                    return


class StreamClient:
    """One connected, authenticated peer."""

    _ids = itertools.count(1)

    def __init__(
        self,
        principal: Principal,
        sink: Sink,
        *,
        limit: int = 1000,
        hard_limit: int = 4000,
        conflate_at: int = 100,
        clock: Callable[[], float] = time.monotonic,
        schedule_flush: Callable[[StreamClient], None] | None = None,
    ) -> None:
        self.id = next(self._ids)
        self.principal = principal
        self.user_id = principal.user_id
        self.is_admin = principal.is_admin
        self.sink = sink
        self.limit = limit
        self.hard_limit = max(hard_limit, limit)
        self.conflate_at = max(1, min(conflate_at, limit))
        self.flush_at = max(1, min(MAX_BATCH, self.conflate_at // 2))
        """Frames queued in one turn at which they are sent at once, not at the turn's end."""
        self.clock = clock
        self.subscriptions: dict[str, Resolved] = {}
        self.pending: OrderedDict[object, str] = OrderedDict()
        self.full_since: float | None = None
        self.last_seen = clock()
        self.closed = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.sent = 0
        self.conflated = 0
        self._seq = itertools.count()
        self._writer: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._close_started = False
        self._flush_due = False
        self.schedule_flush = schedule_flush or _flush_next_turn
        """Arranges one :meth:`flush` after the current loop turn (the hub batches these)."""

    # -- hub side (event loop, never waits) --------------------------------------------------

    def enqueue(self, text: str, key: str | None = None) -> bool:
        """Queue a frame for the end of this loop turn; a ``key`` lets it replace a queued
        frame of that key when behind.

        Returns False when the client must be dropped (queue at its hard limit).
        """
        if self.closed:
            return True
        pending = self.pending
        n = len(pending)
        if key is not None and n >= self.conflate_at:
            if key in pending:
                pending[key] = text
                self.conflated += 1
                return True
        else:
            key = None
        if n >= self.limit:
            if self.full_since is None:
                self.full_since = self.clock()
            if n >= self.hard_limit:
                return False
        pending[key if key is not None else next(self._seq)] = text
        if self._writer is None:
            if n >= self.flush_at:
                # Many frames in one turn: send now, so that a turn alone never fills the queue.
                self.flush()
            elif not self._flush_due:
                self._flush_due = True
                self.schedule_flush(self)
        return True

    def flush(self) -> None:
        """Send what is queued (one frame, or a batch); a writer task takes over if it waits."""
        self._flush_due = False
        if self.closed or self._writer is not None or not self.pending:
            return
        coro = self.sink.send(self._take())
        try:
            yielded = coro.send(None)
        except StopIteration:
            return
        except Exception as exc:  # the peer went away
            log.debug("client %s send failed: %s", self.id, exc)
            self.closed = True
            return
        self._writer = asyncio.get_running_loop().create_task(
            self._write_loop(_Resume(coro, yielded))
        )

    def _take(self) -> str:
        """Pop queued frames (up to :data:`MAX_BATCH` of them or about
        :data:`MAX_BATCH_CHARS`) as the text of one WebSocket frame."""
        pending = self.pending
        if len(pending) == 1:
            text = pending.popitem(last=False)[1]
            self.sent += 1
        else:
            texts: list[str] = []
            size = 0
            while pending and len(texts) < MAX_BATCH and size < MAX_BATCH_CHARS:
                item = pending.popitem(last=False)[1]
                texts.append(item)
                size += len(item)
            self.sent += len(texts)
            text = texts[0] if len(texts) == 1 else batch_text(texts)
        if self.full_since is not None and len(pending) < self.limit:
            self.full_since = None
        return text

    def touch(self) -> None:
        """The peer sent something: it is alive."""
        self.last_seen = self.clock()

    def full_for(self, now: float) -> float:
        """Seconds this client's queue has been full (0 when it is not)."""
        return 0.0 if self.full_since is None else now - self.full_since

    @property
    def backlog(self) -> int:
        """Frames queued behind a send in progress."""
        return len(self.pending)

    # -- writer task (only while the socket makes us wait) ------------------------------------

    async def _write_loop(self, first: _Resume) -> None:
        pending = self.pending
        send = self.sink.send
        try:
            await first
            while pending and not self.closed:
                await send(self._take())
            self.full_since = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the peer went away mid-send
            log.debug("client %s writer stopped: %s", self.id, exc)
            self.closed = True
        finally:
            if asyncio.current_task() is self._writer:
                self._writer = None

    async def close(self, code: int, reason: str, *, timeout: float = 1.0) -> None:
        """Stop writing and close the socket with ``code``/``reason`` (bounded wait)."""
        if self._close_started:
            return
        self._close_started = True
        self.closed = True
        self.close_code = code
        self.close_reason = reason[:120]
        self.pending.clear()
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task() and not writer.done():
            writer.cancel()
        try:
            await asyncio.wait_for(self.sink.close(code, self.close_reason), timeout)
        except Exception as exc:  # already closed, or a peer that does not read at all
            log.debug("client %s close: %s", self.id, exc)

    def close_soon(self, code: int, reason: str) -> None:
        """Stop sending now and close the socket in a background task (from the hub)."""
        self.closed = True
        if self._closing is None and not self._close_started:
            self._closing = asyncio.get_running_loop().create_task(self.close(code, reason))

    async def wait_closed(self) -> None:
        """Wait for a close in progress and a writer task still finishing a send."""
        current = asyncio.current_task()
        tasks = [t for t in (self._closing, self._writer) if t is not None and t is not current]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _flush_next_turn(client: StreamClient) -> None:
    asyncio.get_running_loop().call_soon(client.flush)
