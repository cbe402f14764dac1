"""Streaming: bus topics → WebSocket subscribers, with sequence numbers, resume and fan-out.

Importing this package registers the ``streaming`` engine.
"""

from __future__ import annotations

from nautilus.streaming.buffer import Frame, ReplayBuffer
from nautilus.streaming.client import Sink, StreamClient
from nautilus.streaming.config import StreamingConfig
from nautilus.streaming.engine import StreamingEngine
from nautilus.streaming.hub import StreamHub
from nautilus.streaming.redis_fanout import RedisFanout
from nautilus.streaming.topics import (
    ACCOUNT_ASSIGNED_TOPIC,
    TOPIC_RULES,
    AccountAssigned,
    AccountOwners,
    Resolved,
    TopicMap,
    TopicRule,
)

__all__ = [
    "ACCOUNT_ASSIGNED_TOPIC",
    "TOPIC_RULES",
    "AccountAssigned",
    "AccountOwners",
    "Frame",
    "RedisFanout",
    "ReplayBuffer",
    "Resolved",
    "Sink",
    "StreamClient",
    "StreamHub",
    "StreamingConfig",
    "StreamingEngine",
    "TopicMap",
    "TopicRule",
]
