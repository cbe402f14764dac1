"""DataEngine: failover across sources, run-time enable/disable, health, limits, live streams
(replay of synthetic bars, pushed quotes), the stale-data watchdog and the sample loader."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, UnavailableError, ValidationError
from nautilus.core.time import NS_PER_MINUTE, NS_PER_SECOND
from nautilus.data.base import (
    DATA_SOURCES,
    Capability,
    DataSource,
    DataSourceConfig,
    LiveSubscription,
)
from nautilus.data.live import ALERT_TOPIC, DataAlert
from nautilus.data.loader import load_sample_data
from nautilus.data.sources.synthetic import SyntheticConfig, SyntheticSource
from nautilus.model import Bar, Quote, Timeframe

from .conftest import MakeEngine

START = int(pd.Timestamp("2024-06-03").value)
END = int(pd.Timestamp("2024-06-15").value)


@DATA_SOURCES.register("down_test", config=SyntheticConfig, replace=True)
class DownSource(SyntheticSource):
    """The synthetic market behind a link that is always down."""

    name = "down_test"

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        raise UnavailableError("down_test is disconnected", code="disconnected")


@DATA_SOURCES.register("push_test", config=DataSourceConfig, replace=True)
class PushQuoteSource(DataSource):
    """Live quotes pushed by the test through :meth:`push` (a broker feed stand-in)."""

    name = "push_test"
    capabilities = frozenset({Capability.LIVE, Capability.QUOTES})

    def __init__(self, config: DataSourceConfig | None = None, **kw: Any) -> None:
        super().__init__(config, **kw)
        self.callbacks: dict[str, Callable[[Quote], None]] = {}

    def _subscribe_quotes(self, instrument_id: str,
                          callback: Callable[[Quote], None]) -> LiveSubscription:
        self.callbacks[instrument_id] = callback
        return LiveSubscription(self.name, "quotes", instrument_id, None, callback)

    def _unsubscribe(self, sub: LiveSubscription) -> None:
        self.callbacks.pop(sub.instrument_id, None)

    def push(self, quote: Quote) -> None:
        self.callbacks[quote.instrument_id](quote)


def test_failover_walks_the_priority_list(make_engine: MakeEngine) -> None:
    engine = make_engine({"down_test": {}, "synthetic": {}})
    assert engine.priority == ["store", "down_test", "synthetic"]
    frame, served = engine.get_bars("FIN01.XSYN", "1d", START, END)
    assert served == "synthetic" and len(frame) == 10
    again, served = engine.get_bars("FIN01.XSYN", "1d", START, END)
    assert served == "store"
    pd.testing.assert_frame_equal(frame, again)
    health = {h["source"]: h for h in engine.source_health()}
    assert health["down_test"]["failures"] == 1 and health["synthetic"]["successes"] >= 1
    assert engine.health()["healthy"]
    # with synthetic disabled a symbol the store lacks is unavailable (only down_test left)
    engine.set_enabled("synthetic", False)
    with pytest.raises(UnavailableError):
        engine.get_bars("FIN02.XSYN", "1d", START, END)
    engine.set_enabled("down_test", False)
    with pytest.raises(NotFoundError, match=r"FIN02.XSYN"):
        engine.get_bars("FIN02.XSYN", "1d", START, END)
    engine.set_enabled("synthetic", True)
    assert engine.get_bars("FIN02.XSYN", "1d", START, END)[1] == "synthetic"
    with pytest.raises(NotFoundError, match="nosuch"):
        engine.set_enabled("nosuch", True)


def test_ranges_are_checked_with_the_limit(make_engine: MakeEngine) -> None:
    engine = make_engine()
    with pytest.raises(ValidationError) as inverted:
        engine.get_bars("FIN01.XSYN", "1d", END, START)
    assert inverted.value.code == "bad_range"
    with pytest.raises(ValidationError) as huge:
        engine.get_bars("FIN01.XSYN", "1m", START, START + 10**6 * NS_PER_MINUTE)
    assert huge.value.extra["limit"] == 500_000


def test_hourly_bars_are_resampled_from_stored_minutes(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.register_instruments([SyntheticSource().instrument("ENE01.XSYN")])
    minutes, served = engine.get_bars("ENE01.XSYN", "1m", START, END)
    assert served == "synthetic" and len(minutes) == 10 * 390
    hourly, served = engine.get_bars("ENE01.XSYN", "1h", START, END)
    assert served == "store" and len(hourly) == 10 * 7
    assert hourly["volume"].sum() == minutes["volume"].sum()


def test_replayed_bars_reach_the_bus_with_latency_and_watchdog(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.get_bars("TEC03.XSYN", "1m", START, START + 2 * 86_400 * NS_PER_SECOND)
    loaded = engine.load_replay("TEC03.XSYN", "1m")
    got: list[tuple[str, Any]] = []
    alerts: list[DataAlert] = []
    engine.ctx.bus.subscribe("data.bars.>", lambda t, m: got.append((t, m)))
    engine.ctx.bus.subscribe(ALERT_TOPIC, lambda t, m: alerts.append(m))
    stream = engine.subscribe_bars("TEC03.XSYN", "1m")
    assert engine.replay.play() == loaded == 2 * 390
    assert got[0][0] == "data.bars.TEC03.XSYN.1m" and isinstance(got[0][1], Bar)
    assert [m.ts_event for _, m in got] == engine.bars.read("TEC03.XSYN", "1m").index.tolist()
    samples = {s.name: s.value for m in engine.ctx.metrics.collect() for s in m.samples
               if s.name.startswith("nautilus_data_latency_seconds")}
    assert samples["nautilus_data_latency_seconds_count"] == 780
    # silent past 1 minute + 5 s grace: one stale alert, then recovery on the next bar
    last = stream.last_receive_ns
    assert last is not None
    assert engine.live.check(last + 60 * NS_PER_SECOND) == []
    stale = engine.live.check(last + 66 * NS_PER_SECOND)
    assert len(stale) == 1 and alerts == stale and stale[0].kind == "stale"
    assert engine.live.check(last + 120 * NS_PER_SECOND) == []  # alerted once per silence
    engine.replay.play(start_ns=int(got[-1][1].ts_event))
    assert alerts[-1].kind == "recovered"
    engine.unsubscribe(stream.key)
    assert engine.replay.play() == 0


def test_watchdog_thread_alerts_on_a_silent_quote_stream(make_engine: MakeEngine) -> None:
    engine = make_engine({"push_test": {}, "synthetic": {}})
    engine.live.stop()
    engine.live.grace_ns = 0
    engine.live.quote_timeout_ns = int(0.2 * NS_PER_SECOND)
    alerts: list[DataAlert] = []
    quotes: list[Quote] = []
    engine.ctx.bus.subscribe(ALERT_TOPIC, lambda t, m: alerts.append(m))
    engine.ctx.bus.subscribe("data.quotes.>", lambda t, m: quotes.append(m))
    stream = engine.subscribe_quotes("AAA.XTST")
    src = engine.source("push_test")
    assert isinstance(src, PushQuoteSource)
    now = time.time_ns()
    src.push(Quote(instrument_id="AAA.XTST", bid=9.9, ask=10.1, bid_size=5, ask_size=7,
                   ts_event=now - 2_000_000, ts_init=now))
    assert quotes and engine.latest_quote("AAA.XTST").ask == 10.1
    engine.live.start(interval_s=0.05)
    deadline = time.monotonic() + 3
    while not alerts and time.monotonic() < deadline:
        time.sleep(0.05)
    engine.live.stop()
    assert alerts and alerts[0].kind == "stale" and alerts[0].stream == "quotes"
    assert alerts[0].silent_ns > alerts[0].threshold_ns and stream.stale
    with pytest.raises(NotFoundError, match=r"BBB.XTST"):
        engine.latest_quote("BBB.XTST")


def test_sample_data_is_loaded_once(make_engine: MakeEngine) -> None:
    engine = make_engine()
    steps: list[float] = []
    t0 = time.perf_counter()
    first = load_sample_data(engine, progress=lambda f, m: steps.append(f), size=50, years=2,
                             minute_weeks=1)
    elapsed = time.perf_counter() - t0
    assert not first["skipped"] and first["instruments"] >= 50 and elapsed < 60
    assert steps[-1] == 1.0 and first["series"] == first["instruments"] - 50 + 100
    assert engine.catalog.count() >= first["instruments"]
    assert engine.bars.exists("TEC01.XSYN", "1m") and engine.bars.exists("UTL01.XSYN", "1d")
    rows = engine.bars.info("TEC01.XSYN", "1d")["rows"]
    second = load_sample_data(engine, size=50, years=2, minute_weeks=1)
    assert second["skipped"] and engine.bars.info("TEC01.XSYN", "1d")["rows"] == rows
    if engine.bars.exists("SPX.IDX", "1d"):
        spx = engine.bars.read("SPX.IDX", "1d")
        assert len(spx) > 4000 and spx["close"].iloc[0] > 0


def test_in_process_backfill_reports_progress_on_the_bus(make_engine: MakeEngine) -> None:
    from nautilus.data.backfill import BackfillProgress

    engine = make_engine()
    events: list[BackfillProgress] = []
    engine.ctx.bus.subscribe("data.backfill.>", lambda t, m: events.append(m))
    res = engine.backfill("MAT01.XSYN", "1d", START, END + 30 * 86_400 * NS_PER_SECOND,
                          source="synthetic", chunk_ns=10 * 86_400 * NS_PER_SECOND)
    assert res.status == "completed" and res.chunks == 5
    assert all(isinstance(e, BackfillProgress) for e in events)
    assert [e.status for e in events][-1] == "completed" and events[-1].fraction == 1.0
    assert events[-1].rows == len(engine.bars.read("MAT01.XSYN", "1d"))
    with pytest.raises(NotFoundError, match="nosuch"):
        engine.backfill("MAT01.XSYN", "1d", START, END, source="nosuch")


def test_live_quote_names_its_source_and_is_skipped_when_disabled_or_stale(
        make_engine: MakeEngine) -> None:
    engine = make_engine({"push_test": {}, "synthetic": {}})
    engine.live.stop()
    stream = engine.subscribe_quotes("AAA.XTST")
    src = engine.source("push_test")
    assert isinstance(src, PushQuoteSource)
    now = time.time_ns()
    src.push(Quote(instrument_id="AAA.XTST", bid=9.9, ask=10.1, bid_size=5, ask_size=7,
                   ts_event=now, ts_init=now))
    quote, served = engine.get_quote("AAA.XTST")
    assert served == "push_test" and quote.bid == 9.9
    stream.stale = True  # what the watchdog sets after a silence
    with pytest.raises(NotFoundError) as info:
        engine.get_quote("AAA.XTST")
    # synthetic has quotes, but not of this venue's instruments
    assert info.value.extra["tried"] == {
        "push_test": "unsupported_capability",
        "synthetic": "unknown_symbol",
    }
    stream.stale = False
    engine.set_enabled("push_test", False)
    with pytest.raises(NotFoundError) as info:
        engine.get_quote("AAA.XTST")
    assert info.value.extra["tried"] == {"synthetic": "unknown_symbol"}
    assert info.value.extra["skipped"]["push_test"] == "disabled"
