"""Alpha Vantage: quotes, daily/intraday bars, symbol search, company overview.

Every call is ``GET /query?function=...&apikey=...``. Alpha Vantage answers HTTP 200 even when
it refuses: ``{"Error Message": ...}`` (bad symbol or call: NotFoundError naming the symbol),
``{"Note": ...}`` or ``{"Information": ...}`` about call frequency (RateLimitedError, retried
with backoff), or ``{"Information": ...}`` about premium endpoints (ValidationError
``provider_premium``).

Times: ``Meta Data`` gives the time zone (``US/Eastern``). Daily bars close at 16:00 in it;
intraday keys are bar *start* times, so ``ts`` = key + interval. Instrument ids use the Alpha
Vantage ticker as symbol (``IBM.XNYS``, ``TSCO.LON.ALPHAVANTAGE``: the last part is the venue).
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd
from pydantic import Field, SecretStr

from nautilus.core.errors import (
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)
from nautilus.core.time import NS_PER_HOUR, now_ns, to_ns
from nautilus.data.base import DATA_SOURCES, Capability, DataSourceConfig, empty_bars
from nautilus.data.http import HttpSource, json_body
from nautilus.model import AssetClass, Instrument, Quote, Timeframe

_INTERVALS = {Timeframe.M1: "1min", Timeframe.M5: "5min", Timeframe.M15: "15min",
              Timeframe.M30: "30min", Timeframe.H1: "60min"}
_EXCHANGES = {"NYSE": "XNYS", "NASDAQ": "XNAS", "NYSE ARCA": "ARCX", "NYSE MKT": "XASE",
              "BATS": "BATS"}
_RATE_WORDS = ("call frequency", "rate limit", "requests per day", "calls per minute")


def alphavantage_payload(response: httpx.Response) -> None:
    """Raise our error for Alpha Vantage's in-band refusals (HTTP 200 bodies)."""
    body = json_body(response)
    if not isinstance(body, dict):
        return
    if "Error Message" in body:
        raise NotFoundError(f"alphavantage: {body['Error Message']}", code="provider_not_found",
                            source="alphavantage")
    note = body.get("Note") or body.get("Information")
    if isinstance(note, str) and len(body) == 1:
        if any(w in note.lower() for w in _RATE_WORDS):
            raise RateLimitedError(f"alphavantage: {note}", retry_after=60.0)
        raise ValidationError(f"alphavantage: {note}", code="provider_premium",
                              source="alphavantage")


def av_symbol(instrument_id: str) -> str:
    """``IBM.XNYS`` -> ``IBM``; ``TSCO.LON.ALPHAVANTAGE`` -> ``TSCO.LON``."""
    symbol, dot, _ = instrument_id.rpartition(".")
    return symbol if dot else instrument_id


class AlphaVantageConfig(DataSourceConfig):
    """Alpha Vantage settings. The free tier allows 5 calls per minute and 25 per day."""

    api_key: SecretStr
    base_url: str = "https://www.alphavantage.co"
    rate_limit_per_s: float = 5 / 60
    rate_limit_burst: int = 5
    acquire_timeout_s: float = 90.0
    backoff_max_s: float = Field(60.0, ge=0)
    adjusted: bool = Field(False, description="Daily bars from TIME_SERIES_DAILY_ADJUSTED "
                           "(premium), with split/dividend adjusted OHLC.")
    outputsize: str = Field("full", pattern="^(compact|full)$")


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


@DATA_SOURCES.register("alphavantage", config=AlphaVantageConfig,
                       tags=("bars", "intraday", "quotes", "search"))
