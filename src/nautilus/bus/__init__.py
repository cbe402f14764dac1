"""Message bus: in-process (default, deterministic) and Redis Streams (scale-out)."""

from __future__ import annotations

from nautilus.bus.base import (
    Envelope,
    Handler,
    Lane,
    MessageBus,
    Subscription,
    decode_message,
    encode_message,
    message_type,
    topic_matches,
)

__all__ = [
    "Envelope",
    "Handler",
    "Lane",
    "MessageBus",
    "Subscription",
    "decode_message",
    "encode_message",
    "message_type",
    "topic_matches",
]
