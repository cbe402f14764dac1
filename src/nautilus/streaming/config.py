"""``StreamingConfig``: limits of the WebSocket hub (queues, buffers, heartbeats, fan-out)."""

from __future__ import annotations

from pydantic import Field

from nautilus.core.config import FrozenConfig


class StreamingConfig(FrozenConfig):
    """Settings of the streaming engine; times in seconds, sizes in frames."""

    buffer_size: int = Field(default=1000, ge=1, description="Frames kept per topic for resume.")
    max_topics: int = Field(
        default=100_000, ge=1, description="Topics with a replay buffer (LRU beyond)."
    )
    client_queue: int = Field(
        default=1000, ge=1, description="Frames queued per client before it is slow."
    )
    conflate_after: int = Field(
        default=100,
        ge=1,
        description="Queued frames from which a client's market data is conflated.",
    )
    client_queue_hard: int = Field(
        default=4000, ge=1, description="Queued frames at which a client is dropped at once."
    )
    slow_client_timeout_s: float = Field(
        default=5.0, gt=0, description="A client whose queue stays full this long is disconnected."
    )
    auth_timeout_s: float = Field(default=5.0, gt=0, description="Time to send the auth message.")
    heartbeat_interval_s: float = Field(
        default=15.0, gt=0, description="Period of server ping frames."
    )
    heartbeat_timeout_s: float = Field(
        default=45.0, gt=0, description="A peer silent this long (no frame, no pong) is dropped."
    )
    inbox_max: int = Field(
        default=100_000,
        ge=1,
        description="Bus messages waiting for the event loop (oldest dropped).",
    )
    drain_batch: int = Field(
        default=64,
        ge=1,
        description="Bus messages handled per loop turn; keep it below conflate_after.",
    )
    batch_delay_s: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Hold a client's frames this long so that more share one WebSocket frame "
        "(a batch); 0 sends at the end of each event-loop turn.",
    )
    redis_fanout: bool | None = Field(
        default=None,
        description="Share frames between API processes over Redis pub/sub; None = when the "
        "bus backend is redis.",
    )
    redis_prefix: str = Field(
        default="nautilus:ws", description="Prefix of the channel and seq keys."
    )
