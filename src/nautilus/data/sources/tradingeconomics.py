"""Trading Economics: indicators by country, historical series, economic calendar, countries.

Auth is the ``c`` query parameter (``guest:guest`` for the sample tier, else ``key:secret``;
redacted everywhere). Endpoints: ``/country`` (list), ``/country/{country}`` (latest value of
every indicator), ``/historical/country/{country}/indicator/{indicator}[/{d1}/{d2}]`` and
``/calendar/country/{country}/{d1}/{d2}`` (``/calendar/country/All/...`` for all). Errors:
HTTP 401/403 with a text or ``{"Message": ...}`` body ("No Access to this country as free
user."), 404, and 429 over the 1 request per second limit.

Times: TE ``DateTime``/``Date`` values are UTC without offset. An observation's ``period_ns``
is its ``DateTime`` (TE stamps the period *end*, e.g. ``2023-03-31`` for 2023Q1);
``ts_known`` is its ``LastUpdate`` (the latest revision time, so history is not point in time:
TE serves no vintages). Calendar events carry ``Date`` (release time) and ``LastUpdate``.
Series ids are ``country/indicator`` (``united states/gdp growth rate``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd
from pydantic import SecretStr

from nautilus.core.errors import (
    AuthenticationError,
    NautilusError,
    NotFoundError,
    ValidationError,
)
from nautilus.core.time import ns_to_iso, to_ns
from nautilus.data.base import (
    DATA_SOURCES,
    CalendarEvent,
    Capability,
    DataSourceConfig,
    economic_frame,
)
from nautilus.data.http import HttpSource, json_body


class TradingEconomicsConfig(DataSourceConfig):
    """Trading Economics settings; ``api_key`` is ``key:secret`` (default the guest tier)."""

    api_key: SecretStr = SecretStr("guest:guest")
    base_url: str = "https://api.tradingeconomics.com"
    rate_limit_per_s: float = 1.0
    rate_limit_burst: int = 1


def te_error(response: httpx.Response) -> NautilusError | None:
    body = json_body(response)
    message = str(body.get("Message") or body.get("message") or body) if isinstance(
        body, dict) else response.text.strip()[:300]
    if response.status_code in (401, 403):
        return AuthenticationError(f"tradingeconomics: {message}", code="provider_auth",
                                   source="tradingeconomics")
    if response.status_code == 404:
        return NotFoundError(f"tradingeconomics: {message}", code="provider_not_found",
                             source="tradingeconomics")
    return None


_PCT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([%KMBT]?)")


def te_number(value: Any) -> float | None:
    """``'5.4%'`` -> 5.4, ``'1.2M'`` -> 1.2 (unit suffix kept by the caller), '' -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = _PCT.match(str(value))
    return float(m.group(1)) if m else None


def _ns(value: Any) -> int | None:
    return to_ns(str(value)) if value else None


@DATA_SOURCES.register("tradingeconomics", config=TradingEconomicsConfig,
                       tags=("economic", "calendar"))
class TradingEconomicsSource(HttpSource):
    """Macro indicators, history and the release calendar from Trading Economics."""

    name = "tradingeconomics"
    config_class = TradingEconomicsConfig
    capabilities = frozenset({Capability.ECONOMIC, Capability.CALENDAR})
    config: TradingEconomicsConfig

    def client_options(self) -> dict[str, Any]:
        return {"params": {"c": self.config.api_key.get_secret_value(), "f": "json"},
                "error_mapper": te_error}

    def get(self, path: str) -> list[dict[str, Any]]:
        body = self.http.get_json(path)
        if isinstance(body, dict):
            raise ValidationError(f"tradingeconomics: {body.get('Message', body)}",
                                  code="provider_rejected", source=self.name)
        return list(body or [])

    def countries(self) -> list[dict[str, Any]]:
        """``[{"Country", "Continent", "ISO3", "ISO2", ...}]``."""
        return self._call(lambda: self.get("/country"))

    def indicators(self, country: str) -> pd.DataFrame:
        """Latest value of every indicator of ``country``: one row per indicator with
        ``category``, ``value``, ``previous``, ``unit``, ``frequency``, ``ts`` (ns UTC of the
        latest value's date) and ``symbol``."""
        rows = self._call(lambda: self.get(f"/country/{quote(country.lower())}"))
        if not rows:
            raise NotFoundError(f"tradingeconomics: unknown country {country!r}",
                                code="unknown_country", source=self.name)
        return pd.DataFrame({
            "category": [r.get("Category") for r in rows],
            "value": [te_number(r.get("LatestValue")) for r in rows],
            "previous": [te_number(r.get("PreviousValue")) for r in rows],
            "unit": [r.get("Unit") for r in rows],
            "frequency": [r.get("Frequency") for r in rows],
            "ts": [_ns(r.get("LatestValueDate")) for r in rows],
            "symbol": [r.get("HistoricalDataSymbol") for r in rows],
        })

    def _economic_series(self, series_id: str, start_ns: int | None, end_ns: int | None,
                         vintages: bool) -> pd.DataFrame:
        country, sep, indicator = series_id.partition("/")
        if not sep or not indicator:
            raise ValidationError("tradingeconomics series ids are 'country/indicator'",
                                  code="bad_series_id", source=self.name)
        path = f"/historical/country/{quote(country)}/indicator/{quote(indicator)}"
        if start_ns is not None:
            end = ns_to_iso(end_ns - 1)[:10] if end_ns is not None else "2100-01-01"
            path += f"/{ns_to_iso(start_ns)[:10]}/{end}"
        rows = self.get(path)
        if not rows:
            raise NotFoundError(f"tradingeconomics: no data for {series_id!r}",
                                code="unknown_series", source=self.name)
        period = [to_ns(r["DateTime"]) for r in rows]
        values = [np.nan if r.get("Value") is None else float(r["Value"]) for r in rows]
        known = [_ns(r.get("LastUpdate")) or p for r, p in zip(rows, period, strict=True)]
        frame = economic_frame(period, values, np.maximum(known, period))
        return frame.loc[np.isfinite(frame["value"].to_numpy())]

    def _calendar(self, start_ns: int, end_ns: int, country: str | None) -> list[CalendarEvent]:
        d1, d2 = ns_to_iso(start_ns)[:10], ns_to_iso(end_ns - 1)[:10]
        rows = self.get(f"/calendar/country/{quote(country or 'All')}/{d1}/{d2}")
        out = []
        for r in rows:
            ts = to_ns(r["Date"])
            if not start_ns <= ts < end_ns:
                continue
            out.append(CalendarEvent(
                event_id=str(r.get("CalendarId")), country=str(r.get("Country")),
                event=str(r.get("Event")), ts_event=ts, source=self.name,
                category=r.get("Category"), reference=r.get("Reference"),
                actual=te_number(r.get("Actual")), previous=te_number(r.get("Previous")),
                forecast=te_number(r.get("Forecast") or r.get("TEForecast")),
                unit=r.get("Unit") or None, importance=r.get("Importance"),
                ts_known=_ns(r.get("LastUpdate"))))
        return sorted(out, key=lambda e: e.ts_event)
