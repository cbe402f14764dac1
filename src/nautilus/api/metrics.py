"""Prometheus metrics for /metrics: HTTP requests by route template, bus and job gauges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from nautilus.platform import Platform

MAX_BOUND_LABEL_SETS = 4096
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PlatformCollector(Collector):
    """Reads bus counters (``bus.stats()`` if the backend has it) and the job queue depth."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats_fn = getattr(self.platform.bus, "stats", None)
        if callable(stats_fn):
            stats: dict[str, Any] = stats_fn()
            for name, value in sorted(stats.items()):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    yield GaugeMetricFamily(
                        f"nautilus_bus_{name}", f"Message bus statistic {name!r}", value=value
                    )
        try:
            depth = self.platform.jobs.queue_depth()
        except Exception:  # a scrape must not fail because the job store is down
            depth = -1
        yield GaugeMetricFamily(
            "nautilus_jobs_queue_depth",
            "Jobs queued and not yet running (-1: unknown)",
            value=depth,
        )


class ApiMetrics:
    """Per-application metrics, kept apart from the platform's registry."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "nautilus_http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nautilus_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(PlatformCollector(platform))
        # ``labels()`` takes a lock and builds a tuple per call; the label sets are few (route
        # templates, not raw paths), so their children are looked up once and kept here.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        children = self._children.get((method, route, status))
        if children is None:
            children = self._bind(method, route, status)
        children[0].inc()
        children[1].observe(seconds)

    def _bind(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        children = (
            self.requests.labels(method, route, str(status)),
            self.latency.labels(method, route),
        )
        if len(self._children) < MAX_BOUND_LABEL_SETS:
            self._children[(method, route, status)] = children
        return children

    def render(self) -> bytes:
        """Exposition text: the platform's own metrics followed by the API's."""
        return generate_latest(self.platform.metrics) + generate_latest(self.registry)
