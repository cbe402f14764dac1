"""Synthetic market generator: determinism, bar contract, stylised facts, L2 book stream."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError
from nautilus.core.time import to_ns
from nautilus.data.base import clean_bars
from nautilus.data.sources.synthetic import (
    MINUTES,
    SyntheticConfig,
    SyntheticSource,
    book_deltas,
    daily_bars,
    minute_bars,
    universe,
)
from nautilus.model import BookAction, BookSide

Y2020 = (to_ns("2020-01-01"), to_ns("2021-01-01"))


def test_universe_covers_sectors() -> None:
    insts = universe(55)
    assert len({i.id for i in insts}) == 55
    assert len({i.sector for i in insts}) == 11
    assert insts[0].id == "TEC01.XSYN" and insts[0].sector == "Information Technology"


def test_daily_bars_are_deterministic_window_independent_and_clean() -> None:
    a = daily_bars("FIN02.XSYN", *Y2020, seed=3)
    b = daily_bars("FIN02.XSYN", to_ns("2019-06-01"), to_ns("2022-01-01"), seed=3)
    assert a.equals(b.loc[a.index])
    assert not a.equals(daily_bars("FIN02.XSYN", *Y2020, seed=4))
    assert len(a) == 262  # weekdays of 2020
    assert a.index[0] == to_ns("2020-01-01T21:00:00Z")  # 16:00 New York (EST)
    assert a.index[130] % 10**9 == 0
    _, rejected = clean_bars(a)
    assert rejected == []
    assert (a["high"] >= a[["open", "close"]].max(axis=1)).all()


def test_stylised_facts_fat_tails_and_volume_follows_moves() -> None:
    frame = daily_bars("TEC01.XSYN", to_ns("2000-01-03"), to_ns("2024-01-01"))
    r = np.diff(np.log(frame["close"].to_numpy()))
    kurt = ((r - r.mean()) ** 4).mean() / r.var() ** 2
    assert kurt > 4.0  # heavier tails than normal (3)
    big = np.abs(r) > np.quantile(np.abs(r), 0.9)
    vol = frame["volume"].to_numpy()[1:]
    assert vol[big].mean() > 1.3 * vol[~big].mean()
    # volatility clustering from regimes: |r| autocorrelated
    a = np.abs(r) - np.abs(r).mean()
    assert (a[1:] * a[:-1]).mean() / a.var() > 0.05


def test_minute_bars_bridge_daily_bars_with_u_shaped_volume() -> None:
    start, end = to_ns("2023-03-06"), to_ns("2023-03-18")  # spans the 2023-03-12 DST change
    minutes = minute_bars("HLT01.XSYN", start, end)
    daily = daily_bars("HLT01.XSYN", start, end)
    assert len(minutes) == MINUTES * len(daily) == MINUTES * 10
    closes = minutes["close"].to_numpy().reshape(10, MINUTES)[:, -1]
    assert np.allclose(closes, daily["close"].to_numpy())
    assert minutes.index[MINUTES - 1] == daily.index[0]  # last minute closes with the day
    assert minutes.index[0] == to_ns("2023-03-06T14:31:00Z")  # 09:31 EST
    assert minutes.index[5 * MINUTES] == to_ns("2023-03-13T13:31:00Z")  # 09:31 EDT
    vol = minutes["volume"].to_numpy().reshape(10, MINUTES).mean(axis=0)
    assert vol[:30].mean() > 1.5 * vol[180:210].mean() < vol[-30:].mean()
    assert np.allclose(minutes["volume"].to_numpy().reshape(10, MINUTES).sum(axis=1),
                       daily["volume"].to_numpy(), rtol=0.2)
    assert clean_bars(minutes)[1] == []


def test_book_stream_replays_to_a_consistent_book() -> None:
    deltas = book_deltas("TEC01.XSYN", 0, 60 * 10**9, seed=1, events_per_s=5.0)
    assert deltas[0].action is BookAction.CLEAR
    assert [d.sequence for d in deltas] == list(range(1, len(deltas) + 1))
    assert all(a.ts_event <= b.ts_event for a, b in itertools.pairwise(deltas))
    book: dict[tuple[int, float], float] = {}
    for d in deltas[1:]:
        key = (int(d.side), d.price)
        if d.action is BookAction.ADD:
            assert key not in book
            book[key] = d.size
        elif d.action is BookAction.UPDATE:
            assert key in book
            book[key] = d.size
        else:
            del book[key]
        bids = [p for s, p in book if s == BookSide.BID]
        asks = [p for s, p in book if s == BookSide.ASK]
        if len(bids) == 10 and len(asks) == 10:
            assert max(bids) < min(asks)
    assert len(book) == 20
    assert book_deltas("TEC01.XSYN", 0, 60 * 10**9, seed=1, events_per_s=5.0) == deltas


def test_source_routes_and_rejects_unknown() -> None:
    src = SyntheticSource(SyntheticConfig(seed=7, universe_size=22))
    assert [i.id for i in src.search("energy")] == ["ENE01.XSYN", "ENE02.XSYN"]
    assert src.instrument("ENE01").sector == "Energy"
    assert len(src.bars("ENE01.XSYN", "1d", *Y2020)) == 262
    assert len(src.book_deltas("ENE01.XSYN", 0, 10**10)) > 20
    with pytest.raises(NotFoundError):
        src.bars("NOPE.XSYN", "1d", *Y2020)
    assert src.health()["successes"] == 4


def test_source_book_centres_on_the_instruments_own_price() -> None:
    src = SyntheticSource(SyntheticConfig(seed=7, universe_size=22))
    t = int(pd.Timestamp("2024-03-05 15:00", tz="America/New_York").value)
    last = src.bars("ENE01.XSYN", "1m", t - 3_600 * 10**9, t + 1)["close"].iloc[-1]
    assert src.price_at("ENE01.XSYN", t) == last
    deltas = src.book_deltas("ENE01.XSYN", t, t + 10**10)
    opening = [d for d in deltas if d.ts_event == t and d.size > 0]
    best_bid = max(d.price for d in opening if d.side == BookSide.BID)
    best_ask = min(d.price for d in opening if d.side == BookSide.ASK)
    assert best_bid < last < best_ask and best_ask - best_bid <= 0.02 + 1e-9
    # before the synthetic history there is no price: the book keeps its neutral 100
    assert src.price_at("ENE01.XSYN", 0) == 100.0
