"""Data.gov catalogue through the CKAN Action API (``/api/3/action/<action>``).

Actions used: ``package_search`` (``q``, ``rows``, ``start``), ``package_show`` (``id``),
``organization_list``, ``tag_list`` and ``group_list``. Every answer is
``{"help", "success", "result"}``; failures are ``{"success": false, "error": {"__type",
"message"}}`` (``Not Found Error`` with HTTP 404, ``Validation Error`` with 409). Through
api.data.gov an ``X-Api-Key`` header applies and over-limit answers are HTTP 429 with
``{"error": {"code": "OVER_RATE_LIMIT"}}``.

Trading relevance (``Dataset.relevance``, 0..1) is a documented sum of four parts:

* keywords (0.4): share of :data:`TRADING_KEYWORDS` groups hit in title, notes and tags
  (each group counts once, three groups or more give the full 0.4);
* organization (0.25): the publisher is a market or macro agency in :data:`MARKET_ORGS`;
* update frequency (0.2): daily or faster 0.2, weekly 0.15, monthly 0.1, quarterly 0.05,
  from the ``accrualPeriodicity`` extra (ISO 8601 ``R/P1D``...) or ``frequency`` text;
* formats (0.15): a machine-readable resource (CSV, JSON, XLSX, XML, API, Parquet) 0.15.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from nautilus.core.errors import NautilusError, NotFoundError, RateLimitedError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.base import (
    DATA_SOURCES,
    Capability,
    Dataset,
    DatasetResource,
    DataSourceConfig,
)
from nautilus.data.http import HttpSource, json_body

TRADING_KEYWORDS: dict[str, tuple[str, ...]] = {
    "rates": ("interest rate", "yield", "treasury", "bond", "federal funds"),
    "prices": ("price", "inflation", "cpi", "ppi", "commodity"),
    "markets": ("stock", "equity", "securities", "futures", "options", "exchange", "trading"),
    "activity": ("gdp", "employment", "unemployment", "payroll", "retail sales", "housing"),
    "energy": ("oil", "crude", "natural gas", "petroleum", "electricity"),
    "finance": ("bank", "credit", "loan", "debt", "financial"),
}
MARKET_ORGS = frozenset({
    "treasury-gov", "federal-reserve-board", "sec-gov", "cftc-gov", "bls-gov", "doc-gov",
    "bea-gov", "eia-gov", "fdic-gov", "usda-gov", "census-gov", "fhfa-gov",
})
_MACHINE_FORMATS = frozenset({"CSV", "JSON", "XLSX", "XLS", "XML", "API", "PARQUET", "ZIP"})


class DataGovConfig(DataSourceConfig):
    """Data.gov CKAN settings; the key is optional (api.data.gov gateway only)."""

    base_url: str = "https://catalog.data.gov"
    api_key: SecretStr | None = None
    rate_limit_per_s: float = 2.0
    rate_limit_burst: int = 4


def ckan_error(response: httpx.Response) -> NautilusError | None:
    body = json_body(response)
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    err = body["error"]
    if err.get("code") == "OVER_RATE_LIMIT":
        return RateLimitedError(f"datagov: {err.get('message')}", retry_after=60.0)
    kind = str(err.get("__type", ""))
    message = str(err.get("message") or {k: v for k, v in err.items() if k != "__type"})
    if kind == "Not Found Error" or response.status_code == 404:
        return NotFoundError(f"datagov: {message}", code="unknown_dataset", source="datagov")
    return ValidationError(f"datagov: {kind}: {message}", code="provider_rejected",
                           source="datagov")


def _frequency(pkg: dict[str, Any]) -> str | None:
    extras = {e.get("key"): e.get("value") for e in pkg.get("extras") or []}
    value = extras.get("accrualPeriodicity") or extras.get("frequency") or pkg.get(
        "accrualPeriodicity")
    return str(value) if value else None


def _frequency_score(freq: str | None) -> float:
    if not freq:
        return 0.0
    f = freq.upper()
    if f in ("R/PT1S", "R/PT1H", "R/P1D", "CONTINUOUS") or "DAILY" in f or "HOUR" in f:
        return 0.2
    if f in ("R/P1W", "R/P0.5W", "R/P3.5D") or "WEEK" in f:
        return 0.15
    if f in ("R/P1M", "R/P0.5M") or "MONTH" in f:
        return 0.1
    if f in ("R/P3M", "R/P4M") or "QUARTER" in f:
        return 0.05
    return 0.0


def trading_relevance(pkg: dict[str, Any]) -> float:
    """The 0..1 trading relevance of a CKAN package (see module docstring)."""
    text = " ".join([str(pkg.get("title") or ""), str(pkg.get("notes") or "")]
                    + [str(t.get("name", "")) for t in pkg.get("tags") or []]).lower()
    groups = sum(any(k in text for k in words) for words in TRADING_KEYWORDS.values())
    score = 0.4 * min(groups, 3) / 3
    org = (pkg.get("organization") or {}).get("name")
    score += 0.25 if org in MARKET_ORGS else 0.0
    score += _frequency_score(_frequency(pkg))
    formats = {str(r.get("format") or "").upper() for r in pkg.get("resources") or []}
    score += 0.15 if formats & _MACHINE_FORMATS else 0.0
    return round(score, 4)


def _ns(value: Any) -> int | None:
    try:
        return to_ns(str(value)) if value else None
    except ValueError:
        return None


@DATA_SOURCES.register("datagov", config=DataGovConfig, tags=("datasets",))
class DataGovSource(HttpSource):
    """US government datasets from catalog.data.gov, scored for trading relevance."""

    name = "datagov"
    config_class = DataGovConfig
    capabilities = frozenset({Capability.DATASETS})
    config: DataGovConfig

    def client_options(self) -> dict[str, Any]:
        headers = {}
        if self.config.api_key is not None:
            headers["X-Api-Key"] = self.config.api_key.get_secret_value()
        return {"headers": headers, "error_mapper": ckan_error}

    def action(self, name: str, **params: Any) -> Any:
        """Call a CKAN action and return its ``result``."""
        body = self.http.get_json(f"/api/3/action/{name}", params or None)
        if not isinstance(body, dict) or not body.get("success"):
            err = (body or {}).get("error") if isinstance(body, dict) else None
            raise ValidationError(f"datagov: {name} failed: {err}", code="provider_rejected",
                                  source=self.name)
        return body["result"]

    def to_dataset(self, pkg: dict[str, Any]) -> Dataset:
        resources = tuple(
            DatasetResource(name=str(r.get("name") or r.get("id") or ""), url=str(r.get("url", "")),
                            format=str(r.get("format") or "").upper(),
                            last_modified_ns=_ns(r.get("last_modified") or r.get("created")))
            for r in pkg.get("resources") or [])
        org = pkg.get("organization") or {}
        return Dataset(id=str(pkg["name"]), title=str(pkg.get("title", "")), source=self.name,
                       organization=org.get("name"), description=str(pkg.get("notes") or ""),
                       tags=tuple(str(t["name"]) for t in pkg.get("tags") or []),
                       frequency=_frequency(pkg), modified_ns=_ns(pkg.get("metadata_modified")),
                       resources=resources, relevance=trading_relevance(pkg))

    def _dataset_search(self, query: str, limit: int) -> list[Dataset]:
        result = self.action("package_search", q=query, rows=min(limit, 1000))
        found = [self.to_dataset(p) for p in result.get("results", [])]
        return sorted(found, key=lambda d: -(d.relevance or 0.0))

    def _dataset(self, dataset_id: str) -> Dataset:
        return self.to_dataset(self.action("package_show", id=dataset_id))

    def organizations(self) -> list[str]:
        """Publisher slugs (``organization_list``)."""
        return [str(x) for x in self._call(lambda: self.action("organization_list"))]

    def tags(self, query: str | None = None) -> list[str]:
        """Tag names, optionally those matching ``query`` (``tag_list``)."""
        return [str(x) for x in self._call(
            lambda: self.action("tag_list", **({"query": query} if query else {})))]

    def groups(self) -> list[str]:
        """Topic groups (``group_list``)."""
        return [str(x) for x in self._call(lambda: self.action("group_list"))]
