"""Yahoo Finance through its public v8 chart JSON API (no key; unofficial, best effort).

``GET /v8/finance/chart/{symbol}?period1=&period2=&interval=&events=div|split`` returns
``chart.result[0]`` with ``meta`` (exchange, currency, last price), ``timestamp`` (epoch
seconds, bar *start*), ``indicators.quote[0]`` OHLCV arrays (nulls where Yahoo has no trade) and
``events.dividends`` / ``events.splits`` keyed by epoch seconds; errors come as
``chart.error = {code, description}`` (404 "Not Found" for an unknown symbol).

Bar close times (``ts``): intraday = bar start + period; daily = session open + the regular
session length from ``meta.currentTradingPeriod`` (16:00 New York for US equities). Bars that
would close after now (the running bar) are dropped. Instrument ids are ``SYMBOL.VENUE`` with
the Yahoo ticker as symbol (``AAPL.XNAS``, ``VOD.L.YAHOO``, ``^GSPC.YAHOO``).
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.errors import NautilusError, NotFoundError, UnavailableError, ValidationError
from nautilus.core.time import NS_PER_SECOND, now_ns
from nautilus.data.base import DATA_SOURCES, Capability, DataSourceConfig, empty_bars
from nautilus.data.http import HttpSource, json_body
from nautilus.model import AssetClass, Instrument, Quote, Timeframe

_INTERVALS = {Timeframe.M1: "1m", Timeframe.M5: "5m", Timeframe.M15: "15m",
              Timeframe.M30: "30m", Timeframe.H1: "60m", Timeframe.D1: "1d"}
_VENUES = {"NMS": "XNAS", "NGM": "XNAS", "NCM": "XNAS", "NYQ": "XNYS", "PCX": "ARCX",
           "ASE": "XASE", "BTS": "BATS"}
_KNOWN_VENUES = frozenset(_VENUES.values()) | {"YAHOO"}
_ASSET = {"EQUITY": AssetClass.EQUITY, "ETF": AssetClass.ETF, "INDEX": AssetClass.INDEX,
          "CURRENCY": AssetClass.FX, "CRYPTOCURRENCY": AssetClass.CRYPTO,
          "FUTURE": AssetClass.FUTURE, "MUTUALFUND": AssetClass.ETF}


def yahoo_symbol(instrument_id: str) -> str:
    """The Yahoo ticker of an instrument id: a known venue suffix is dropped.

    >>> yahoo_symbol("AAPL.XNAS"), yahoo_symbol("VOD.L.YAHOO"), yahoo_symbol("VOD.L")
    ('AAPL', 'VOD.L', 'VOD.L')
    """
    symbol, dot, venue = instrument_id.rpartition(".")
    return symbol if dot and venue in _KNOWN_VENUES else instrument_id


class YahooConfig(DataSourceConfig):
    """Yahoo chart API settings (no credentials; a browser-like User-Agent is required)."""

    base_url: str = "https://query1.finance.yahoo.com"
    user_agent: str = Field("Mozilla/5.0 (X11; Linux x86_64) nautilus-data",
                            description="Yahoo answers 429 to clients without a User-Agent.")
    rate_limit_per_s: float = 1.0
    rate_limit_burst: int = 2


def _yahoo_error(response: httpx.Response) -> NautilusError | None:
    body = json_body(response)
    err = (body or {}).get("chart", {}).get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return None
    desc = str(err.get("description") or err.get("code"))
    if response.status_code == 404 or err.get("code") == "Not Found":
        return NotFoundError(f"yahoo: {desc}", code="unknown_symbol", source="yahoo")
    return ValidationError(f"yahoo: {desc}", code="provider_rejected", source="yahoo")


@DATA_SOURCES.register("yahoo", config=YahooConfig,
                       tags=("bars", "intraday", "quotes", "search"))
class YahooSource(HttpSource):
    """Daily and intraday bars, last price, dividends and splits from Yahoo's chart API."""

    name = "yahoo"
    config_class = YahooConfig
    capabilities = frozenset({Capability.BARS, Capability.INTRADAY, Capability.QUOTES,
                              Capability.SEARCH})
    timeframes = frozenset(_INTERVALS)
    config: YahooConfig

    def client_options(self) -> dict[str, Any]:
        return {"headers": {"User-Agent": self.config.user_agent, "Accept": "application/json"},
                "error_mapper": _yahoo_error}

    def chart(self, symbol: str, params: dict[str, Any]) -> dict[str, Any]:
        """``chart.result[0]`` for ``symbol``; error payloads become our errors."""
        body = self.http.get_json(f"/v8/finance/chart/{symbol}", params=params)
        chart = body.get("chart") if isinstance(body, dict) else None
        if not isinstance(chart, dict):
            raise UnavailableError("yahoo: response has no 'chart' object",
                                   code="provider_bad_payload", source=self.name)
        if chart.get("error"):
            err = chart["error"]
            raise NotFoundError(f"yahoo: {symbol!r}: {err.get('description')}",
                                code="unknown_symbol", source=self.name, symbol=symbol)
        results = chart.get("result") or []
        if not results or not isinstance(results[0], dict) or "meta" not in results[0]:
            raise NotFoundError(f"yahoo: no data for {symbol!r}", code="unknown_symbol",
                                source=self.name, symbol=symbol)
        return dict(results[0])

    def _instrument(self, symbol: str) -> Instrument:
        meta = self.chart(yahoo_symbol(symbol), {"range": "1d", "interval": "1d"})["meta"]
        return self._to_instrument(meta)

    def _search(self, query: str, limit: int) -> list[Instrument]:
        # The chart API has no free-text search; an exact ticker lookup is what it offers.
        return [self._instrument(query)]

    def _to_instrument(self, meta: dict[str, Any]) -> Instrument:
        ticker = str(meta["symbol"])
        venue = _VENUES.get(str(meta.get("exchangeName", "")), "YAHOO")
        kind = _ASSET.get(str(meta.get("instrumentType", "EQUITY")), AssetClass.EQUITY)
        hint = int(meta.get("priceHint", 2))
        return Instrument.create(
            f"{ticker}.{venue}", kind, str(meta.get("currency") or "USD"),
            tick_size=f"1e-{hint}", name=str(meta.get("longName") or meta.get("shortName") or ""),
            exchange_tz=str(meta.get("exchangeTimezoneName") or "America/New_York"),
            calendar="24/7" if kind is AssetClass.CRYPTO else "XNYS" if venue.startswith("X")
            else venue,
        )

    def _params(self, timeframe: Timeframe, start_ns: int, end_ns: int) -> dict[str, Any]:
        # period1/period2 bound the bar *start*; widen by one period so closes in range come back.
        return {"period1": max(0, (start_ns - timeframe.ns) // NS_PER_SECOND),
                "period2": -(-end_ns // NS_PER_SECOND), "interval": _INTERVALS[timeframe],
                "events": "div|split", "includePrePost": "false"}

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        result = self.chart(yahoo_symbol(instrument_id), self._params(timeframe, start_ns, end_ns))
        stamps = result.get("timestamp") or []
        if not stamps:
            return empty_bars()
        quote = ((result.get("indicators") or {}).get("quote") or [{}])[0]
        start = np.asarray(stamps, dtype=np.int64) * NS_PER_SECOND
        if timeframe is Timeframe.D1:
            regular = result["meta"].get("currentTradingPeriod", {}).get("regular", {})
            session_s = int(regular.get("end", 0)) - int(regular.get("start", 0))
            close_ns = start + (session_s if 0 < session_s < 86_400 else 23_400) * NS_PER_SECOND
        else:
            close_ns = start + timeframe.ns
        blank = [None] * len(start)
        cols = {c: np.asarray([np.nan if x is None else x for x in quote.get(c, blank)],
                              dtype=np.float64) for c in ("open", "high", "low", "close", "volume")}
        frame = pd.DataFrame(cols, index=pd.Index(close_ns, name="ts"))
        return frame.loc[frame.index.to_numpy() <= now_ns()]

    def _corporate_actions(self, instrument_id: str, start_ns: int, end_ns: int) -> pd.DataFrame:
        result = self.chart(yahoo_symbol(instrument_id),
                            self._params(Timeframe.D1, start_ns, end_ns))
        events = result.get("events") or {}
        rows: dict[int, dict[str, float]] = {}
        for item in (events.get("dividends") or {}).values():
            ts = int(item["date"]) * NS_PER_SECOND
            rows.setdefault(ts, {})["dividend"] = float(item["amount"])
        for item in (events.get("splits") or {}).values():
            ratio = float(item["numerator"]) / float(item["denominator"])
            rows.setdefault(int(item["date"]) * NS_PER_SECOND, {})["split_ratio"] = ratio
        ts = sorted(t for t in rows if start_ns <= t < end_ns)
        return pd.DataFrame(
            {"dividend": [rows[t].get("dividend", np.nan) for t in ts],
             "split_ratio": [rows[t].get("split_ratio", np.nan) for t in ts]},
            index=pd.Index(np.asarray(ts, dtype=np.int64), name="ts"), dtype=np.float64)

    def _quote(self, instrument_id: str) -> Quote:
        meta = self.chart(yahoo_symbol(instrument_id), {"range": "1d", "interval": "1d"})["meta"]
        price = meta.get("regularMarketPrice")
        if price is None or not np.isfinite(float(price)):
            raise UnavailableError(f"yahoo: no last price for {instrument_id!r}",
                                   code="provider_bad_payload", source=self.name)
        ts = int(meta.get("regularMarketTime", 0)) * NS_PER_SECOND
        return Quote(instrument_id=instrument_id, bid=float(price), ask=float(price),
                     bid_size=0.0, ask_size=0.0, ts_event=ts, ts_init=now_ns())
