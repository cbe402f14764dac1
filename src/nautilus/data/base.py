"""The data-source plug-in contract of the market data engine.

A :class:`DataSource` is a template: the public methods (``bars``, ``search``,
``economic_series``, ...) check the source's declared :class:`Capability`, validate their
arguments, time the call for :meth:`DataSource.health` and clean the result; a provider module
implements only the ``_``-prefixed hooks for what it supports. Calling a method the source does
not support raises ``ValidationError`` with code ``unsupported_capability`` naming the source.

Conventions (every source):

* time is ``int`` ns UTC; bar frames are indexed by ``ts`` = bar *close* time, int64, strictly
  increasing, with float64 columns ``open high low close volume`` (see ``BAR_COLUMNS``);
* instrument ids are ``SYMBOL.VENUE``; each source documents its venue naming;
* rows a provider sends that break the bar contract (NaN, non-positive prices, high below low,
  negative volume, duplicate times) are dropped and reported in :attr:`BarBatch.rejected`;
  ``bars()`` returns the clean frame and logs the count, ``fetch_bars()`` returns both.
"""

from __future__ import annotations

import abc
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

import msgspec
import numpy as np
import pandas as pd
from pydantic import Field

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import NautilusError, NotFoundError, ValidationError
from nautilus.core.registry import Registry
from nautilus.core.time import now_ns
from nautilus.data.ratelimit import TokenBucket
from nautilus.model import BAR_COLUMNS, Bar, BookDelta, CompanyFact, Instrument, Quote, Timeframe

log = logging.getLogger(__name__)
T = TypeVar("T")


class Capability(StrEnum):
    """What a source can deliver; the engine routes requests by these flags."""

    BARS = "bars"
    INTRADAY = "intraday"
    QUOTES = "quotes"
    TRADES = "trades"
    BOOK = "book"
    SEARCH = "search"
    ECONOMIC = "economic"
    VINTAGES = "vintages"
    FUNDAMENTALS = "fundamentals"
    FILINGS = "filings"
    DATASETS = "datasets"
    CALENDAR = "calendar"
    LIVE = "live"


class DataSourceConfig(FrozenConfig):
    """Settings every source shares. Provider configs subclass this and add their credentials
    as ``pydantic.SecretStr`` fields (never logged, masked in reprs and JSON dumps)."""

    base_url: str = Field("", description="Provider API root, no trailing slash.")
    timeout_s: float = Field(10.0, gt=0, description="Per-request timeout in seconds.")
    rate_limit_per_s: float = Field(5.0, gt=0, description="Sustained requests per second.")
    rate_limit_burst: int = Field(5, ge=1, description="Requests allowed back to back.")
    acquire_timeout_s: float = Field(
        30.0, ge=0, description="Longest wait for a rate-limit token before RateLimitedError."
    )
    max_retries: int = Field(3, ge=0, le=10, description="Retries on 429/5xx/timeouts.")
    backoff_base_s: float = Field(0.5, ge=0, description="First retry delay; doubles per retry.")
    backoff_max_s: float = Field(
        30.0, ge=0, description="Cap on one retry delay; a longer Retry-After fails at once."
    )


# -- results ---------------------------------------------------------------------------------


class RejectedRow(msgspec.Struct, frozen=True, kw_only=True):
    """A provider row dropped by validation: its time (ns UTC, None if unparseable) and why."""

    ts: int | None
    reason: str
    values: dict[str, float | None] = {}


@dataclass(frozen=True)
class BarBatch:
    """Clean bars (``ts`` = close time, ns UTC) plus the rows the provider sent that were bad."""

    frame: pd.DataFrame
    rejected: tuple[RejectedRow, ...] = ()
    source: str = ""
    instrument_id: str = ""
    timeframe: str = ""

    def report(self) -> dict[str, Any]:
        """Counts per rejection reason, for logs and the engine's validation record."""
        reasons: dict[str, int] = {}
        for r in self.rejected:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
        return {"source": self.source, "instrument_id": self.instrument_id,
                "timeframe": self.timeframe, "rows": len(self.frame),
                "rejected": len(self.rejected), "reasons": reasons}


class Filing(msgspec.Struct, frozen=True, kw_only=True):
    """A regulatory filing; ``ts_known`` is when it was accepted (ns UTC)."""

    cik: str
    form: str
    accession: str
    filing_date_ns: int
    ts_known: int
    report_date_ns: int | None = None
    primary_document: str | None = None
    description: str | None = None
    url: str | None = None


