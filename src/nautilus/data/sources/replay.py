"""Replay stored bars as a live stream: Bar messages at N x speed through a callback.

Frames are handed in with :meth:`ReplaySource.load` (the engine reads them from its store).
``subscribe_bars`` registers a callback; :meth:`ReplaySource.play` then emits every loaded
bar of every subscribed series in ``ts`` order (ties keep subscription order), sleeping
``(ts - previous ts) / speed`` between bars. ``speed=inf`` never sleeps (tests, fast
catch-up). ``start()`` runs ``play`` on a thread; ``stop()`` ends it at the next bar. A bar's
``ts_event`` is its stored close time; ``ts_init`` is the replay clock (``ts_event``) so a
replay is reproducible.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.errors import NotFoundError
from nautilus.core.time import NS_PER_SECOND
from nautilus.data.base import (
    DATA_SOURCES,
    Capability,
    DataSource,
    DataSourceConfig,
    LiveSubscription,
    clean_bars,
)
from nautilus.model import BAR_COLUMNS, Bar, Timeframe


def _entries(ts: list[int], rows: list[list[float]], order: int,
             sub: LiveSubscription) -> Iterator[tuple[int, int, list[float], LiveSubscription]]:
    for t, row in zip(ts, rows, strict=True):
        yield int(t), order, row, sub


class ReplayConfig(DataSourceConfig):
    """Replay pacing: ``speed`` x real time (``inf`` = as fast as possible)."""

    speed: float = Field(float("inf"), gt=0)
    rate_limit_per_s: float = 1e6
    rate_limit_burst: int = 1_000_000


@DATA_SOURCES.register("replay", config=ReplayConfig, tags=("bars", "intraday", "live"))
class ReplaySource(DataSource):
    """Streams loaded bar frames as live ``Bar`` messages (paper trading, demos, tests)."""

    name = "replay"
    config_class = ReplayConfig
    capabilities = frozenset({Capability.BARS, Capability.INTRADAY, Capability.LIVE})
    config: ReplayConfig

    def __init__(self, config: ReplayConfig | None = None, **kw: Any) -> None:
        super().__init__(config, **kw)
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}
        self._subs: list[LiveSubscription] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.emitted = 0

    def load(self, instrument_id: str, timeframe: Timeframe | str, frame: pd.DataFrame) -> None:
        """Make ``frame`` (bar contract: ``ts`` close ns UTC, OHLCV) available for replay."""
        clean, _ = clean_bars(frame)
        self._frames[(instrument_id, Timeframe(timeframe).value)] = clean

    def _frame(self, instrument_id: str, timeframe: str) -> pd.DataFrame:
        try:
            return self._frames[(instrument_id, timeframe)]
        except KeyError:
            raise NotFoundError(f"replay: nothing loaded for {instrument_id} {timeframe}",
                                code="unknown_symbol", source=self.name,
                                symbol=instrument_id) from None

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        frame = self._frame(instrument_id, timeframe.value)
        idx = frame.index.to_numpy()
        return frame.loc[(idx >= start_ns) & (idx < end_ns)]

    def _subscribe_bars(self, instrument_id: str, timeframe: Timeframe,
                        callback: Callable[[Bar], None]) -> LiveSubscription:
        self._frame(instrument_id, timeframe.value)
        sub = LiveSubscription(self.name, "bars", instrument_id, timeframe.value, callback)
        self._subs.append(sub)
        return sub

    def _unsubscribe(self, sub: LiveSubscription) -> None:
        self._subs = [s for s in self._subs if s is not sub]

    def play(self, start_ns: int | None = None, end_ns: int | None = None,
             speed: float | None = None) -> int:
        """Emit subscribed bars with ``start_ns <= ts < end_ns`` in time order; returns count."""
        pace = self.config.speed if speed is None else speed
        streams = []
        for order, sub in enumerate(list(self._subs)):
            frame = self._frame(sub.instrument_id, str(sub.timeframe))
            idx = frame.index.to_numpy()
            keep = np.ones(len(idx), dtype=bool)
            if start_ns is not None:
                keep &= idx >= start_ns
            if end_ns is not None:
                keep &= idx < end_ns
            values = frame.loc[keep, list(BAR_COLUMNS)].to_numpy()
            streams.append(_entries(idx[keep].tolist(), values.tolist(), order, sub))
        count, last = 0, None
        for ts, _, row, sub in heapq.merge(*streams, key=lambda e: (e[0], e[1])):
            if self._stop.is_set():
                break
            if last is not None and not math.isinf(pace) and ts > last:
                self._sleep((ts - last) / NS_PER_SECOND / pace)
            last = ts
            if not sub.active:
                continue
            o, h, lo, c, v = row
            sub.callback(Bar(instrument_id=sub.instrument_id, timeframe=str(sub.timeframe),
                             open=o, high=h, low=lo, close=c, volume=v, ts_event=ts,
                             ts_init=ts))
            count += 1
        self.emitted += count
        return count

    def start(self, **kw: Any) -> None:
        """Run :meth:`play` on a background thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.play, kwargs=kw, name="replay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the background replay at the next bar and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
