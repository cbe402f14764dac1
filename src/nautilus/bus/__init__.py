"""Message bus: in-process (default, deterministic) and Redis Streams (scale-out).

``RedisStreamsBus`` is imported on first use so that importing the message types (which every
model module does through ``nautilus.bus.base``) does not load redis-py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nautilus.bus.base import (
    EndpointHandler,
    Envelope,
    Handler,
    Lane,
    MessageBus,
    Subscription,
    decode_message,
    encode_message,
    message_type,
    topic_matches,
    unknown_endpoint,
)
from nautilus.bus.memory import InProcessBus, parse_pattern

if TYPE_CHECKING:
    from nautilus.bus.redis_streams import RedisStreamsBus

__all__ = [
    "EndpointHandler",
    "Envelope",
    "Handler",
    "InProcessBus",
    "Lane",
    "MessageBus",
    "RedisStreamsBus",
    "Subscription",
    "decode_message",
    "encode_message",
    "message_type",
    "parse_pattern",
    "topic_matches",
    "unknown_endpoint",
]


def __getattr__(name: str) -> Any:
    if name == "RedisStreamsBus":
        from nautilus.bus.redis_streams import RedisStreamsBus

        return RedisStreamsBus
    raise AttributeError(f"module 'nautilus.bus' has no attribute {name!r}")
