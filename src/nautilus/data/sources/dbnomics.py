"""DBnomics (api.db.nomics.world, v22): providers, datasets and series with observations.

``/providers`` -> ``providers.docs``; ``/datasets/{provider}`` -> ``datasets.docs``;
``/series/{provider}/{dataset}/{series}?observations=1`` -> ``series.docs[0]`` with parallel
arrays ``period`` (``2023``, ``2023-Q1``, ``2023-01``), ``period_start_day`` (ISO dates) and
``value`` (numbers, ``"NA"`` for missing), plus ``indexed_at``. Unknown codes answer HTTP 404
with a JSON ``message``; no key is needed.

Times: ``period_ns`` is ``period_start_day`` at 00:00 UTC. DBnomics keeps no release dates, so
``ts_known`` is the series' ``indexed_at`` (when DBnomics last indexed it): no value is treated
as known before DBnomics had it, which is safe but late. No vintages.
Series ids are ``PROVIDER/DATASET/SERIES`` (``AMECO/ZUTN/EA19.1.0.0.0.ZUTN``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd

from nautilus.core.errors import NautilusError, NotFoundError, UnavailableError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.base import DATA_SOURCES, Capability, Dataset, DataSourceConfig, economic_frame
from nautilus.data.http import HttpSource, json_body


class DbnomicsConfig(DataSourceConfig):
    """DBnomics settings (public API, no credentials)."""

    base_url: str = "https://api.db.nomics.world/v22"
    rate_limit_per_s: float = 3.0
    rate_limit_burst: int = 5


def dbnomics_error(response: httpx.Response) -> NautilusError | None:
    body = json_body(response)
    message = (str(body.get("message") or body.get("errors") or body)
               if isinstance(body, dict) else response.text[:300])
    if response.status_code == 404:
        return NotFoundError(f"dbnomics: {message}", code="unknown_series", source="dbnomics")
    return ValidationError(f"dbnomics: {message}", code="provider_rejected", source="dbnomics")


def _ns(value: Any) -> int | None:
    return to_ns(str(value)) if value else None


@DATA_SOURCES.register("dbnomics", config=DbnomicsConfig, tags=("economic", "datasets"))
class DbnomicsSource(HttpSource):
    """Series from 80+ statistical agencies, aggregated by DBnomics."""

    name = "dbnomics"
    config_class = DbnomicsConfig
    capabilities = frozenset({Capability.ECONOMIC, Capability.DATASETS})
    config: DbnomicsConfig

    def client_options(self) -> dict[str, Any]:
        return {"error_mapper": dbnomics_error}

    def providers(self) -> list[dict[str, Any]]:
        """``[{"code", "name", "region", "website", "indexed_at", ...}]``."""
        body = self._call(lambda: self.http.get_json("/providers", {"limit": 1000}))
        return list((body.get("providers") or {}).get("docs") or [])

    def datasets(self, provider: str, limit: int = 100) -> list[Dataset]:
        """Datasets of ``provider`` (``AMECO``, ``IMF``, ``Eurostat``...)."""
        body = self._call(lambda: self.http.get_json(f"/datasets/{quote(provider)}",
                                                     {"limit": limit}))
        return [self._to_dataset(d) for d in (body.get("datasets") or {}).get("docs") or []]

    def _to_dataset(self, d: dict[str, Any]) -> Dataset:
        return Dataset(id=f"{d.get('provider_code')}/{d.get('code')}", title=str(d.get("name", "")),
                       source=self.name, organization=d.get("provider_code"),
                       description=str(d.get("description") or ""),
                       modified_ns=_ns(d.get("indexed_at")))

    def _dataset_search(self, query: str, limit: int) -> list[Dataset]:
        body = self.http.get_json("/search", {"q": query, "limit": limit})
        return [self._to_dataset({**d, "code": d.get("code") or d.get("dataset_code")})
                for d in (body.get("results") or {}).get("docs") or []]

    def _dataset(self, dataset_id: str) -> Dataset:
        provider, _, code = dataset_id.partition("/")
        for d in self.datasets(provider, limit=1000):
            if d.id == f"{provider}/{code}":
                return d
        raise NotFoundError(f"dbnomics: unknown dataset {dataset_id!r}", code="unknown_dataset",
                            source=self.name)

    def series(self, series_id: str) -> dict[str, Any]:
        """The raw ``series.docs[0]`` with its observation arrays."""
        if series_id.count("/") != 2:
            raise ValidationError("dbnomics series ids are PROVIDER/DATASET/SERIES",
                                  code="bad_series_id", source=self.name)
        body = self.http.get_json(f"/series/{quote(series_id)}", {"observations": 1})
        docs = (body.get("series") or {}).get("docs") or []
        if not docs:
            raise NotFoundError(f"dbnomics: unknown series {series_id!r}", code="unknown_series",
                                source=self.name)
        return dict(docs[0])

    def _economic_series(self, series_id: str, start_ns: int | None, end_ns: int | None,
                         vintages: bool) -> pd.DataFrame:
        doc = self.series(series_id)
        days = doc.get("period_start_day") or []
        values = doc.get("value") or []
        if len(days) != len(values):
            raise UnavailableError("dbnomics: period and value arrays differ in length",
                                   code="provider_bad_payload", source=self.name)
        period = pd.DatetimeIndex(pd.to_datetime(days, format="%Y-%m-%d")).asi8
        vals = np.asarray([np.nan if v in ("NA", None) else float(v) for v in values])
        known = _ns(doc.get("indexed_at"))
        if known is None:
            raise UnavailableError("dbnomics: series has no indexed_at",
                                   code="provider_bad_payload", source=self.name)
        frame = economic_frame(period, vals, np.full(len(vals), known, dtype=np.int64))
        keep = np.isfinite(vals)
        if start_ns is not None:
            keep &= period >= start_ns
        if end_ns is not None:
            keep &= period < end_ns
        return frame.loc[keep]