class AlphaVantageSource(HttpSource):
    """Equity bars, quotes and reference data from Alpha Vantage."""

    name = "alphavantage"
    config_class = AlphaVantageConfig
    capabilities = frozenset({Capability.BARS, Capability.INTRADAY, Capability.QUOTES,
                              Capability.SEARCH})
    timeframes = frozenset({*_INTERVALS, Timeframe.D1})
    config: AlphaVantageConfig

    def client_options(self) -> dict[str, Any]:
        return {"params": {"apikey": self.config.api_key.get_secret_value()},
                "payload_check": alphavantage_payload}

    def query(self, function: str, symbol: str | None = None, **params: Any) -> dict[str, Any]:
        """One ``/query`` call; a refusal about ``symbol`` names it."""
        if symbol is not None:
            params["symbol"] = symbol
        try:
            body = self.http.get_json("/query", {"function": function, **params})
        except NotFoundError as exc:
            if symbol is None:
                raise
            raise NotFoundError(f"alphavantage: unknown symbol {symbol!r} ({function})",
                                code="unknown_symbol", source=self.name, symbol=symbol) from exc
        if not isinstance(body, dict):
            raise UnavailableError("alphavantage: response is not a JSON object",
                                   code="provider_bad_payload", source=self.name)
        return body

    def _search(self, query: str, limit: int) -> list[Instrument]:
        matches = self.query("SYMBOL_SEARCH", keywords=query).get("bestMatches", [])
        out = []
        for m in matches[:limit]:
            kind = AssetClass.ETF if m.get("3. type") == "ETF" else AssetClass.EQUITY
            region = str(m.get("4. region", ""))
            venue = "US" if region == "United States" else "ALPHAVANTAGE"
            out.append(Instrument.create(f"{m['1. symbol']}.{venue}", kind,
                                         str(m.get("8. currency") or "USD"),
                                         name=str(m.get("2. name", ""))))
        return out

    def overview(self, symbol: str) -> dict[str, Any]:
        """The ``OVERVIEW`` record (sector, industry, CIK, market cap...) as sent."""
        body = self.query("OVERVIEW", av_symbol(symbol))
        if not body or "Symbol" not in body:
            # OVERVIEW answers {} for unknown symbols
            raise NotFoundError(f"alphavantage: unknown symbol {symbol!r} (OVERVIEW)",
                                code="unknown_symbol", source=self.name, symbol=symbol)
        return body

    def _instrument(self, symbol: str) -> Instrument:
        ov = self.overview(symbol)
        venue = _EXCHANGES.get(str(ov.get("Exchange", "")).upper(), "ALPHAVANTAGE")
        kind = AssetClass.ETF if ov.get("AssetType") == "ETF" else AssetClass.EQUITY
        sector = str(ov.get("Sector") or "").title() or None
        return Instrument.create(f"{ov['Symbol']}.{venue}", kind, str(ov.get("Currency") or "USD"),
                                 name=str(ov.get("Name", "")), sector=sector)

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        symbol = av_symbol(instrument_id)
        if timeframe is Timeframe.D1:
            function = "TIME_SERIES_DAILY_ADJUSTED" if self.config.adjusted else "TIME_SERIES_DAILY"
            body = self.query(function, symbol, outputsize=self.config.outputsize)
            key, shift_ns = "Time Series (Daily)", 16 * NS_PER_HOUR
        else:
            interval = _INTERVALS[timeframe]
            body = self.query("TIME_SERIES_INTRADAY", symbol, interval=interval,
                              outputsize=self.config.outputsize, extended_hours="false")
            key, shift_ns = f"Time Series ({interval})", timeframe.ns
        series = body.get(key)
        if not isinstance(series, dict):
            raise UnavailableError(f"alphavantage: response lacks {key!r}",
                                   code="provider_bad_payload", source=self.name)
        if not series:
            return empty_bars()
        tz = str(body.get("Meta Data", {}).get("6. Time Zone")
                 or body.get("Meta Data", {}).get("5. Time Zone") or "US/Eastern")
        stamps = pd.DatetimeIndex(pd.to_datetime(list(series), format="ISO8601"))
        close_ns = stamps.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").asi8 + shift_ns
        rows = list(series.values())
        frame = pd.DataFrame({
            "open": [_num(r.get("1. open")) for r in rows],
            "high": [_num(r.get("2. high")) for r in rows],
            "low": [_num(r.get("3. low")) for r in rows],
            "close": [_num(r.get("4. close")) for r in rows],
            "volume": [_num(r.get("6. volume", r.get("5. volume"))) for r in rows],
        }, index=pd.Index(np.asarray(close_ns, dtype=np.int64), name="ts"))
        if self.config.adjusted and timeframe is Timeframe.D1:
            factor = np.asarray([_num(r.get("5. adjusted close")) for r in rows]) / frame["close"]
            for c in ("open", "high", "low", "close"):
                frame[c] = frame[c] * factor
        return frame.loc[frame.index.to_numpy() <= now_ns()]

    def _quote(self, instrument_id: str) -> Quote:
        q = self.query("GLOBAL_QUOTE", av_symbol(instrument_id)).get("Global Quote") or {}
        if not q:
            raise NotFoundError(f"alphavantage: unknown symbol {instrument_id!r} (GLOBAL_QUOTE)",
                                code="unknown_symbol", source=self.name, symbol=instrument_id)
        price = _num(q.get("05. price"))
        if not np.isfinite(price):
            raise UnavailableError("alphavantage: quote without a price",
                                   code="provider_bad_payload", source=self.name)
        # GLOBAL_QUOTE only carries the trading day; stamp it at that day's 16:00 New York.
        day = pd.Timestamp(str(q["07. latest trading day"]) + " 16:00").tz_localize("US/Eastern")
        return Quote(instrument_id=instrument_id, bid=price, ask=price, bid_size=0.0,
                     ask_size=0.0, ts_event=to_ns(day.to_pydatetime()), ts_init=now_ns())
