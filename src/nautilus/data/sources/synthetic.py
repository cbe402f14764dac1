"""Seeded synthetic market: a sector universe with daily and 1-minute bars and an L2 book.

Model (all vectorised numpy, deterministic for a seed and independent of the requested
window, so any slice of history is the same every time):

* **Regimes**: a two-state Markov chain on trading days (calm: drift +8 %/yr, vol 14 %/yr,
  mean stay 250 days; stressed: drift -25 %/yr, vol 38 %/yr, mean stay 40 days) drives the
  market factor. Daily log returns of a stock = beta * market + 0.6 * sector + idiosyncratic,
  with Student-t (5 dof) shocks; each stock has its own beta (0.6..1.5) and idiosyncratic vol.
* **Daily bars** on NYSE weekdays from 2000-01-03, closing 16:00 America/New_York; opens gap
  from the previous close; high/low extend beyond open/close by half-normal ranges; volume is
  log-normal and rises with the absolute return.
* **1-minute bars** (390 per session, ``ts`` = minute close 09:31..16:00 New York): a
  Brownian bridge from the day's open to its close with a U-shaped intraday volatility and
  volume profile (busy open and close, quiet lunch); volumes sum to the day's volume.
* **Quotes**: the top of that book now (the book of the current minute, from its start).
* **L2 book**: ``depth`` price levels a side around a tick-grid mid that walks with the
  minute path; each event either moves the mid a tick or changes one level's size, and is
  emitted as the BookDelta diff (ADD/UPDATE/DELETE, ``order_id`` 0) after an initial
  CLEAR + snapshot. Sequence numbers count from 1.

Instrument ids are ``<SECTOR CODE><NN>.XSYN`` (``TEC01.XSYN``); sectors follow GICS.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.time import NS_PER_DAY, NS_PER_MINUTE, NS_PER_SECOND
from nautilus.data.base import DATA_SOURCES, Capability, DataSource, DataSourceConfig
from nautilus.execution.orderbook import LevelBook
from nautilus.model import (
    AssetClass,
    BookAction,
    BookDelta,
    BookSide,
    Instrument,
    Quote,
    Timeframe,
)

SECTORS: tuple[tuple[str, str], ...] = (
    ("TEC", "Information Technology"), ("HLT", "Health Care"), ("FIN", "Financials"),
    ("CDS", "Consumer Discretionary"), ("CST", "Consumer Staples"), ("IND", "Industrials"),
    ("ENE", "Energy"), ("MAT", "Materials"), ("UTL", "Utilities"), ("REA", "Real Estate"),
    ("COM", "Communication Services"),
)
VENUE = "XSYN"
EPOCH = pd.Timestamp("2000-01-03")
HORIZON = "2035-12-31"  # paths are drawn once up to here, so any window slices the same path
MINUTES = 390
TZ = "America/New_York"
_TRADING_DAYS = 252.0
_REGIMES = {"mu": np.array([0.08, -0.25]), "sigma": np.array([0.14, 0.38]),
            "stay": np.array([250.0, 40.0])}


def _stream(*keys: int | str) -> np.random.Generator:
    """An independent RNG per key path (strings hashed with CRC32, stable across runs)."""
    ints = [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return np.random.default_rng(ints)


def universe(size: int = 55) -> list[Instrument]:
    """``size`` instruments spread evenly over the GICS sectors (5 per sector at 55)."""
    out = []
    for i in range(size):
        code, sector = SECTORS[i % len(SECTORS)]
        n = i // len(SECTORS) + 1
        out.append(Instrument.create(f"{code}{n:02d}.{VENUE}", AssetClass.EQUITY, "USD",
                                     name=f"Synthetic {sector} {n}", sector=sector))
    return out


@lru_cache(maxsize=1)
def _calendar() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(session dates as ns at midnight, 16:00 New York close in ns UTC), EPOCH..HORIZON."""
    days = pd.bdate_range(EPOCH, pd.Timestamp(HORIZON))
    close = (days + pd.Timedelta(hours=16)).tz_localize(TZ).asi8
    return days.asi8.astype(np.int64), np.asarray(close, dtype=np.int64)