class DatasetResource(msgspec.Struct, frozen=True, kw_only=True):
    """One downloadable file of a dataset."""

    name: str
    url: str
    format: str
    last_modified_ns: int | None = None


class Dataset(msgspec.Struct, frozen=True, kw_only=True):
    """A catalogue entry (Data.gov package, DBnomics dataset)."""

    id: str
    title: str
    source: str
    organization: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    frequency: str | None = None
    modified_ns: int | None = None
    resources: tuple[DatasetResource, ...] = ()
    relevance: float | None = None


class CalendarEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A scheduled economic release; ``actual`` is None until released. Times ns UTC."""

    event_id: str
    country: str
    event: str
    ts_event: int
    source: str
    category: str | None = None
    reference: str | None = None
    actual: float | None = None
    previous: float | None = None
    forecast: float | None = None
    unit: str | None = None
    importance: int | None = None
    ts_known: int | None = None


@dataclass(eq=False)
class LiveSubscription:
    """Handle for a live stream; pass to :meth:`DataSource.unsubscribe`."""

    source: str
    kind: str
    instrument_id: str
    timeframe: str | None
    callback: Callable[[Any], None]
    handle: Any = None
    active: bool = True


# -- health ----------------------------------------------------------------------------------


@dataclass
class SourceHealth:
    """Call outcomes of one source: last success/failure (ns UTC), counts, latency in ms."""

    unhealthy_after: int = 3
    successes: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_success_ns: int | None = None
    last_failure_ns: int | None = None
    last_error: str | None = None
    errors_by_code: dict[str, int] = field(default_factory=dict)
    last_latency_ms: float | None = None
    avg_latency_ms: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_success(self, latency_s: float) -> None:
        with self._lock:
            self.successes += 1
            self.consecutive_failures = 0
            self.last_success_ns = now_ns()
            self._latency(latency_s)

    def record_error(self, exc: NautilusError, latency_s: float, *, failure: bool) -> None:
        """Count ``exc``; ``failure`` means the provider failed (not a bad request by us)."""
        with self._lock:
            self.errors_by_code[exc.code] = self.errors_by_code.get(exc.code, 0) + 1
            self.last_error = f"{exc.code}: {exc.detail}"
            self._latency(latency_s)
            if failure:
                self.failures += 1
                self.consecutive_failures += 1
                self.last_failure_ns = now_ns()
            else:
                self.successes += 1
                self.consecutive_failures = 0

    def _latency(self, latency_s: float) -> None:
        ms = latency_s * 1000.0
        self.last_latency_ms = ms
        prev = self.avg_latency_ms
        self.avg_latency_ms = ms if prev is None else 0.8 * prev + 0.2 * ms

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "healthy": self.consecutive_failures < self.unhealthy_after,
                "successes": self.successes,
                "failures": self.failures,
                "consecutive_failures": self.consecutive_failures,
                "last_success_ns": self.last_success_ns,
                "last_failure_ns": self.last_failure_ns,
                "last_error": self.last_error,
                "errors_by_code": dict(self.errors_by_code),
                "last_latency_ms": self.last_latency_ms,
                "avg_latency_ms": self.avg_latency_ms,
            }


# -- bar validation --------------------------------------------------------------------------


def empty_bars() -> pd.DataFrame:
    """A zero-row bar frame with the contract's index and columns."""
    frame = pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in BAR_COLUMNS},
                         index=pd.Index(np.empty(0, dtype=np.int64), name="ts"))
    return frame


