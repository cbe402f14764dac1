"""FRED and ALFRED (Federal Reserve Bank of St. Louis) economic series.

Endpoints: ``/fred/series/search``, ``/fred/series`` and ``/fred/series/observations`` with
``file_type=json``. Errors are JSON ``{"error_code": 400, "error_message": "..."}``; the key is
the ``api_key`` query parameter (redacted everywhere). FRED allows 120 requests per minute.

Point in time: observations are always requested as ALFRED real-time periods
(``realtime_start=1776-07-04``, ``realtime_end=9999-12-31``, ``output_type=1``), so each value
comes with the date it became known. ``ts_known`` is the end of that day in New York
(00:00 America/New_York of the next day, in ns UTC), conservative because releases are
intraday. Without ``vintages`` only each period's current value is kept (the row whose
``realtime_end`` is ``9999-12-31``), still with the date that value was first published.
``period_ns`` is the observation date (period start) at 00:00 UTC; ``"."`` (missing) rows are
skipped. Series ids map to instrument ids ``SERIES.FRED`` (asset class ``economic``, currency
``NONE``: a macro series has no currency).
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd
from pydantic import SecretStr

from nautilus.core.errors import (
    AuthenticationError,
    NautilusError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from nautilus.core.time import ns_to_iso
from nautilus.data.base import DATA_SOURCES, Capability, DataSourceConfig, economic_frame
from nautilus.data.http import HttpSource, json_body
from nautilus.model import AssetClass, Instrument

REALTIME_START = "1776-07-04"
REALTIME_END = "9999-12-31"
PAGE = 100_000


class FredConfig(DataSourceConfig):
    """FRED API settings; ``api_key`` is required (free at fred.stlouisfed.org)."""

    api_key: SecretStr
    base_url: str = "https://api.stlouisfed.org"
    rate_limit_per_s: float = 2.0
    rate_limit_burst: int = 5


def fred_error(response: httpx.Response) -> NautilusError | None:
    """Map ``{"error_code", "error_message"}`` to our errors."""
    body = json_body(response)
    if not isinstance(body, dict) or "error_message" not in body:
        return None
    message = str(body["error_message"])
    detail = f"fred: {message}"
    lowered = message.lower()
    if body.get("error_code") == 429 or response.status_code == 429:
        return RateLimitedError(detail, retry_after=60.0)
    if "api_key" in lowered or "api key" in lowered:
        return AuthenticationError(detail, code="provider_auth", source="fred")
    if "does not exist" in lowered:
        return NotFoundError(detail, code="unknown_series", source="fred")
    return ValidationError(detail, code="provider_rejected", source="fred")


def _day_end_ns(dates: pd.Series) -> np.ndarray:
    """``YYYY-MM-DD`` strings -> the next 00:00 America/New_York, as int ns UTC."""
    local = pd.DatetimeIndex(pd.to_datetime(dates, format="%Y-%m-%d")) + pd.Timedelta(days=1)
    return np.asarray(local.tz_localize("America/New_York").asi8, dtype=np.int64)


@DATA_SOURCES.register("fred", config=FredConfig, tags=("economic", "vintages", "search"))
class FredSource(HttpSource):
    """US and international macro series with ALFRED vintages (value known-at times)."""

    name = "fred"
    config_class = FredConfig
    capabilities = frozenset({Capability.ECONOMIC, Capability.VINTAGES, Capability.SEARCH})
    config: FredConfig

    def client_options(self) -> dict[str, Any]:
        return {"params": {"api_key": self.config.api_key.get_secret_value(),
                           "file_type": "json"},
                "error_mapper": fred_error}

    def _to_instrument(self, s: dict[str, Any]) -> Instrument:
        return Instrument.create(f"{s['id']}.FRED", AssetClass.ECONOMIC, "NONE",
                                 name=str(s.get("title", "")), calendar="none",
                                 exchange_tz="America/Chicago")

    def _search(self, query: str, limit: int) -> list[Instrument]:
        body = self.http.get_json("/fred/series/search",
                                  {"search_text": query, "limit": min(limit, 1000),
                                   "order_by": "popularity", "sort_order": "desc"})
        return [self._to_instrument(s) for s in body.get("seriess", [])]

    def _instrument(self, symbol: str) -> Instrument:
        return self._to_instrument(self.series_info(symbol))

    def series_info(self, series_id: str) -> dict[str, Any]:
        """FRED's metadata of one series (title, frequency, units, last_updated...)."""
        sid = series_id.removesuffix(".FRED")
        body = self.http.get_json("/fred/series", {"series_id": sid})
        items = body.get("seriess") or []
        if not items:
            raise NotFoundError(f"fred: unknown series {sid!r}", code="unknown_series",
                                source=self.name)
        return dict(items[0])

    def _economic_series(self, series_id: str, start_ns: int | None, end_ns: int | None,
                         vintages: bool) -> pd.DataFrame:
        sid = series_id.removesuffix(".FRED")
        params: dict[str, Any] = {"series_id": sid, "realtime_start": REALTIME_START,
                                  "realtime_end": REALTIME_END, "output_type": 1,
                                  "limit": PAGE}
        if start_ns is not None:
            params["observation_start"] = ns_to_iso(start_ns)[:10]
        if end_ns is not None:
            params["observation_end"] = ns_to_iso(end_ns - 1)[:10]
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            body = self.http.get_json("/fred/series/observations", {**params, "offset": offset})
            page = body.get("observations") or []
            rows.extend(page)
            offset += len(page)
            if not page or offset >= int(body.get("count", 0)):
                break
        obs = pd.DataFrame(rows, columns=["realtime_start", "realtime_end", "date", "value"])
        obs = obs.loc[obs["value"] != "."]
        if not vintages:
            obs = obs.loc[obs["realtime_end"] == REALTIME_END]
        period = pd.DatetimeIndex(pd.to_datetime(obs["date"], format="%Y-%m-%d")).asi8
        values = pd.to_numeric(obs["value"], errors="coerce").to_numpy(dtype=np.float64)
        frame = economic_frame(period, values, _day_end_ns(obs["realtime_start"]))
        return frame.loc[np.isfinite(frame["value"].to_numpy())]
