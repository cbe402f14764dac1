"""Interactive Brokers through ``ib-async`` (TWS or IB Gateway must be running).

* Contracts: ``reqMatchingSymbols`` for search, ``qualifyContracts`` to resolve an id.
  Instrument ids are ``SYMBOL.VENUE`` with the IB primary exchange as venue (``AAPL.NASDAQ``);
  MIC venues ``XNAS``/``XNYS``/``ARCX`` are accepted too.
* History: ``reqHistoricalData`` (``formatDate=2``: UTC). IB stamps a bar with its *start*;
  ``ts`` = start + period for intraday, and 16:00 exchange time (``exchange_tz``) of the bar's
  date for daily bars. IB pacing (60 requests per 10 minutes) is the default rate limit.
* Live: ``reqRealTimeBars`` gives 5-second bars, aggregated here to the requested period and
  emitted when the period's last 5-second bar arrives; ``reqMktData`` tickers become Quotes.
* Connection: connected lazily; after ``disconnectedEvent`` the source is marked down and
  :meth:`IbSource.maintain` (called by the engine's supervisor loop, or any data call)
  reconnects with backoff and re-issues every live subscription on the new connection.
  ib-async runs its own event loop, so the source does not reconnect from inside an event
  callback.

IB reports request failures on ``errorEvent``: 200 (no security definition) -> NotFoundError,
162 with "pacing violation" -> RateLimitedError, 354/10167/10168 (no market data
subscription) -> PermissionDeniedError, 162 "returned no data" -> an empty frame.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from ib_async import IB, Contract, Stock
from pydantic import Field

from nautilus.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)
from nautilus.core.time import NS_PER_SECOND, from_ns, now_ns, to_ns
from nautilus.data.base import (
    DATA_SOURCES,
    Capability,
    DataSource,
    DataSourceConfig,
    LiveSubscription,
    empty_bars,
)
from nautilus.model import AssetClass, Bar, Instrument, Quote, Timeframe

log = logging.getLogger(__name__)

BAR_SIZES = {Timeframe.S1: "1 secs", Timeframe.M1: "1 min", Timeframe.M5: "5 mins",
             Timeframe.M15: "15 mins", Timeframe.M30: "30 mins", Timeframe.H1: "1 hour",
             Timeframe.H4: "4 hours", Timeframe.D1: "1 day", Timeframe.W1: "1 week"}
_MIC_TO_IB = {"XNAS": "NASDAQ", "XNYS": "NYSE", "ARCX": "ARCA", "XASE": "AMEX", "BATS": "BATS"}
_SEC_TYPES = {"STK": AssetClass.EQUITY, "ETF": AssetClass.ETF, "IND": AssetClass.INDEX,
              "CASH": AssetClass.FX, "FUT": AssetClass.FUTURE, "OPT": AssetClass.OPTION,
              "CRYPTO": AssetClass.CRYPTO, "BOND": AssetClass.BOND}
_NO_PERMISSION = {354, 10167, 10168, 10089, 10090}


class IbConfig(DataSourceConfig):
    """TWS / IB Gateway connection settings."""

    host: str = "127.0.0.1"
    port: int = Field(7497, description="7497 TWS paper, 7496 TWS live, 4002/4001 Gateway.")
    client_id: int = Field(17, ge=0)
    connect_timeout_s: float = Field(4.0, gt=0)
    readonly: bool = True
    what_to_show: str = Field("TRADES", description="TRADES, MIDPOINT, BID, ASK, ADJUSTED_LAST.")
    use_rth: bool = Field(True, description="Regular trading hours only.")
    currency: str = "USD"
    exchange_tz: str = "America/New_York"
    rate_limit_per_s: float = 0.1
    rate_limit_burst: int = 6
    max_reconnect_attempts: int = Field(5, ge=1)


def _duration(start_ns: int, end_ns: int, timeframe: Timeframe) -> str:
    """IB ``durationStr`` covering ``[start_ns, end_ns)`` plus one bar."""
    seconds = math.ceil((end_ns - start_ns + timeframe.ns) / NS_PER_SECOND)
    if seconds <= 86_400:
        return f"{max(seconds, 60)} S"
    days = math.ceil(seconds / 86_400)
    return f"{days} D" if days <= 365 else f"{math.ceil(days / 365)} Y"


@DATA_SOURCES.register("ib", config=IbConfig, tags=("bars", "intraday", "quotes", "live"))
class IbSource(DataSource):
    """Interactive Brokers history, contract search and live bars/quotes via ib-async."""

    name = "ib"
    config_class = IbConfig
    capabilities = frozenset({Capability.BARS, Capability.INTRADAY, Capability.QUOTES,
                              Capability.SEARCH, Capability.LIVE})
    timeframes = frozenset(BAR_SIZES)
    config: IbConfig

    def __init__(self, config: IbConfig | None = None, *,
                 ib_factory: Callable[[], Any] = IB, **kw: Any) -> None:
        super().__init__(config, **kw)
        self._ib_factory = ib_factory
        self.ib: Any = None
        self._lock = threading.RLock()
        self._contracts: dict[str, Any] = {}
        self._subs: list[LiveSubscription] = []
        self._errors: list[tuple[int, int, str]] = []
        self.connected = False
        self.disconnects = 0
        self.reconnects = 0

    # -- connection -------------------------------------------------------------------------

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        self._errors.append((req_id, code, message))

    def _on_disconnected(self) -> None:
        if self.connected:
            self.disconnects += 1
            log.warning("ib: disconnected from %s:%s", self.config.host, self.config.port)
        self.connected = False

    def connect(self) -> None:
        """Connect (with backoff) if not connected; UnavailableError when TWS is unreachable."""
        with self._lock:
            if self.ib is not None and self.connected and self.ib.isConnected():
                return
            if self.ib is None:
                self.ib = self._ib_factory()
                self.ib.errorEvent += self._on_error
                self.ib.disconnectedEvent += self._on_disconnected
            cfg = self.config
            last: Exception | None = None
            for attempt in range(cfg.max_reconnect_attempts):
                try:
                    self.ib.connect(cfg.host, cfg.port, clientId=cfg.client_id,
                                    timeout=cfg.connect_timeout_s, readonly=cfg.readonly)
                    self.connected = True
                    return
                except (OSError, TimeoutError, ConnectionError) as exc:
                    last = exc
                    if attempt + 1 < cfg.max_reconnect_attempts:
                        self._sleep(min(cfg.backoff_max_s, cfg.backoff_base_s * 2**attempt))
            raise UnavailableError(
                f"ib: cannot connect to {cfg.host}:{cfg.port} ({type(last).__name__})",
                code="provider_unreachable", source=self.name)

    def maintain(self) -> bool:
        """Reconnect after a disconnect and re-issue live subscriptions; True if it did."""
        with self._lock:
            if self.connected and self.ib is not None and self.ib.isConnected():
                return False
            was_used = self.ib is not None
            self.connect()
            if was_used:
                self.reconnects += 1
                for sub in self._subs:
                    if sub.active:
                        self._start_stream(sub)
            return was_used

    def health(self) -> dict[str, Any]:
        snap = super().health()
        snap.update(connected=self.connected, disconnects=self.disconnects,
                    reconnects=self.reconnects, subscriptions=sum(s.active for s in self._subs))
        snap["healthy"] = snap["healthy"] and (self.connected or self.ib is None)
        return snap

    def close(self) -> None:
        with self._lock:
            if self.ib is not None and self.ib.isConnected():
                self.connected = False
                self.ib.disconnect()

    # -- contracts --------------------------------------------------------------------------

    def _raise_ib_errors(self, what: str) -> bool:
        """Turn errors IB reported during a request into ours; True if IB said 'no data'."""
        errors, self._errors = self._errors, []
        no_data = False
        for _, code, message in errors:
            if code == 200:
                raise NotFoundError(f"ib: {what}: {message}", code="unknown_symbol",
                                    source=self.name, symbol=what)
            if code == 162 and "pacing violation" in message.lower():
                raise RateLimitedError(f"ib: {message}", retry_after=600.0)
            if code in _NO_PERMISSION:
                raise PermissionDeniedError(f"ib: {message}", code="provider_permission",
                                            source=self.name)
            if code == 162 and "no data" in message.lower():
                no_data = True
        return no_data

    def _to_instrument(self, c: Any, name: str = "") -> Instrument:
        venue = c.primaryExchange or c.exchange or "SMART"
        kind = _SEC_TYPES.get(c.secType, AssetClass.EQUITY)
        inst = Instrument.create(f"{c.symbol}.{venue}", kind, c.currency or self.config.currency,
                                 name=name or c.description, exchange_tz=self.config.exchange_tz)
        self._contracts.setdefault(inst.id, c)
        return inst

    def _search(self, query: str, limit: int) -> list[Instrument]:
        self.maintain()
        self.rate_limit.acquire(timeout=self.config.acquire_timeout_s)
        found = self.ib.reqMatchingSymbols(query) or []
        self._raise_ib_errors(query)
        return [self._to_instrument(d.contract) for d in found[:limit] if d.contract is not None]

    def contract(self, instrument_id: str) -> Any:
        """The qualified ib-async contract of ``instrument_id`` (cached)."""
        if instrument_id in self._contracts and self._contracts[instrument_id].conId:
            return self._contracts[instrument_id]
        self.maintain()
        symbol, dot, venue = instrument_id.rpartition(".")
        if not dot:
            symbol, venue = instrument_id, ""
        base: Contract = Stock(symbol, "SMART", self.config.currency,
                               primaryExchange=_MIC_TO_IB.get(venue, venue))
        qualified = [c for c in (self.ib.qualifyContracts(base) or []) if c and c.conId]
        self._raise_ib_errors(instrument_id)
        if not qualified:
            raise NotFoundError(f"ib: unknown instrument {instrument_id!r}",
                                code="unknown_symbol", source=self.name, symbol=instrument_id)
        self._contracts[instrument_id] = qualified[0]
        return qualified[0]

    def _instrument(self, symbol: str) -> Instrument:
        return self._to_instrument(self.contract(symbol))

    # -- history ----------------------------------------------------------------------------

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        contract = self.contract(instrument_id)
        self.rate_limit.acquire(timeout=self.config.acquire_timeout_s)
        end = from_ns(min(end_ns, now_ns()))
        bars = self.ib.reqHistoricalData(
            contract, endDateTime=end, durationStr=_duration(start_ns, end_ns, timeframe),
            barSizeSetting=BAR_SIZES[timeframe], whatToShow=self.config.what_to_show,
            useRTH=self.config.use_rth, formatDate=2)
        self._raise_ib_errors(instrument_id)
        if not bars:
            return empty_bars()
        starts = [b.date for b in bars]
        if timeframe is Timeframe.D1 or (isinstance(starts[0], date) and not isinstance(
                starts[0], datetime)):
            days = pd.DatetimeIndex([pd.Timestamp(d.isoformat()[:10]) for d in starts])
            close = (days + pd.Timedelta(hours=16)).tz_localize(self.config.exchange_tz).asi8
            if timeframe is Timeframe.W1:
                close = close + 4 * 86_400 * NS_PER_SECOND
        else:
            close = np.asarray([to_ns(d) for d in starts], dtype=np.int64) + timeframe.ns
        return pd.DataFrame({
            "open": [b.open for b in bars], "high": [b.high for b in bars],
            "low": [b.low for b in bars], "close": [b.close for b in bars],
            "volume": [b.volume for b in bars],
        }, index=pd.Index(np.asarray(close, dtype=np.int64), name="ts"))

    def _quote(self, instrument_id: str) -> Quote:
        contract = self.contract(instrument_id)
        ticker = self.ib.reqMktData(contract, "", True, False)
        self._raise_ib_errors(instrument_id)
        quote = self._ticker_quote(instrument_id, ticker)
        if quote is None:
            raise UnavailableError(f"ib: no bid/ask for {instrument_id!r}",
                                   code="provider_no_quote", source=self.name)
        return quote

    # -- live -------------------------------------------------------------------------------

    @staticmethod
    def _ticker_quote(instrument_id: str, t: Any) -> Quote | None:
        bid, ask = t.bid, t.ask
        if bid is None or ask is None or not (math.isfinite(bid) and math.isfinite(ask)):
            return None
        ts = to_ns(t.time) if t.time is not None else now_ns()
        return Quote(instrument_id=instrument_id, bid=float(bid), ask=float(ask),
                     bid_size=float(t.bidSize if math.isfinite(t.bidSize or 0.0) else 0.0),
                     ask_size=float(t.askSize if math.isfinite(t.askSize or 0.0) else 0.0),
                     ts_event=ts, ts_init=now_ns())

    def _start_stream(self, sub: LiveSubscription) -> None:
        contract = self.contract(sub.instrument_id)
        if sub.kind == "bars":
            tf_ns = Timeframe(sub.timeframe).ns
            acc: dict[str, Any] = {}

            def on_bars(bars: Any, has_new: bool) -> None:
                if not has_new or not sub.active:
                    return
                b = bars[-1]
                start = to_ns(b.time)
                bucket = start - start % tf_ns
                if acc.get("bucket") != bucket:
                    acc.update(bucket=bucket, open=b.open_, high=b.high, low=b.low, volume=0.0)
                acc["high"] = max(acc["high"], b.high)
                acc["low"] = min(acc["low"], b.low)
                acc["volume"] += b.volume
                end = start + 5 * NS_PER_SECOND
                if end % tf_ns == 0:
                    sub.callback(Bar(instrument_id=sub.instrument_id, timeframe=str(sub.timeframe),
                                     open=acc["open"], high=acc["high"], low=acc["low"],
                                     close=b.close, volume=acc["volume"], ts_event=end,
                                     ts_init=now_ns()))
                    acc.clear()

            stream = self.ib.reqRealTimeBars(contract, 5, self.config.what_to_show,
                                             self.config.use_rth)
            stream.updateEvent += on_bars
        else:
            def on_ticker(t: Any) -> None:
                q = self._ticker_quote(sub.instrument_id, t)
                if q is not None and sub.active:
                    sub.callback(q)

            stream = self.ib.reqMktData(contract, "", False, False)
            stream.updateEvent += on_ticker
        self._raise_ib_errors(sub.instrument_id)
        sub.handle = (stream, contract)

    def _subscribe(self, kind: str, instrument_id: str, timeframe: str | None,
                   callback: Callable[[Any], None]) -> LiveSubscription:
        with self._lock:
            self.maintain()
            sub = LiveSubscription(self.name, kind, instrument_id, timeframe, callback)
            self._start_stream(sub)
            self._subs.append(sub)
            return sub

    def _subscribe_bars(self, instrument_id: str, timeframe: Timeframe,
                        callback: Callable[[Bar], None]) -> LiveSubscription:
        if timeframe.ns < 5 * NS_PER_SECOND or timeframe.ns % (5 * NS_PER_SECOND):
            raise ValidationError("ib: live bars are built from 5-second bars",
                                   code="unsupported_timeframe", source=self.name)
        return self._subscribe("bars", instrument_id, timeframe.value, callback)

    def _subscribe_quotes(self, instrument_id: str,
                          callback: Callable[[Quote], None]) -> LiveSubscription:
        return self._subscribe("quotes", instrument_id, None, callback)

    def _unsubscribe(self, sub: LiveSubscription) -> None:
        with self._lock:
            stream, contract = sub.handle
            if self.connected:
                if sub.kind == "bars":
                    self.ib.cancelRealTimeBars(stream)
                else:
                    self.ib.cancelMktData(contract)
            self._subs = [s for s in self._subs if s is not sub]