def clean_bars(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[RejectedRow]]:
    """Split a provider bar frame into contract-clean rows and rejected rows.

    ``raw`` has an int64 ``ts`` index (close time, ns UTC) and the ``BAR_COLUMNS`` (missing
    volume is allowed and becomes 0). Rows are sorted by ``ts``; for duplicate times the last
    row wins and the others are rejected as ``duplicate_ts``.
    """
    missing = [c for c in ("open", "high", "low", "close") if c not in raw.columns]
    if missing:
        raise ValidationError(f"bar frame lacks columns {missing}", code="bad_frame")
    frame = raw.copy()
    if "volume" not in frame.columns:
        frame["volume"] = 0.0
    frame = frame.loc[:, list(BAR_COLUMNS)].astype(np.float64)
    frame.index = pd.Index(np.asarray(frame.index, dtype=np.int64), name="ts")
    frame = frame.sort_index(kind="stable")
    values = frame.to_numpy()
    o, h, lo, c, v = (values[:, i] for i in range(5))
    reasons = np.full(len(frame), "", dtype=object)

    def flag(mask: np.ndarray, reason: str) -> None:
        reasons[(reasons == "") & mask] = reason

    flag(~np.isfinite(values[:, :4]).all(axis=1), "non_finite_price")
    flag(~np.isfinite(v), "non_finite_volume")
    with np.errstate(invalid="ignore"):
        flag((values[:, :4] <= 0).any(axis=1), "non_positive_price")
        flag(v < 0, "negative_volume")
        flag((h < np.maximum(o, c)) | (lo > np.minimum(o, c)) | (h < lo), "inconsistent_ohlc")
    dup = frame.index.duplicated(keep="last")
    flag(dup, "duplicate_ts")
    bad = reasons != ""
    rejected = [
        RejectedRow(ts=int(ts), reason=str(r),
                    values={k: (None if not math.isfinite(x) else float(x))
                            for k, x in zip(BAR_COLUMNS, row, strict=True)})
        for ts, r, row in zip(frame.index[bad], reasons[bad], values[bad], strict=True)
    ]
    return frame.loc[~bad], rejected


# -- the plug-in base ------------------------------------------------------------------------


def unsupported(source: str, what: str) -> ValidationError:
    """The error for a capability a source does not have."""
    return ValidationError(f"data source {source!r} does not support {what}",
                           code="unsupported_capability", source=source, capability=what)


_CLIENT_ERROR_CODES = frozenset({"not_found", "validation_error", "unsupported_capability"})


