"""``StreamingEngine``: subscribes the stream hub to the bus for every row of the topic table.

The engine owns one :class:`~nautilus.streaming.hub.StreamHub`; the ``/ws`` route
(:func:`nautilus.api.ws.mount_ws`) connects clients to it. Settings come from
``config.streaming`` (a :class:`StreamingConfig`) when the platform config has that section,
else the defaults. Redis fan-out is on when ``streaming.redis_fanout`` says so, or by default
when the bus backend is Redis (several API processes).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from nautilus.bus.base import MessageBus, Subscription
from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.streaming.buffer import ReplayBuffer
from nautilus.streaming.config import StreamingConfig
from nautilus.streaming.hub import StreamHub
from nautilus.streaming.owners import load_owners
from nautilus.streaming.redis_fanout import RedisFanout
from nautilus.streaming.topics import (
    ACCOUNT_ASSIGNED_TOPIC,
    AccountOwners,
    TopicMap,
    message_field,
)

log = logging.getLogger(__name__)


def connect_bus(bus: MessageBus, hub: StreamHub) -> list[Subscription]:
    """Subscribe ``hub`` to the bus pattern of every row of its topic table."""
    return [
        bus.subscribe(pattern, functools.partial(hub.on_bus, rule))
        for rule in hub.topics.rules
        for pattern in rule.bus_patterns
    ]


def streaming_config(ctx: EngineContext) -> StreamingConfig:
    found = getattr(ctx.config, "streaming", None)
    return found if isinstance(found, StreamingConfig) else StreamingConfig()


@ENGINES.register("streaming")
class StreamingEngine(Engine):
    """Bus → WebSocket clients: sequence numbers, replay buffers, permissions, fan-out."""

    name = "streaming"

    def __init__(self, ctx: EngineContext, config: StreamingConfig | None = None) -> None:
        super().__init__(ctx)
        self.config = config or streaming_config(ctx)
        use_redis = self.config.redis_fanout
        if use_redis is None:
            use_redis = ctx.config.bus.backend == "redis"
        fanout = RedisFanout(ctx.config.redis_url, self.config.redis_prefix) if use_redis else None
        self.owners = AccountOwners()
        self.topics = TopicMap()
        self.hub = StreamHub(self.config, topics=self.topics, owners=self.owners, fanout=fanout)
        self._subs: list[Subscription] = []

    def start(self) -> None:
        self._subs = connect_bus(self.ctx.bus, self.hub)
        self._subs.append(self.ctx.bus.subscribe(ACCOUNT_ASSIGNED_TOPIC, self._on_account_assigned))
        # Assignments published before this process started are in the store.
        n = load_owners(self.ctx.db, self.owners)
        log.debug("streaming: %d account owners loaded", n)
        super().start()

    def reconfigure(self, config: StreamingConfig) -> None:
        """Apply new limits and timeouts now (the fan-out setting is fixed at construction).

        The replay buffer is rebuilt, and so emptied, only when its sizes change.
        """
        old = self.config
        self.config = config
        self.hub.config = config
        if (old.buffer_size, old.max_topics) != (config.buffer_size, config.max_topics):
            self.hub.buffer = ReplayBuffer(config.buffer_size, config.max_topics)

    def stop(self) -> None:
        for sub in self._subs:
            self.ctx.bus.unsubscribe(sub)
        self._subs.clear()
        self.hub.close_threadsafe()
        super().stop()

    def _on_account_assigned(self, _topic: str, msg: Any) -> None:
        account = message_field(msg, "account_id")
        owner = message_field(msg, "owner_id")
        if isinstance(account, str) and isinstance(owner, str):
            self.owners.assign(account, owner)

    def health(self) -> dict[str, Any]:
        return {"healthy": self.running, **self.hub.snapshot_stats()}

    def status(self) -> dict[str, Any]:
        return {
            **super().status(),
            "clients": len(self.hub.clients),
            "redis_fanout": self.hub.fanout is not None,
        }
