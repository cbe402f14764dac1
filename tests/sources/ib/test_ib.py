"""IbSource against a scripted stand-in of the ib-async ``IB`` client.

The stand-in mimics the parts of ``ib_async.IB`` the source uses (same method names and
signatures, real ib-async value classes and eventkit events); our source code runs unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from eventkit import Event
from ib_async import (
    BarData,
    BarDataList,
    Contract,
    ContractDescription,
    RealTimeBar,
    RealTimeBarList,
    Stock,
    Ticker,
)

from nautilus.core.errors import NotFoundError, RateLimitedError, UnavailableError
from nautilus.core.time import to_ns
from nautilus.data.sources.ib import IbConfig, IbSource
from nautilus.model import Bar, Quote
from tests.sources.recorded import Sleeps

AAPL = Stock("AAPL", "SMART", "USD", primaryExchange="NASDAQ")
AAPL.conId = 265598


class ScriptedIB:
    """Scripted ib-async ``IB``: ``connect_failures`` refusals, canned history and streams."""

    def __init__(self, connect_failures: int = 0) -> None:
        self.errorEvent = Event("errorEvent")
        self.disconnectedEvent = Event("disconnectedEvent")
        self.connect_failures = connect_failures
        self.connect_calls = 0
        self._connected = False
        self.history: list[BarData] = []
        self.history_errors: list[tuple[int, str]] = []
        self.rt_streams: list[RealTimeBarList] = []
        self.tickers: list[Ticker] = []
        self.calls: list[tuple[str, Any]] = []

    def connect(self, host: str = "127.0.0.1", port: int = 7497, clientId: int = 1,
                timeout: float = 4, readonly: bool = False, **kw: Any) -> None:
        self.connect_calls += 1
        if self.connect_failures > 0:
            self.connect_failures -= 1
            raise ConnectionRefusedError(111, "Connect call failed")
        self._connected = True

    def isConnected(self) -> bool:
        return self._connected

    def disconnect(self) -> None:
        self._connected = False
        self.disconnectedEvent.emit()

    def drop(self) -> None:
        """The socket dies (TWS restart)."""
        self.disconnect()

    def reqMatchingSymbols(self, pattern: str) -> list[ContractDescription]:
        c = Contract(secType="STK", conId=265598, symbol="AAPL", primaryExchange="NASDAQ",
                     currency="USD", description="APPLE INC")
        return [ContractDescription(contract=c, derivativeSecTypes=["OPT", "FUT"])]

    def qualifyContracts(self, *contracts: Contract) -> list[Contract]:
        out = []
        for c in contracts:
            if c.symbol == "AAPL":
                out.append(AAPL)
            else:
                self.errorEvent.emit(1, 200, "No security definition has been found for the "
                                     "request", c)
        return out

    def reqHistoricalData(self, contract: Contract, endDateTime: Any, durationStr: str,
                          barSizeSetting: str, whatToShow: str, useRTH: bool,
                          formatDate: int = 1, **kw: Any) -> BarDataList:
        self.calls.append(("hist", (endDateTime, durationStr, barSizeSetting, formatDate)))
        for code, msg in self.history_errors:
            self.errorEvent.emit(7, code, msg, contract)
        out = BarDataList()
        out.extend(self.history)
        return out

    def reqRealTimeBars(self, contract: Contract, barSize: int, whatToShow: str,
                        useRTH: bool, realTimeBarsOptions: Any = ()) -> RealTimeBarList:
        stream = RealTimeBarList()
        self.rt_streams.append(stream)
        self.calls.append(("rtbars", contract.symbol))
        return stream

    def cancelRealTimeBars(self, bars: RealTimeBarList) -> None:
        self.calls.append(("cancel_rtbars", None))

    def reqMktData(self, contract: Contract, genericTickList: str = "", snapshot: bool = False,
                   regulatorySnapshot: bool = False, mktDataOptions: Any = ()) -> Ticker:
        t = Ticker(contract=contract)
        if snapshot:
            t.bid, t.ask, t.bidSize, t.askSize = 189.98, 190.02, 300.0, 500.0
            t.time = datetime(2024, 1, 5, 15, 0, tzinfo=UTC)
        self.tickers.append(t)
        return t

    def cancelMktData(self, contract: Contract) -> bool:
        self.calls.append(("cancel_mkt", contract.symbol))
        return True

    def push_rt_bar(self, start: datetime, o: float, h: float, lo: float, c: float,
                    v: float) -> None:
        stream = self.rt_streams[-1]
        stream.append(RealTimeBar(time=start, endTime=-1, open_=o, high=h, low=lo, close=c,
                                  volume=v, wap=c, count=10))
        stream.updateEvent.emit(stream, True)


@pytest.fixture
def fake() -> ScriptedIB:
    return ScriptedIB()


def make(fake: ScriptedIB, **cfg: Any) -> IbSource:
    clock = Sleeps()
    return IbSource(IbConfig(rate_limit_per_s=100, rate_limit_burst=10, **cfg),
                    ib_factory=lambda: fake, sleep=clock, clock=clock.monotonic)


def test_search_and_qualify(fake: ScriptedIB) -> None:
    src = make(fake)
    found = src.search("AAP")
    assert [(i.id, i.asset_class) for i in found] == [("AAPL.NASDAQ", "equity")]
    assert src.contract("AAPL.XNAS").conId == 265598
    with pytest.raises(NotFoundError, match=r"ZZZZ\.NASDAQ"):
        src.contract("ZZZZ.NASDAQ")


def test_daily_history_closes_at_1600_exchange_time(fake: ScriptedIB) -> None:
    fake.history = [BarData(date=date(2024, 1, 4), open=182.15, high=183.09, low=180.88,
                            close=181.91, volume=71983600.0, average=181.9, barCount=1),
                    BarData(date=date(2024, 1, 5), open=181.99, high=182.76, low=180.17,
                            close=181.18, volume=62303300.0, average=181.4, barCount=1)]
    frame = make(fake).bars("AAPL.NASDAQ", "1d", to_ns("2024-01-04"), to_ns("2024-01-06"))
    assert list(frame.index) == [to_ns("2024-01-04T21:00:00Z"), to_ns("2024-01-05T21:00:00Z")]
    assert frame["close"].tolist() == [181.91, 181.18]
    _, (end, duration, size, fmt) = fake.calls[-1]
    assert (duration, size, fmt) == ("3 D", "1 day", 2)
    assert end == datetime(2024, 1, 6, tzinfo=UTC)


def test_intraday_history_and_nan_rows(fake: ScriptedIB) -> None:
    t0 = datetime(2024, 1, 5, 14, 30, tzinfo=UTC)
    fake.history = [BarData(date=t0, open=181.99, high=182.2, low=181.38, close=181.5,
                            volume=3211584.0),
                    BarData(date=t0.replace(minute=35), open=181.5, high=float("nan"),
                            low=180.8, close=181.08, volume=1510730.0)]
    batch = make(fake).fetch_bars("AAPL.NASDAQ", "5m", to_ns(t0), to_ns(t0) + 10**13)
    assert list(batch.frame.index) == [to_ns("2024-01-05T14:35:00Z")]
    assert [r.reason for r in batch.rejected] == ["non_finite_price"]


def test_ib_errors_map_to_ours(fake: ScriptedIB) -> None:
    src = make(fake)
    fake.history_errors = [(162, "Historical Market Data Service error message:HMDS query "
                                 "returned no data: AAPL@NASDAQ Trades")]
    assert src.bars("AAPL.NASDAQ", "1d", to_ns("2024-01-06"), to_ns("2024-01-07")).empty
    fake.history_errors = [(162, "Historical Market Data Service error message:Historical data "
                                 "request pacing violation")]
    with pytest.raises(RateLimitedError):
        src.bars("AAPL.NASDAQ", "1d", to_ns("2024-01-06"), to_ns("2024-01-07"))


def test_connect_retries_then_unavailable() -> None:
    ok = ScriptedIB(connect_failures=2)
    src = make(ok, max_reconnect_attempts=3)
    src.connect()
    assert ok.connect_calls == 3 and src.health()["connected"]
    down = ScriptedIB(connect_failures=9)
    with pytest.raises(UnavailableError) as info:
        make(down, max_reconnect_attempts=2).search("AAPL")
    assert info.value.code == "provider_unreachable"


def test_live_bars_aggregate_5s_bars_and_resubscribe_after_reconnect(fake: ScriptedIB) -> None:
    src = make(fake)
    got: list[Bar] = []
    src.subscribe_bars("AAPL.NASDAQ", "1m", got.append)
    base = datetime(2024, 1, 5, 14, 30, tzinfo=UTC)
    for i in range(12):  # 14:30:00 .. 14:30:55 -> one 1m bar closing 14:31:00
        fake.push_rt_bar(base.replace(second=5 * i), 100 + i, 101 + i, 99 + i, 100.5 + i, 10.0)
    assert len(got) == 1
    bar = got[0]
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (100, 112, 99, 111.5, 120.0)
    assert bar.ts_event == to_ns("2024-01-05T14:31:00Z") and bar.timeframe == "1m"

    fake.drop()
    assert not src.health()["connected"] and src.health()["disconnects"] == 1
    assert src.maintain() is True
    assert [c for c in fake.calls if c[0] == "rtbars"] == [("rtbars", "AAPL"), ("rtbars", "AAPL")]
    for i in range(12):
        fake.push_rt_bar(base.replace(minute=31, second=5 * i), 50, 51, 49, 50.5, 1.0)
    assert len(got) == 2 and got[1].ts_event == to_ns("2024-01-05T14:32:00Z")
    assert src.health()["reconnects"] == 1 and src.health()["healthy"]


def test_live_quotes_and_unsubscribe(fake: ScriptedIB) -> None:
    src = make(fake)
    quotes: list[Quote] = []
    sub = src.subscribe_quotes("AAPL.NASDAQ", quotes.append)
    ticker = fake.tickers[-1]
    ticker.bid, ticker.ask, ticker.bidSize, ticker.askSize = 190.0, 190.05, 100.0, 200.0
    ticker.time = datetime(2024, 1, 5, 15, 0, 1, tzinfo=UTC)
    ticker.updateEvent.emit(ticker)
    assert [(q.bid, q.ask, q.ask_size, q.ts_event) for q in quotes] == [
        (190.0, 190.05, 200.0, to_ns("2024-01-05T15:00:01Z"))]
    src.unsubscribe(sub)
    ticker.updateEvent.emit(ticker)
    assert len(quotes) == 1 and ("cancel_mkt", "AAPL") in fake.calls
    snap = src.quote("AAPL.NASDAQ")
    assert (snap.bid, snap.ask, snap.bid_size) == (189.98, 190.02, 300.0)