class DataSource(abc.ABC):  # noqa: B024 - every hook is optional; capabilities pick them
    """Base of every data-source plug-in (template methods around ``_`` hooks).

    Subclasses set ``name``, ``config_class``, ``capabilities``, ``timeframes`` (bar periods
    they deliver) and register in :data:`DATA_SOURCES`. Sources are thread-safe to call.
    """

    name: ClassVar[str] = "source"
    config_class: ClassVar[type[DataSourceConfig]] = DataSourceConfig
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    timeframes: ClassVar[frozenset[Timeframe]] = frozenset()

    def __init__(self, config: DataSourceConfig | None = None, *,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        cfg = config if config is not None else self.config_class()
        if not isinstance(cfg, self.config_class):
            raise ValidationError(f"{self.name} needs a {self.config_class.__name__}",
                                  code="bad_source_config")
        self.config = cfg
        self._sleep = sleep
        self.rate_limit = TokenBucket(cfg.rate_limit_per_s, cfg.rate_limit_burst,
                                      name=self.name, sleep=sleep, clock=clock)
        self._health = SourceHealth()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    # -- plumbing ---------------------------------------------------------------------------

    def supports(self, capability: Capability | str) -> bool:
        return Capability(capability) in self.capabilities

    def require(self, capability: Capability) -> None:
        if capability not in self.capabilities:
            raise unsupported(self.name, capability.value)

    def health(self) -> dict[str, Any]:
        """``{"healthy", "successes", "failures", "last_success_ns", ..., "rate_tokens"}``."""
        snap = self._health.snapshot()
        snap["source"] = self.name
        snap["rate_tokens"] = round(self.rate_limit.available, 3)
        return snap

    def _call(self, fn: Callable[[], T]) -> T:
        """Run a hook, recording latency and outcome in the source's health."""
        t0 = time.perf_counter()
        try:
            out = fn()
        except NautilusError as exc:
            self._health.record_error(exc, time.perf_counter() - t0,
                                      failure=exc.code not in _CLIENT_ERROR_CODES)
            raise
        self._health.record_success(time.perf_counter() - t0)
        return out

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    # -- public methods (templates) ---------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> list[Instrument]:
        """Instruments (or series, as ``ECONOMIC`` instruments) matching ``query``."""
        self.require(Capability.SEARCH)
        if not query.strip():
            raise ValidationError("search query is empty", code="empty_query")
        return self._call(lambda: self._search(query.strip(), max(1, limit)))[:limit]

    def instrument(self, symbol: str) -> Instrument:
        """The instrument for ``symbol`` (or ``SYMBOL.VENUE``); NotFoundError naming it."""
        self.require(Capability.SEARCH)
        return self._call(lambda: self._instrument(symbol.strip()))

    def fetch_bars(self, instrument_id: str, timeframe: Timeframe | str, start_ns: int,
                   end_ns: int) -> BarBatch:
        """Bars closing in ``[start_ns, end_ns)`` with the report of rejected provider rows."""
        tf = Timeframe(timeframe)
        self.require(Capability.BARS)
        if tf.ns < Timeframe.D1.ns:
            self.require(Capability.INTRADAY)
        if self.timeframes and tf not in self.timeframes:
            raise ValidationError(
                f"{self.name} has no {tf.value} bars "
                f"(has {sorted(t.value for t in self.timeframes)})",
                code="unsupported_timeframe", source=self.name)
        if end_ns <= start_ns:
            raise ValidationError("end_ns must be after start_ns", code="bad_range")
        raw = self._call(lambda: self._bars(instrument_id, tf, int(start_ns), int(end_ns)))
        frame, rejected = clean_bars(raw)
        idx = frame.index.to_numpy()
        frame = frame.loc[(idx >= start_ns) & (idx < end_ns)]
        batch = BarBatch(frame, tuple(rejected), self.name, instrument_id, tf.value)
        if rejected:
            log.warning("%s rejected %d %s %s rows: %s", self.name, len(rejected), instrument_id,
                        tf.value, batch.report()["reasons"])
        return batch

    def bars(self, instrument_id: str, timeframe: Timeframe | str, start_ns: int,
             end_ns: int) -> pd.DataFrame:
        """Clean bar frame (index ``ts`` = close time ns UTC; float64 OHLCV columns)."""
        return self.fetch_bars(instrument_id, timeframe, start_ns, end_ns).frame

    def quote(self, instrument_id: str) -> Quote:
        """The latest quote (bid/ask; a last-price-only provider sets bid = ask = last)."""
        self.require(Capability.QUOTES)
        return self._call(lambda: self._quote(instrument_id))

    def corporate_actions(self, instrument_id: str, start_ns: int, end_ns: int) -> pd.DataFrame:
        """Dividends and splits: index ``ts`` (ex-date, ns UTC), columns ``dividend`` (cash per
        share, NaN if none) and ``split_ratio`` (new shares per old, NaN if none)."""
        self.require(Capability.BARS)
        return self._call(lambda: self._corporate_actions(instrument_id, start_ns, end_ns))

    def economic_series(self, series_id: str, start_ns: int | None = None,
                        end_ns: int | None = None, *, vintages: bool = False) -> pd.DataFrame:
        """Observations: columns ``period_ns`` (period start, ns UTC), ``value`` (float64) and
        ``ts_known`` (when the value became known, ns UTC); sorted by period then ts_known.
        With ``vintages`` every revision is a row, else only the latest value per period."""
        self.require(Capability.ECONOMIC)
        if vintages:
            self.require(Capability.VINTAGES)
        frame = self._call(lambda: self._economic_series(series_id, start_ns, end_ns, vintages))
        return frame.sort_values(["period_ns", "ts_known"], kind="stable").reset_index(drop=True)

    def company_facts(self, ticker_or_cik: str,
                      concepts: tuple[str, ...] = ()) -> list[CompanyFact]:
        """XBRL facts (all, or only ``concepts`` like ``us-gaap:Revenues``)."""
        self.require(Capability.FUNDAMENTALS)
        return self._call(lambda: self._company_facts(ticker_or_cik.strip(), concepts))

    def filings(self, ticker_or_cik: str, forms: tuple[str, ...] = (),
                limit: int = 100) -> list[Filing]:
        """Recent filings, newest first, optionally only ``forms`` (``10-K``, ``8-K``...)."""
        self.require(Capability.FILINGS)
        return self._call(lambda: self._filings(ticker_or_cik.strip(), forms, limit))[:limit]

    def dataset_search(self, query: str, limit: int = 20) -> list[Dataset]:
        """Catalogue datasets matching ``query``."""
        self.require(Capability.DATASETS)
        return self._call(lambda: self._dataset_search(query.strip(), max(1, limit)))[:limit]

    def dataset(self, dataset_id: str) -> Dataset:
        """One catalogue dataset with its resources."""
        self.require(Capability.DATASETS)
        return self._call(lambda: self._dataset(dataset_id.strip()))

    def calendar(self, start_ns: int, end_ns: int,
                 country: str | None = None) -> list[CalendarEvent]:
        """Economic releases scheduled in ``[start_ns, end_ns)``."""
        self.require(Capability.CALENDAR)
        if end_ns <= start_ns:
            raise ValidationError("end_ns must be after start_ns", code="bad_range")
        return self._call(lambda: self._calendar(start_ns, end_ns, country))

    def book_deltas(self, instrument_id: str, start_ns: int, end_ns: int) -> list[BookDelta]:
        """L2 order book changes in ``[start_ns, end_ns)``."""
        self.require(Capability.BOOK)
        return self._call(lambda: self._book_deltas(instrument_id, start_ns, end_ns))

    def subscribe_bars(self, instrument_id: str, timeframe: Timeframe | str,
                       callback: Callable[[Bar], None]) -> LiveSubscription:
        """Stream live bars to ``callback`` (called from the source's thread or loop)."""
        self.require(Capability.LIVE)
        return self._subscribe_bars(instrument_id, Timeframe(timeframe), callback)

    def subscribe_quotes(self, instrument_id: str,
                         callback: Callable[[Quote], None]) -> LiveSubscription:
        """Stream live quotes to ``callback``."""
        self.require(Capability.LIVE)
        self.require(Capability.QUOTES)
        return self._subscribe_quotes(instrument_id, callback)

    def unsubscribe(self, sub: LiveSubscription) -> None:
        """Stop a live stream; idempotent."""
        if sub.active:
            self._unsubscribe(sub)
            sub.active = False

    # -- hooks (override what the capabilities promise) -------------------------------------

    def _search(self, query: str, limit: int) -> list[Instrument]:
        raise unsupported(self.name, "search")

    def _instrument(self, symbol: str) -> Instrument:
        hits = [i for i in self._search(symbol.partition(".")[0], 10)
                if symbol in (i.id, i.symbol)]
        if not hits:
            raise NotFoundError(f"{self.name}: unknown symbol {symbol!r}", code="unknown_symbol",
                                source=self.name, symbol=symbol)
        return hits[0]

    def _bars(self, instrument_id: str, timeframe: Timeframe, start_ns: int,
              end_ns: int) -> pd.DataFrame:
        raise unsupported(self.name, "bars")

    def _quote(self, instrument_id: str) -> Quote:
        raise unsupported(self.name, "quotes")

    def _corporate_actions(self, instrument_id: str, start_ns: int, end_ns: int) -> pd.DataFrame:
        raise unsupported(self.name, "corporate actions")

    def _economic_series(self, series_id: str, start_ns: int | None, end_ns: int | None,
                         vintages: bool) -> pd.DataFrame:
        raise unsupported(self.name, "economic series")

    def _company_facts(self, ticker_or_cik: str, concepts: tuple[str, ...]) -> list[CompanyFact]:
        raise unsupported(self.name, "company facts")

    def _filings(self, ticker_or_cik: str, forms: tuple[str, ...], limit: int) -> list[Filing]:
        raise unsupported(self.name, "filings")

    def _dataset_search(self, query: str, limit: int) -> list[Dataset]:
        raise unsupported(self.name, "datasets")

    def _dataset(self, dataset_id: str) -> Dataset:
        raise unsupported(self.name, "datasets")

    def _calendar(self, start_ns: int, end_ns: int, country: str | None) -> list[CalendarEvent]:
        raise unsupported(self.name, "calendar")

    def _book_deltas(self, instrument_id: str, start_ns: int, end_ns: int) -> list[BookDelta]:
        raise unsupported(self.name, "book")

    def _subscribe_bars(self, instrument_id: str, timeframe: Timeframe,
                        callback: Callable[[Bar], None]) -> LiveSubscription:
        raise unsupported(self.name, "live bars")

    def _subscribe_quotes(self, instrument_id: str,
                          callback: Callable[[Quote], None]) -> LiveSubscription:
        raise unsupported(self.name, "live quotes")

    def _unsubscribe(self, sub: LiveSubscription) -> None:
        raise unsupported(self.name, "live streams")


def economic_frame(period_ns: Any, value: Any, ts_known: Any) -> pd.DataFrame:
    """Build the ``economic_series`` frame from three array-likes (ns, float, ns)."""
    return pd.DataFrame({
        "period_ns": np.asarray(period_ns, dtype=np.int64),
        "value": np.asarray(value, dtype=np.float64),
        "ts_known": np.asarray(ts_known, dtype=np.int64),
    })


DATA_SOURCES: Registry[type[DataSource]] = Registry("data_source")
"""Every data-source class by name, each with its config model (``spec(name).config``)."""