@lru_cache(maxsize=32)
def _market(seed: int, n: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """Daily market log returns and regime (0 calm, 1 stressed) for ``n`` sessions."""
    rng = _stream(seed, "market")
    stays = rng.exponential(1.0, size=n)  # enough alternating spells to cover n days
    regime = np.empty(n, dtype=np.int8)
    pos, state, k = 0, 0, 0
    while pos < n:
        length = max(1, int(stays[k % n] * _REGIMES["stay"][state]))
        regime[pos:pos + length] = state
        pos, state, k = pos + length, 1 - state, k + 1
    z = rng.standard_t(5, size=n) / np.sqrt(5 / 3)
    mu, sig = _REGIMES["mu"][regime] / _TRADING_DAYS, _REGIMES["sigma"][regime] / np.sqrt(
        _TRADING_DAYS)
    return mu - 0.5 * sig**2 + sig * z, regime


@lru_cache(maxsize=128)
def _daily_full(instrument_id: str, seed: int) -> pd.DataFrame:
    days, close_ns = _calendar()
    n = len(days)
    mkt, regime = _market(seed, n)
    symbol = instrument_id.partition(".")[0]
    sector = symbol[:3]
    sec = _stream(seed, "sector", sector).standard_t(5, size=n) / np.sqrt(5 / 3) * 0.006
    rng = _stream(seed, instrument_id)
    beta = rng.uniform(0.6, 1.5)
    idio_vol = rng.uniform(0.12, 0.30) / np.sqrt(_TRADING_DAYS) * (1 + regime)
    r = beta * mkt + 0.6 * sec + rng.standard_t(5, size=n) / np.sqrt(5 / 3) * idio_vol
    close = rng.uniform(20.0, 300.0) * np.exp(np.cumsum(r))
    day_vol = np.sqrt(beta**2 * _REGIMES["sigma"][regime] ** 2 / _TRADING_DAYS + idio_vol**2)
    gap = rng.normal(0.0, 0.25, size=n) * day_vol
    prev = np.concatenate([[close[0] / np.exp(r[0])], close[:-1]])
    open_ = prev * np.exp(gap)
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0.0, 0.5, size=n)) * day_vol)
    low = bottom * np.exp(-np.abs(rng.normal(0.0, 0.5, size=n)) * day_vol)
    volume = np.round(rng.uniform(2e5, 5e6) * np.exp(rng.normal(0, 0.3, size=n))
                      * (1.0 + 2.0 * np.abs(r) / day_vol.mean()))
    tick = 0.01
    def on_grid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.round(x / tick) * tick

    frame = pd.DataFrame({"open": on_grid(open_), "high": on_grid(high), "low": on_grid(low),
                          "close": on_grid(close), "volume": volume},
                         index=pd.Index(close_ns, name="ts"))
    frame["high"] = frame[["open", "high", "close"]].max(axis=1)
    frame["low"] = frame[["open", "low", "close"]].min(axis=1)
    return frame


def daily_bars(instrument_id: str, start_ns: int, end_ns: int, seed: int = 7) -> pd.DataFrame:
    """Daily bars closing in ``[start_ns, end_ns)`` (``ts`` = 16:00 New York, ns UTC)."""
    if start_ns < EPOCH.value or end_ns > pd.Timestamp(HORIZON).value + 86_400 * NS_PER_SECOND:
        raise ValidationError(f"synthetic history spans 2000-01-03..{HORIZON}", code="bad_range")
    frame = _daily_full(instrument_id, seed)
    idx = frame.index.to_numpy()
    return frame.loc[(idx >= start_ns) & (idx < end_ns)]


_U = np.linspace(0.0, 1.0, MINUTES)
VOL_PROFILE = 0.6 + 1.6 * (2 * _U - 1) ** 2  # U shape: open and close twice as lively as noon
VOLUME_PROFILE = VOL_PROFILE**1.5 / (VOL_PROFILE**1.5).sum()


