"""Share one stream between API processes over Redis pub/sub.

Each process hands the messages of its own bus to :meth:`RedisFanout.publish`. One Lua script
call per batch numbers them (``INCR`` on ``<prefix>:seq:<topic>``) and publishes the finished
frames, newline-separated, as one message on ``<prefix>:frames``. Every process subscribes to
that channel and delivers what arrives, its own frames included. Because Redis runs a script
atomically, the channel carries each topic's frames in ``seq`` order, and all processes agree
on every frame's ``seq`` (which also survives an API restart, as the counters live in Redis).

The JSON encoder never emits a raw newline, so splitting a message on ``\\n`` is safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import msgspec

log = logging.getLogger(__name__)

_SCRIPT = """
local out = {}
for i = 1, #KEYS do
  local seq = redis.call('INCR', KEYS[i])
  out[i] = ARGV[2 * i] .. seq .. ARGV[2 * i + 1]
end
redis.call('PUBLISH', ARGV[1], table.concat(out, '\\n'))
return #KEYS
"""


class FanoutItem(NamedTuple):
    """A message of this process's bus, encoded, waiting for its ``seq``."""

    topic: str
    ts: int
    data: bytes


class FrameHead(msgspec.Struct):
    """The fields of a data frame the hub needs to route a relayed line."""

    topic: str
    seq: int
    ts: int
    data: msgspec.Raw


_head_decoder = msgspec.json.Decoder(FrameHead)
_encoder = msgspec.json.Encoder()


def decode_line(line: bytes) -> FrameHead:
    return _head_decoder.decode(line)


def frame_parts(item: FanoutItem) -> tuple[bytes, bytes]:
    """The data frame around its ``seq``: ``(head, tail)`` with ``head + seq + tail`` valid JSON."""
    head = b'{"type":"data","topic":' + _encoder.encode(item.topic) + b',"seq":'
    tail = b',"ts":' + str(item.ts).encode() + b',"data":' + item.data + b"}"
    return head, tail


class RedisFanout:
    """The Redis side of the stream: numbered publish and the relay subscription."""

    def __init__(self, url: str, prefix: str = "nautilus:ws") -> None:
        self.url = url
        self.prefix = prefix
        self.channel = f"{prefix}:frames"
        self._redis: Any = None
        self._pubsub: Any = None
        self._script: Any = None
        self._reader: asyncio.Task[None] | None = None
        self.published = 0
        self.received = 0

    def seq_key(self, topic: str) -> str:
        return f"{self.prefix}:seq:{topic}"

    async def start(self, on_frames: Callable[[Iterable[bytes]], None]) -> None:
        """Connect and start relaying the channel to ``on_frames`` (on the running loop)."""
        import redis.asyncio as aioredis

        await self.stop()
        self._redis = aioredis.Redis.from_url(self.url)
        self._script = self._redis.register_script(_SCRIPT)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self.channel)
        self._reader = asyncio.get_running_loop().create_task(self._read(on_frames))

    async def _read(self, on_frames: Callable[[Iterable[bytes]], None]) -> None:
        pubsub = self._pubsub
        while True:
            try:
                msg = await pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("stream relay from Redis failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if msg is None or msg.get("type") != "message":
                continue
            lines = msg["data"].split(b"\n")
            self.received += len(lines)
            try:
                on_frames(lines)
            except Exception:
                log.exception("stream relay handler failed")

    async def publish(self, items: Sequence[FanoutItem]) -> None:
        """Number and publish ``items`` in one round trip (order kept per topic)."""
        if not items or self._script is None:
            return
        keys = [self.seq_key(i.topic) for i in items]
        args: list[bytes | str] = [self.channel]
        for item in items:
            head, tail = frame_parts(item)
            args.append(head)
            args.append(tail)
        await self._script(keys=keys, args=args)
        self.published += len(items)

    async def stop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            try:
                await reader
            except (asyncio.CancelledError, Exception):
                pass
        if self._pubsub is not None:
            try:
                await self._pubsub.aclose()
            except Exception:
                log.debug("closing the Redis pubsub failed", exc_info=True)
            self._pubsub = None
        if self._redis is not None:
            try:
                await self._redis.aclose()
            except Exception:
                log.debug("closing the Redis client failed", exc_info=True)
            self._redis = None
        self._script = None
