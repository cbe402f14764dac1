"""Live market data: subscriptions onto bus topics, receive latency, a stale-data watchdog.

Topics: bars on ``data.bars.<instrument_id>.<timeframe>`` (``data.bars.AAPL.XNAS.1m``: the
instrument id keeps its dot, so subscribe to ``data.bars.>`` or the literal topic), quotes on
``data.quotes.<instrument_id>``, alerts on ``data.alerts``. Values are ``model.Bar`` /
``model.Quote`` / :class:`DataAlert` structs.

Latency = receive wall time - ``ts_event`` (ns UTC), observed in seconds into the Prometheus
histogram ``nautilus_data_latency_seconds{source, stream}``.

Watchdog: a bar stream is stale when nothing arrived for ``timeframe + grace``; a quote stream
after ``quote_timeout + grace``. The first check past that publishes one ``stale`` alert; the
next message publishes ``recovered``. :meth:`LiveFeed.check` runs one pass (deterministic in
tests with an explicit ``now_ns``); :meth:`LiveFeed.start` runs it on a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from prometheus_client import CollectorRegistry, Histogram

from nautilus.bus.base import Lane, MessageBus, message_type
from nautilus.core.errors import NotFoundError
from nautilus.core.time import NS_PER_SECOND, now_ns
from nautilus.data.base import DataSource, LiveSubscription
from nautilus.model import Bar, Quote, Timeframe

log = logging.getLogger(__name__)

ALERT_TOPIC = "data.alerts"
LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                   60.0, 300.0, 3600.0)


def bar_topic(instrument_id: str, timeframe: str) -> str:
    return f"data.bars.{instrument_id}.{timeframe}"


def quote_topic(instrument_id: str) -> str:
    return f"data.quotes.{instrument_id}"


@message_type
class DataAlert(msgspec.Struct, frozen=True, kw_only=True):
    """``kind`` ``stale`` (silent past ``threshold_ns``) or ``recovered``; times ns UTC."""

    kind: str
    stream: str
    instrument_id: str
    timeframe: str | None
    source: str
    silent_ns: int
    threshold_ns: int
    last_receive_ns: int | None
    ts_event: int


@dataclass(eq=False)
class Stream:
    """One subscribed stream and its watchdog state."""

    key: str
    stream: str
    instrument_id: str
    timeframe: str | None
    source: str
    threshold_ns: int
    subscribed_ns: int
    sub: LiveSubscription | None = None
    last_receive_ns: int | None = None
    received: int = 0
    stale: bool = False


class LiveFeed:
    """Routes live source callbacks to the bus and watches the streams (module docstring)."""

    def __init__(self, bus: MessageBus, metrics: CollectorRegistry | None = None, *,
                 grace_s: float = 5.0, quote_timeout_s: float = 30.0,
                 clock: Callable[[], int] = now_ns) -> None:
        self.bus = bus
        self.grace_ns = int(grace_s * NS_PER_SECOND)
        self.quote_timeout_ns = int(quote_timeout_s * NS_PER_SECOND)
        self.clock = clock
        self.latency = Histogram(
            "nautilus_data_latency_seconds", "Live data receive time minus event time",
            ["source", "stream"], buckets=LATENCY_BUCKETS,
            registry=metrics,
        )
        self.streams: dict[str, Stream] = {}
        self.latest_quotes: dict[str, Quote] = {}
        self.alerts_published = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- subscriptions ------------------------------------------------------------------------

    def subscribe_bars(self, source: DataSource, instrument_id: str,
                       timeframe: Timeframe | str) -> Stream:
        tf = Timeframe(timeframe).value
        key = f"bars:{instrument_id}:{tf}"
        stream = self._add(key, "bars", instrument_id, tf, source.name,
                           Timeframe(tf).ns + self.grace_ns)
        stream.sub = source.subscribe_bars(instrument_id, tf,
                                           lambda bar: self.on_bar(bar, stream))
        return stream

    def subscribe_quotes(self, source: DataSource, instrument_id: str) -> Stream:
        key = f"quotes:{instrument_id}"
        stream = self._add(key, "quotes", instrument_id, None, source.name,
                           self.quote_timeout_ns + self.grace_ns)
        stream.sub = source.subscribe_quotes(instrument_id,
                                             lambda q: self.on_quote(q, stream))
        return stream

    def _add(self, key: str, kind: str, instrument_id: str, timeframe: str | None,
             source: str, threshold_ns: int) -> Stream:
        with self._lock:
            if key in self.streams:
                raise NotFoundError(f"already subscribed to {key}", code="already_subscribed")
            stream = Stream(key, kind, instrument_id, timeframe, source, threshold_ns,
                            self.clock())
            self.streams[key] = stream
        return stream

    def unsubscribe(self, key: str, sources: dict[str, DataSource]) -> None:
        """Stop a stream by key (``bars:<id>:<tf>`` / ``quotes:<id>``); NotFoundError if none."""
        with self._lock:
            stream = self.streams.pop(key, None)
        if stream is None:
            raise NotFoundError(f"no live stream {key!r}", code="unknown_stream")
        src = sources.get(stream.source)
        if stream.sub is not None and src is not None:
            src.unsubscribe(stream.sub)

    # -- message path -------------------------------------------------------------------------

    def _received(self, stream: Stream, ts_event: int) -> int:
        now = self.clock()
        self.latency.labels(stream.source, stream.stream).observe(
            max(0.0, (now - ts_event) / NS_PER_SECOND))
        stream.last_receive_ns = now
        stream.received += 1
        if stream.stale:
            stream.stale = False
            self._alert("recovered", stream, now)
        return now

    def on_bar(self, bar: Bar, stream: Stream) -> None:
        self._received(stream, bar.ts_event)
        self.bus.publish(bar_topic(bar.instrument_id, bar.timeframe), bar)

    def on_quote(self, quote: Quote, stream: Stream | None = None) -> None:
        if stream is not None:
            self._received(stream, quote.ts_event)
        self.latest_quotes[quote.instrument_id] = quote
        self.bus.publish(quote_topic(quote.instrument_id), quote)

    # -- watchdog -----------------------------------------------------------------------------

    def _alert(self, kind: str, stream: Stream, now: int) -> DataAlert:
        since = stream.last_receive_ns if stream.last_receive_ns is not None else (
            stream.subscribed_ns)
        alert = DataAlert(kind=kind, stream=stream.stream, instrument_id=stream.instrument_id,
                          timeframe=stream.timeframe, source=stream.source,
                          silent_ns=now - since, threshold_ns=stream.threshold_ns,
                          last_receive_ns=stream.last_receive_ns, ts_event=now)
        self.alerts_published += 1
        self.bus.publish(ALERT_TOPIC, alert, lane=Lane.HIGH)
        if kind == "stale":
            log.warning("stale %s stream %s from %s: silent %.1f s", stream.stream, stream.key,
                        stream.source, (now - since) / NS_PER_SECOND)
        return alert

    def check(self, now: int | None = None) -> list[DataAlert]:
        """One watchdog pass; returns the stale alerts it published."""
        t = self.clock() if now is None else now
        out = []
        with self._lock:
            streams = list(self.streams.values())
        for s in streams:
            since = s.last_receive_ns if s.last_receive_ns is not None else s.subscribed_ns
            if not s.stale and t - since > s.threshold_ns:
                s.stale = True
                out.append(self._alert("stale", s, t))
        return out

    def start(self, interval_s: float = 1.0) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.check()
                except Exception:  # the watchdog must outlive one bad pass
                    log.exception("data watchdog pass failed")

        self._thread = threading.Thread(target=loop, name="data-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def status(self) -> list[dict[str, Any]]:
        return [{"key": s.key, "stream": s.stream, "instrument_id": s.instrument_id,
                 "timeframe": s.timeframe, "source": s.source, "received": s.received,
                 "last_receive_ns": s.last_receive_ns, "stale": s.stale}
                for s in self.streams.values()]