def minute_bars(instrument_id: str, start_ns: int, end_ns: int, seed: int = 7) -> pd.DataFrame:
    """1-minute bars closing in ``[start_ns, end_ns)``; each session bridges its daily bar."""
    day_start = (pd.Timestamp(start_ns, unit="ns", tz="UTC").tz_convert(TZ).normalize()
                 .tz_localize(None).value)
    daily = daily_bars(instrument_id, max(EPOCH.value, day_start),
                       end_ns + 86_400 * NS_PER_SECOND, seed)
    offsets = (np.arange(1, MINUTES + 1) * NS_PER_MINUTE + (9 * 60 + 30) * NS_PER_MINUTE)
    parts = []
    for close_ns, row in zip(daily.index.to_numpy(), daily.to_numpy(), strict=True):
        o, _, _, c, v = row
        midnight = pd.Timestamp(close_ns, unit="ns", tz="UTC").tz_convert(TZ).normalize()
        # offsets from local midnight, localised per day, so DST changes are handled
        ts = (pd.DatetimeIndex(midnight.tz_localize(None) + pd.to_timedelta(offsets, unit="ns"))
              .tz_localize(TZ).asi8)
        if ts[-1] < start_ns or ts[0] >= end_ns:
            continue
        rng = _stream(seed, instrument_id, int(close_ns // (86_400 * NS_PER_SECOND)))
        sigma = abs(np.log(c / o)) / np.sqrt(MINUTES) + 0.0004
        steps = rng.normal(0.0, 1.0, MINUTES) * sigma * VOL_PROFILE
        path = np.cumsum(steps)
        path -= _U * (path[-1] - np.log(c / o))  # bridge: end exactly at the daily close
        closes = o * np.exp(path)
        opens = np.concatenate([[o], closes[:-1]])
        wiggle = np.abs(rng.normal(0.0, 0.5, (2, MINUTES))) * sigma * VOL_PROFILE
        highs = np.maximum(opens, closes) * np.exp(wiggle[0])
        lows = np.minimum(opens, closes) * np.exp(-wiggle[1])
        vols = np.round(v * VOLUME_PROFILE * rng.lognormal(0.0, 0.25, MINUTES))
        parts.append(pd.DataFrame({"open": opens, "high": highs, "low": lows, "close": closes,
                                   "volume": vols}, index=pd.Index(ts, name="ts")))
    if not parts:
        return pd.DataFrame({c: np.empty(0) for c in ("open", "high", "low", "close", "volume")},
                            index=pd.Index(np.empty(0, dtype=np.int64), name="ts"))
    frame = pd.concat(parts)
    idx = frame.index.to_numpy()
    return frame.loc[(idx >= start_ns) & (idx < end_ns)]


def book_deltas(instrument_id: str, start_ns: int, end_ns: int, *, seed: int = 7,
                mid: float = 100.0, tick: float = 0.01, depth: int = 10,
                events_per_s: float = 2.0) -> list[BookDelta]:
    """An L2 delta stream over ``[start_ns, end_ns)`` (see module docstring)."""
    rng = _stream(seed, instrument_id, "book", start_ns)
    n = int(rng.poisson(events_per_s * (end_ns - start_ns) / NS_PER_SECOND))
    times = np.sort(rng.integers(start_ns, end_ns, size=n)) if n else np.empty(0, np.int64)
    mid_tick = round(mid / tick)
    sizes = {BookSide.BID: rng.integers(1, 20, depth) * 100.0,
             BookSide.ASK: rng.integers(1, 20, depth) * 100.0}
    seq = 0
    out: list[BookDelta] = []

    def emit(action: BookAction, side: BookSide, price_tick: int, size: float, ts: int) -> None:
        nonlocal seq
        seq += 1
        out.append(BookDelta(instrument_id=instrument_id, action=action, side=side,
                             price=round(price_tick * tick, 10), size=float(size), order_id=0,
                             sequence=seq, ts_event=ts, ts_init=ts))

    def levels(m: int) -> dict[tuple[BookSide, int], float]:
        book = {(BookSide.BID, m - 1 - i): float(sizes[BookSide.BID][i]) for i in range(depth)}
        book.update({(BookSide.ASK, m + 1 + i): float(sizes[BookSide.ASK][i])
                     for i in range(depth)})
        return book

    emit(BookAction.CLEAR, BookSide.BID, 0, 0.0, start_ns)
    book = levels(mid_tick)
    for (side, p), s in sorted(book.items()):
        emit(BookAction.ADD, side, p, s, start_ns)
    moves = rng.random(n)
    for ts, u in zip(times.tolist(), moves.tolist(), strict=True):
        if u < 0.3:  # mid moves a tick; queues shift with it
            step = 1 if rng.random() < 0.5 else -1
            mid_tick += step
            for side in (BookSide.BID, BookSide.ASK):
                sizes[side] = (np.roll(sizes[side], -step if side is BookSide.BID else step))
                sizes[side][0 if (side is BookSide.BID) == (step < 0) else -1] = (
                    rng.integers(1, 20) * 100.0)
        else:  # one level's queue changes
            side = BookSide.BID if rng.random() < 0.5 else BookSide.ASK
            level = min(int(rng.geometric(0.35)) - 1, depth - 1)
            sizes[side][level] = max(100.0, sizes[side][level] + rng.integers(-5, 6) * 100.0)
        new = levels(mid_tick)
        for key in sorted(book.keys() - new.keys()):
            emit(BookAction.DELETE, key[0], key[1], 0.0, ts)
        for key in sorted(new.keys()):
            if key not in book:
                emit(BookAction.ADD, key[0], key[1], new[key], ts)
            elif book[key] != new[key]:
                emit(BookAction.UPDATE, key[0], key[1], new[key], ts)
        book = new
    return out


class SyntheticConfig(DataSourceConfig):
    """Synthetic market settings; the same seed always gives the same market."""

    seed: int = Field(7, description="RNG seed of the whole synthetic market.")
    universe_size: int = Field(55, ge=1, le=1000)
    rate_limit_per_s: float = 1e6
    rate_limit_burst: int = 1_000_000


@DATA_SOURCES.register("synthetic", config=SyntheticConfig,
                       tags=("bars", "intraday", "book", "quotes", "search"))
class SyntheticSource(DataSource):
    """Deterministic synthetic universe for demos, tests and benchmarks (no network)."""

    name = "synthetic"
    config_class = SyntheticConfig
    capabilities = frozenset({Capability.BARS, Capability.INTRADAY, Capability.SEARCH,
                              Capability.BOOK, Capability.QUOTES})
    timeframes = frozenset({Timeframe.M1, Timeframe.D1})
    config: SyntheticConfig

    def __init__(self, config: SyntheticConfig | None = None, **kw: Any) -> None:
        super().__init__(config, **kw)
        self._universe = {i.id: i for i in universe(self.config.universe_size)}

    def instruments(self) -> Iterator[Instrument]:
        return iter(self._universe.values())

    def _known(self, instrument_id: str) -> Instrument:
        inst = self._universe.get(instrument_id)
        if inst is None:
            raise NotFoundError(f"synthetic: unknown instrument {instrument_id!r}",
                                code="unknown_symbol", source=self.name, symbol=instrument_id)
        return inst

    def _search(self, query: str, limit: int) -> list[Instrument]:
        q = query.lower()
        return [i for i in self._universe.values()
                if q in i.id.lower() or q in (i.sector or "").lower()][:limit]

    def _instrument(self, symbol: str) -> Instrument:
        return self._known(symbol if "." in symbol else f"{symbol}.{VENUE}")

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        self._known(instrument_id)
        make: Callable[..., pd.DataFrame] = (daily_bars if timeframe is Timeframe.D1
                                             else minute_bars)
        return make(instrument_id, max(start_ns, EPOCH.value), end_ns, self.config.seed)

    def _book_deltas(self, instrument_id: str, start_ns: int, end_ns: int) -> list[BookDelta]:
        inst = self._known(instrument_id)
        # the book centres on the instrument's own price at the window's start, so depth,
        # chart and fills tell the same story
        return book_deltas(instrument_id, start_ns, end_ns, seed=self.config.seed,
                           mid=self.price_at(instrument_id, start_ns),
                           tick=float(inst.tick_size))

    def _quote(self, instrument_id: str) -> Quote:
        """Best bid and ask of the synthetic book now: the current minute's book, replayed
        from the minute's start (centred on the last bar's close, see ``_book_deltas``)."""
        now = time.time_ns()
        book = LevelBook(instrument_id)
        for delta in self._book_deltas(instrument_id, now - now % NS_PER_MINUTE, now + 1):
            book.apply(delta)
        (bid, bid_size), = book.levels(BookSide.BID, 1)
        (ask, ask_size), = book.levels(BookSide.ASK, 1)
        return Quote(instrument_id=instrument_id, bid=bid, ask=ask, bid_size=bid_size,
                     ask_size=ask_size, ts_event=book.ts_last, ts_init=now)

    def price_at(self, instrument_id: str, ts_ns: int) -> float:
        """Close of the last synthetic bar at or before ``ts_ns`` (1-minute bars of the last
        four days, else daily bars of the last ten); 100.0 before the synthetic history."""
        self._known(instrument_id)
        for make, days in ((minute_bars, 4), (daily_bars, 10)):
            start = max(ts_ns - days * NS_PER_DAY, EPOCH.value)
            if start > ts_ns:
                break
            try:
                bars = make(instrument_id, start, ts_ns + 1, self.config.seed)
            except ValidationError:  # past the synthetic horizon
                break
            if len(bars):
                return float(bars["close"].iloc[-1])
        return 100.0
