"""The message bus contract shared by the in-process and Redis Streams backends.

Topics are dotted names (``data.bars.AAPL.1m``). Patterns match segment-wise: ``*`` matches
exactly one segment, a trailing ``>`` matches one or more remaining segments
(``data.bars.>``), and a literal segment matches itself.

Messages are frozen ``msgspec.Struct`` values; on the wire they travel as msgpack inside an
envelope naming their registered type, so any process can decode them.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import msgspec

from nautilus.core.errors import NotFoundError, ValidationError


class Lane(IntEnum):
    """Delivery priority lanes: critical traffic (kill switch, risk) is drained first."""

    CRITICAL = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


Handler = Callable[[str, Any], None]
"""A subscriber callback: ``handler(topic, message)``."""

EndpointHandler = Callable[[Any], Any]
"""A request/reply endpoint: returns the reply message."""


@dataclass(eq=False, slots=True)
class Subscription:
    """Handle returned by :meth:`MessageBus.subscribe`; pass it to ``unsubscribe``."""

    pattern: str
    handler: Handler
    priority: int = 0
    seq: int = 0
    parts: tuple[str, ...] = field(default=(), repr=False)


def split_topic(topic: str) -> tuple[str, ...]:
    if not topic or any(not p for p in topic.split(".")):
        raise ValidationError(f"invalid topic {topic!r}", code="invalid_topic")
    return tuple(topic.split("."))


def topic_matches(pattern_parts: tuple[str, ...], topic_parts: tuple[str, ...]) -> bool:
    """Segment-wise match of a topic against a pattern (see module docstring)."""
    n = len(pattern_parts)
    if n and pattern_parts[-1] == ">":
        if len(topic_parts) < n:
            return False
        n -= 1
    elif len(topic_parts) != n:
        return False
    for i in range(n):
        p = pattern_parts[i]
        if p != "*" and p != topic_parts[i]:
            return False
    return True


# -- message type registry and codec -------------------------------------------------------

_MESSAGE_TYPES: dict[str, type[msgspec.Struct]] = {}


def message_type(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """Class decorator: register a Struct so it can be decoded from the wire by name."""
    key = f"{cls.__module__}.{cls.__qualname__}"
    _MESSAGE_TYPES[key] = cls
    _MESSAGE_TYPES.setdefault(cls.__name__, cls)
    return cls


class Envelope(msgspec.Struct, frozen=True, array_like=True):
    """Wire frame: registered type name + msgpack payload + publish time (ns UTC)."""

    type: str
    payload: bytes
    ts_publish: int


_encoder = msgspec.msgpack.Encoder()
_env_decoder = msgspec.msgpack.Decoder(Envelope)


_TYPE_NAMES: dict[type, str] = {}


def encode_message(msg: Any, ts_publish: int) -> bytes:
    cls = type(msg)
    name = _TYPE_NAMES.get(cls)
    if name is None:
        if isinstance(msg, msgspec.Struct):
            name = f"{cls.__module__}.{cls.__qualname__}"
            if name not in _MESSAGE_TYPES:
                message_type(cls)
        else:
            name = "builtin"
        _TYPE_NAMES[cls] = name
    return _encoder.encode(Envelope(name, _encoder.encode(msg), ts_publish))


def decode_message(data: bytes) -> tuple[Any, int]:
    """Return ``(message, ts_publish)``; unknown struct types decode as plain dicts."""
    env = _env_decoder.decode(data)
    cls = _MESSAGE_TYPES.get(env.type)
    if cls is None:
        return msgspec.msgpack.decode(env.payload), env.ts_publish
    return msgspec.msgpack.decode(env.payload, type=cls), env.ts_publish


class MessageBus(abc.ABC):
    """Publish/subscribe with wildcard patterns, handler priorities and request/reply."""

    @abc.abstractmethod
    def publish(self, topic: str, msg: Any, *, lane: Lane = Lane.NORMAL) -> None:
        """Deliver ``msg`` to every subscription whose pattern matches ``topic``."""

    @abc.abstractmethod
    def subscribe(self, pattern: str, handler: Handler, *, priority: int = 0) -> Subscription:
        """Register ``handler``; higher ``priority`` handlers run first for the same message."""

    @abc.abstractmethod
    def unsubscribe(self, sub: Subscription) -> None: ...

    @abc.abstractmethod
    def register_endpoint(self, name: str, handler: EndpointHandler) -> None:
        """Serve requests on ``name``; the handler's return value is the reply."""

    @abc.abstractmethod
    def request(self, name: str, msg: Any, *, timeout: float = 5.0) -> Any:
        """Send ``msg`` to endpoint ``name`` and wait for its reply.

        Raises :class:`NotFoundError` for an unknown endpoint, ``TimeoutError`` on timeout.
        """

    def start(self) -> None:  # noqa: B027 - optional hook
        """Start background delivery (no-op for the in-process bus)."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop delivery; pending acknowledged messages are not lost."""

    @abc.abstractmethod
    def health(self) -> dict[str, Any]:
        """``{"healthy": bool, ...backend details}`` for /ready and /metrics."""

    @abc.abstractmethod
    def stats(self) -> dict[str, Any]:
        """Counters for /metrics: published, delivered/consumed, handler errors, lag."""

    def flush(self, timeout: float = 10.0) -> None:  # noqa: B027 - optional hook
        """Wait until buffered publishes reached the backend (no-op in process)."""


def unknown_endpoint(name: str) -> NotFoundError:
    return NotFoundError(f"no endpoint {name!r} on the bus", code="unknown_endpoint")
