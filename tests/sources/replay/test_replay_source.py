"""Replay source: stored bars streamed as live Bar messages in time order at N x speed."""

from __future__ import annotations

import threading

import pytest

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.replay import ReplayConfig, ReplaySource
from nautilus.data.sources.synthetic import minute_bars
from nautilus.model import Bar
from tests.sources.recorded import Sleeps

DAY = (to_ns("2024-03-04"), to_ns("2024-03-05"))


@pytest.fixture
def frames() -> dict[str, object]:
    return {i: minute_bars(i, *DAY) for i in ("TEC01.XSYN", "FIN01.XSYN")}


def test_merged_in_time_order_at_infinite_speed(frames: dict) -> None:
    src = ReplaySource()
    for iid, frame in frames.items():
        src.load(iid, "1m", frame)
    got: list[Bar] = []
    src.subscribe_bars("TEC01.XSYN", "1m", got.append)
    src.subscribe_bars("FIN01.XSYN", "1m", got.append)
    assert src.play() == 780
    assert [b.ts_event for b in got] == sorted(b.ts_event for b in got)
    assert [b.instrument_id for b in got[:2]] == ["TEC01.XSYN", "FIN01.XSYN"]
    first = got[0]
    row = frames["TEC01.XSYN"].iloc[0]
    assert (first.open, first.close, first.volume, first.ts_event) == (
        row["open"], row["close"], row["volume"], int(frames["TEC01.XSYN"].index[0]))


def test_speed_paces_by_bar_gaps(frames: dict) -> None:
    clock = Sleeps()
    src = ReplaySource(ReplayConfig(speed=60.0), sleep=clock, clock=clock.monotonic)
    src.load("TEC01.XSYN", "1m", frames["TEC01.XSYN"])
    src.subscribe_bars("TEC01.XSYN", "1m", lambda b: None)
    assert src.play(end_ns=int(frames["TEC01.XSYN"].index[10])) == 10
    assert clock == [1.0] * 9  # 60 s between bars at 60x = 1 s


def test_background_thread_stops_and_unsubscribe(frames: dict) -> None:
    src = ReplaySource(ReplayConfig(speed=600.0))
    src.load("TEC01.XSYN", "1m", frames["TEC01.XSYN"])
    seen = threading.Event()
    got: list[Bar] = []

    def on_bar(bar: Bar) -> None:
        got.append(bar)
        seen.set()

    sub = src.subscribe_bars("TEC01.XSYN", "1m", on_bar)
    src.start()
    assert seen.wait(5.0)
    src.stop()
    n = len(got)
    assert 1 <= n < 390
    src.unsubscribe(sub)
    src.play()
    assert len(got) == n


def test_bars_and_errors(frames: dict) -> None:
    src = ReplaySource()
    src.load("TEC01.XSYN", "1m", frames["TEC01.XSYN"])
    assert len(src.bars("TEC01.XSYN", "1m", *DAY)) == 390
    with pytest.raises(NotFoundError):
        src.subscribe_bars("FIN01.XSYN", "1m", lambda b: None)
    with pytest.raises(ValidationError) as info:
        src.quote("TEC01.XSYN")
    assert info.value.code == "unsupported_capability"
