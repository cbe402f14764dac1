"""SEC EDGAR: ticker to CIK, XBRL company facts and filing lists (no key; User-Agent required).

* ``https://www.sec.gov/files/company_tickers.json``: ``{"0": {"cik_str", "ticker", "title"}}``.
* ``/api/xbrl/companyfacts/CIK##########.json``: ``facts.<taxonomy>.<concept>.units.<unit>``
  lists of ``{end, val, accn, fy, fp, form, filed[, start, frame]}``.
* ``/submissions/CIK##########.json``: ``filings.recent`` column arrays (``accessionNumber``,
  ``filingDate``, ``reportDate``, ``acceptanceDateTime``, ``form``, ``primaryDocument``...).

The SEC requires a ``User-Agent`` naming the caller (``"Company admin@company.com"``); the
source refuses to start without one. Over 10 requests per second the SEC answers 403
"Request Rate Threshold Exceeded" and blocks for about ten minutes: RateLimitedError.

Point in time: a fact's ``ts_known`` is the end of its ``filed`` day in New York (00:00
America/New_York of the next day, ns UTC), because the facts API carries the filing date
but not the acceptance time; ``period_end_ns`` is the period's ``end`` date at 00:00 UTC.
A filing's ``ts_known`` is its exact ``acceptanceDateTime``.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.errors import (
    AuthenticationError,
    NautilusError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from nautilus.core.time import to_ns
from nautilus.data.base import DATA_SOURCES, Capability, DataSourceConfig, Filing
from nautilus.data.http import HttpSource
from nautilus.model import AssetClass, CompanyFact, Instrument

_DAY_NS = 86_400 * 10**9


class EdgarConfig(DataSourceConfig):
    """EDGAR settings; ``user_agent`` must name you and give a contact e-mail."""

    user_agent: str = Field("", description="e.g. 'Acme Research ops@acme.example' (required).")
    base_url: str = "https://data.sec.gov"
    tickers_url: str = "https://www.sec.gov/files/company_tickers.json"
    archives_url: str = "https://www.sec.gov/Archives/edgar/data"
    rate_limit_per_s: float = 8.0
    rate_limit_burst: int = 8


def edgar_error(response: httpx.Response) -> NautilusError | None:
    text = response.text[:2000]
    if response.status_code == 403 and "Request Rate Threshold Exceeded" in text:
        return RateLimitedError("edgar: SEC request rate threshold exceeded", retry_after=600.0)
    if response.status_code == 403 and "Undeclared Automated Tool" in text:
        return AuthenticationError("edgar: SEC rejected the User-Agent (undeclared tool)",
                                   code="provider_auth", source="edgar")
    if response.status_code == 404:
        return NotFoundError(f"edgar: {response.request.url.path} does not exist",
                             code="provider_not_found", source="edgar")
    return None


def ny_day_end_ns(day: str) -> int:
    """``YYYY-MM-DD`` -> 00:00 America/New_York of the next day, as int ns UTC."""
    ts = pd.Timestamp(day) + pd.Timedelta(days=1)
    return int(ts.tz_localize("America/New_York").value)


@DATA_SOURCES.register("edgar", config=EdgarConfig,
                       tags=("fundamentals", "filings", "search"))
class EdgarSource(HttpSource):
    """XBRL fundamentals (as filed, point in time) and filing lists from SEC EDGAR."""

    name = "edgar"
    config_class = EdgarConfig
    capabilities = frozenset({Capability.FUNDAMENTALS, Capability.FILINGS, Capability.SEARCH})
    config: EdgarConfig

    def client_options(self) -> dict[str, Any]:
        ua = self.config.user_agent.strip()
        if len(ua) < 5 or "@" not in ua:
            raise ValidationError(
                "edgar: the SEC requires a User-Agent with a contact e-mail "
                "(EdgarConfig.user_agent = 'Company name admin@company.com')",
                code="missing_user_agent", source=self.name)
        return {"headers": {"User-Agent": ua, "Accept-Encoding": "gzip, deflate"},
                "error_mapper": edgar_error}

    _tickers: dict[str, tuple[str, str]] | None = None
    _tickers_lock = threading.Lock()

    def tickers(self) -> dict[str, tuple[str, str]]:
        """``{TICKER: (10-digit CIK, company name)}``, fetched once per source instance."""
        with self._tickers_lock:
            if self._tickers is None:
                body = self.http.get_json(self.config.tickers_url)
                self._tickers = {str(r["ticker"]).upper(): (f"{int(r['cik_str']):010d}",
                                                            str(r["title"]))
                                 for r in body.values()}
            return self._tickers

    def resolve(self, ticker_or_cik: str) -> tuple[str, str | None]:
        """``(10-digit CIK, ticker or None)``; NotFoundError naming an unknown ticker."""
        value = ticker_or_cik.strip().upper().removeprefix("CIK")
        if value.isdigit():
            cik = f"{int(value):010d}"
            ticker = next((t for t, (c, _) in self.tickers().items() if c == cik), None)
            return cik, ticker
        symbol = value.rpartition(".")[0] if "." in value else value
        hit = self.tickers().get(symbol)
        if hit is None:
            raise NotFoundError(f"edgar: unknown ticker {ticker_or_cik!r}",
                                code="unknown_symbol", source=self.name, symbol=ticker_or_cik)
        return hit[0], symbol

    def _search(self, query: str, limit: int) -> list[Instrument]:
        q = query.upper()
        hits = [(t, c, n) for t, (c, n) in self.tickers().items() if q == t or q in n.upper()]
        hits.sort(key=lambda h: (h[0] != q, len(h[0])))
        return [Instrument.create(f"{t}.US", AssetClass.EQUITY, "USD", name=n)
                for t, _, n in hits[:limit]]

    def _company_facts(self, ticker_or_cik: str, concepts: tuple[str, ...]) -> list[CompanyFact]:
        cik, ticker = self.resolve(ticker_or_cik)
        try:
            body = self.http.get_json(f"/api/xbrl/companyfacts/CIK{cik}.json")
        except NotFoundError:
            raise NotFoundError(f"edgar: no XBRL facts for {ticker_or_cik!r} (CIK {cik})",
                                code="unknown_symbol", source=self.name,
                                symbol=ticker_or_cik) from None
        wanted = set(concepts)
        out: list[CompanyFact] = []
        known: dict[str, int] = {}
        for taxonomy, items in (body.get("facts") or {}).items():
            for concept, spec in items.items():
                name = f"{taxonomy}:{concept}"
                if wanted and name not in wanted:
                    continue
                for unit, entries in (spec.get("units") or {}).items():
                    for e in entries:
                        val, end, filed = e.get("val"), e.get("end"), e.get("filed")
                        if val is None or not end or not filed or not np.isfinite(float(val)):
                            continue
                        if filed not in known:
                            known[filed] = ny_day_end_ns(filed)
                        out.append(CompanyFact(
                            cik=cik, ticker=ticker, concept=name, unit=unit, value=float(val),
                            period_end_ns=to_ns(end), ts_known=known[filed],
                            form=str(e.get("form", "")), fiscal_year=e.get("fy"),
                            fiscal_period=e.get("fp"), accession=e.get("accn")))
        out.sort(key=lambda f: (f.concept, f.period_end_ns, f.ts_known))
        return out

    def _filings(self, ticker_or_cik: str, forms: tuple[str, ...], limit: int) -> list[Filing]:
        cik, _ = self.resolve(ticker_or_cik)
        body = self.http.get_json(f"/submissions/CIK{cik}.json")
        recent = (body.get("filings") or {}).get("recent") or {}
        n = len(recent.get("accessionNumber", []))
        wanted = {f.upper() for f in forms}
        out: list[Filing] = []
        for i in range(n):
            form = str(recent["form"][i])
            if wanted and form.upper() not in wanted:
                continue
            accession = str(recent["accessionNumber"][i])
            report = (recent.get("reportDate") or [""] * n)[i]
            doc = (recent.get("primaryDocument") or [""] * n)[i] or None
            accepted = (recent.get("acceptanceDateTime") or [""] * n)[i]
            filed = str(recent["filingDate"][i])
            out.append(Filing(
                cik=cik, form=form, accession=accession, filing_date_ns=to_ns(filed),
                ts_known=to_ns(accepted) if accepted else ny_day_end_ns(filed),
                report_date_ns=to_ns(report) if report else None, primary_document=doc,
                description=(recent.get("primaryDocDescription") or [None] * n)[i] or None,
                url=(f"{self.config.archives_url}/{int(cik)}/{accession.replace('-', '')}/{doc}"
                     if doc else None)))
            if len(out) >= limit:
                break
        out.sort(key=lambda f: f.ts_known, reverse=True)
        return out
