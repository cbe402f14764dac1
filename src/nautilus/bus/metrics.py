"""Prometheus export of a bus's ``stats()``: counters, buffer and consumer lag per lane.

Register once per platform:

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from nautilus.bus.memory import InProcessBus
>>> registry = CollectorRegistry()
>>> registry.register(BusMetricsCollector(InProcessBus()))
>>> b"nautilus_bus_published_total 0.0" in generate_latest(registry)
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

COUNTERS: dict[str, str] = {
    "published": "Messages published (Redis: written to a stream).",
    "delivered": "Handler calls made for delivered messages.",
    "handler_errors": "Handler calls that raised.",
    "consumed": "Stream entries read by this process.",
    "duplicates": "Resent stream entries dropped by the consumer.",
    "reclaimed": "Pending entries taken over from dead consumers.",
    "requests": "Requests sent to endpoints.",
    "requests_served": "Requests answered by this process's endpoints.",
    "reconnects": "Reconnections to Redis after a connection loss.",
    "publish_errors": "Messages Redis rejected.",
    "decode_errors": "Stream entries that could not be decoded.",
}


class _HasStats(Protocol):
    def stats(self) -> dict[str, Any]: ...


class BusMetricsCollector(Collector):
    """Reads ``bus.stats()`` at scrape time; metric names are ``nautilus_bus_*``."""

    def __init__(self, bus: _HasStats) -> None:
        self.bus = bus

    def collect(self) -> Iterator[Metric]:
        stats = self.bus.stats()
        for key, doc in COUNTERS.items():
            if key in stats:
                yield CounterMetricFamily(f"nautilus_bus_{key}", doc, value=stats[key])
        if "buffered" in stats:
            yield GaugeMetricFamily(
                "nautilus_bus_buffered",
                "Messages waiting to be written to Redis.",
                value=stats["buffered"],
            )
        lanes = stats.get("lanes")
        if lanes:
            pending = GaugeMetricFamily(
                "nautilus_bus_consumer_pending",
                "Entries read by the consumer group but not yet acknowledged.",
                labels=["lane"],
            )
            lag = GaugeMetricFamily(
                "nautilus_bus_consumer_lag",
                "Entries not yet read by the consumer group (absent when Redis cannot count).",
                labels=["lane"],
            )
            for lane, info in lanes.items():
                if info.get("pending") is not None:
                    pending.add_metric([lane], info["pending"])
                if info.get("lag") is not None:
                    lag.add_metric([lane], info["lag"])
            yield pending
            yield lag
