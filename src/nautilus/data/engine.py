"""The market data engine: sources with failover, catalogue, bar storage, backfill, live.

Conventions: time is int ns UTC; bar frames are indexed by ``ts`` = bar close time; ranges are
half-open ``[start_ns, end_ns)``.

* **Sources** are built from ``config.data.sources`` (name -> settings, each validated by that
  source's config model); with none configured the offline ``synthetic`` source is used. The
  ``replay`` source is always there for live replays. Sources can be enabled or disabled at
  run time.
* **Failover**: a bar request walks the priority list (default: ``store``, then the configured
  sources in config order; ``config.data.priority`` when that field exists). ``store`` is the
  local bar storage, which also serves 5m..1d bars resampled from stored 1-minute bars and
  weekly/monthly bars from stored daily (else 1-minute) bars. A
  source that is disabled, lacks the capability, is unavailable or does not know the symbol is
  skipped; bars fetched from a source are validated and stored on the way through.
* **Quotes** walk the same priority list (``store`` keeps none): a fresh live-stream quote
  first, then healthy quoting sources, then unhealthy ones as a last resort; the answer names
  its source, and a 404 ``no_quote`` names the sources tried and skipped.
* **Health**: per source (calls, failures, latency, enabled) and aggregate.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pandas as pd

from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import (
    NautilusError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)
from nautilus.core.time import NS_PER_DAY, now_ns
from nautilus.data import jobs as data_jobs
from nautilus.data import sources as _sources  # noqa: F401 - registers DATA_SOURCES
from nautilus.data.backfill import BackfillProgress, BackfillResult, Checkpoints, run_backfill
from nautilus.data.base import DATA_SOURCES, Capability, Dataset, DataSource, Filing, empty_bars
from nautilus.data.catalog import CorporateActions, InstrumentCatalog, Markers
from nautilus.data.live import LiveFeed, Stream
from nautilus.data.resample import (
    CALENDAR_PERIODS,
    LOOKBACK_NS,
    RESAMPLE_TARGETS,
    Sessions,
    resample_bars,
    sessions_for,
)
from nautilus.data.sources.replay import ReplaySource
from nautilus.data.storage import BarStore
from nautilus.data.validation import IngestReport, ingest
from nautilus.model import CompanyFact, Instrument, Quote, Timeframe

log = logging.getLogger(__name__)

STORE = "store"
MAX_BARS_PER_REQUEST = 500_000
"""Largest number of bar periods one read may span (422 ``range_too_large`` beyond)."""


def build_sources(settings: dict[str, dict[str, Any]]) -> dict[str, DataSource]:
    """Instantiate configured sources (NotFoundError for an unknown name; pydantic errors for
    bad settings), plus ``synthetic`` when none is configured and ``replay`` always."""
    wanted = dict(settings) if settings else {"synthetic": {}}
    wanted.setdefault("replay", {})
    out: dict[str, DataSource] = {}
    for name, cfg in wanted.items():
        cls = DATA_SOURCES.get(name)
        out[name] = cls(cls.config_class.model_validate(cfg or {}))
    return out


def check_range(start_ns: int, end_ns: int, timeframe: Timeframe | str) -> None:
    """422 for an inverted range or one spanning more than ``MAX_BARS_PER_REQUEST`` bars."""
    tf = Timeframe(timeframe)
    if end_ns <= start_ns:
        raise ValidationError(f"end ({end_ns}) must be after start ({start_ns})",
                              code="bad_range", start_ns=start_ns, end_ns=end_ns)
    periods = (end_ns - start_ns) // tf.ns
    if tf.ns < NS_PER_DAY and periods > MAX_BARS_PER_REQUEST:
        raise ValidationError(
            f"range spans {periods} {tf.value} bars; the limit is {MAX_BARS_PER_REQUEST}",
            code="range_too_large", limit=MAX_BARS_PER_REQUEST)


@ENGINES.register("data")
class DataEngine(Engine):
    """Market data engine (see the module docstring)."""

    name = "data"

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self.catalog = InstrumentCatalog(ctx.db)
        self.actions = CorporateActions(ctx.db)
        self.markers = Markers(ctx.db)
        self.checkpoints = Checkpoints(ctx.db)
        self.bars = BarStore(ctx.timeseries)
        self.sources = build_sources(ctx.config.data.sources)
        self.enabled = {name: True for name in self.sources}
        configured = getattr(ctx.config.data, "priority", None)
        default = [STORE, *(n for n in self.sources if n != "replay")]
        self.priority: list[str] = list(configured) if configured else default
        self.live = LiveFeed(ctx.bus, ctx.metrics)
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self.live.start()
        super().start()

    def stop(self) -> None:
        self.live.stop()
        for src in self.sources.values():
            try:
                src.close()
            except Exception:
                log.exception("closing source %s failed", src.name)
        super().stop()

    def health(self) -> dict[str, Any]:
        """Aggregate: healthy if running and at least one enabled source (or the store) is."""
        sources = self.source_health()
        usable = [s for s in sources if s["enabled"] and s["healthy"]]
        return {"healthy": self.running and bool(usable), "sources": sources,
                "live_streams": len(self.live.streams)}

    def status(self) -> dict[str, Any]:
        return {"name": self.name, "running": self.running, "priority": list(self.priority),
                "sources": sorted(self.sources)}

    # -- sources ------------------------------------------------------------------------------

    def source(self, name: str) -> DataSource:
        try:
            return self.sources[name]
        except KeyError:
            raise NotFoundError(f"unknown data source {name!r} (configured: "
                                f"{', '.join(sorted(self.sources))})", code="unknown_source",
                                source=name) from None

    def list_sources(self) -> list[dict[str, Any]]:
        """Configured sources: name, enabled, capabilities, timeframes, priority rank."""
        out = []
        for name, src in self.sources.items():
            out.append({"name": name, "enabled": self.enabled[name],
                        "capabilities": sorted(c.value for c in src.capabilities),
                        "timeframes": sorted(t.value for t in src.timeframes),
                        "priority": (self.priority.index(name) if name in self.priority
                                     else None),
                        "summary": DATA_SOURCES.spec(name).summary})
        return out

    def source_health(self) -> list[dict[str, Any]]:
        out = [{"source": STORE, "enabled": True, **self.ctx.timeseries.health()}]
        for name, src in self.sources.items():
            out.append({**src.health(), "enabled": self.enabled[name]})
        return out

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        """Enable or disable a source at run time."""
        self.source(name)
        self.enabled[name] = enabled
        log.info("data source %s %s", name, "enabled" if enabled else "disabled")
        return {"name": name, "enabled": enabled}

    def add_source(self, source: DataSource, *, rank: int | None = None) -> None:
        """Add (or replace) a built source at run time, e.g. one with its own transport;
        ``rank`` places it in the priority list (default: last)."""
        old = self.sources.get(source.name)
        if old is not None and old is not source:
            old.close()
        self.sources[source.name] = source
        self.enabled[source.name] = True
        if source.name not in self.priority and source.name != "replay":
            self.priority.insert(len(self.priority) if rank is None else rank, source.name)

    def set_priority(self, names: list[str]) -> list[str]:
        unknown = [n for n in names if n != STORE and n not in self.sources]
        if unknown:
            self.source(unknown[0])
        self.priority = list(names)
        return self.priority

    def _usable(self, name: str, capability: Capability) -> DataSource | None:
        src = self.sources.get(name)
        if src is None or not self.enabled[name] or not src.supports(capability):
            return None
        return src

    def _route(self, capability: Capability, source: str | None) -> DataSource:
        if source is not None:
            src = self.source(source)
            if not self.enabled[source]:
                raise UnavailableError(f"data source {source!r} is disabled",
                                       code="source_disabled", source=source)
            src.require(capability)
            return src
        for name in [*self.priority, *self.sources]:
            found = self._usable(name, capability)
            if found is not None:
                return found
        raise NotFoundError(f"no enabled data source provides {capability.value}",
                            code="no_source", capability=capability.value)

    # -- instruments --------------------------------------------------------------------------

    def register_instruments(self, instruments: list[Instrument], source: str = "") -> int:
        return self.catalog.upsert(instruments, source=source)

    def search_instruments(self, query: str = "", *, asset_class: str | None = None,
                           limit: int = 50, offset: int = 0) -> list[Instrument]:
        return self.catalog.search(query, asset_class=asset_class, limit=limit, offset=offset)

    def instrument(self, instrument_id: str) -> Instrument:
        """From the catalogue, else the first source that knows it (then catalogued)."""
        found = self.catalog.find(instrument_id)
        if found is not None:
            return found
        for name in self.priority:
            src = self._usable(name, Capability.SEARCH)
            if src is None:
                continue
            try:
                inst = src.instrument(instrument_id)
            except (NotFoundError, UnavailableError, RateLimitedError):
                continue
            self.catalog.upsert([inst], source=name)
            return inst
        raise NotFoundError(f"unknown instrument {instrument_id!r}", code="unknown_symbol",
                            symbol=instrument_id)

    def sessions(self, instrument_id: str) -> Sessions | None:
        """Trading sessions of the instrument's calendar (None if it is not catalogued)."""
        inst = self.catalog.find(instrument_id)
        return None if inst is None else sessions_for(inst.calendar, inst.exchange_tz)

    # -- bars ---------------------------------------------------------------------------------

    def ingest_bars(self, instrument_id: str, timeframe: Timeframe | str, frame: pd.DataFrame,
                    *, source: str = "import", strict: bool = False,
                    check_gaps: bool = True) -> IngestReport:
        """Validate and store bars (see :func:`nautilus.data.validation.ingest`)."""
        sessions = self.sessions(instrument_id) if check_gaps else None
        return ingest(self.bars, frame, instrument_id, timeframe, source=source,
                      sessions=sessions, strict=strict)

    def _from_store(self, instrument_id: str, tf: Timeframe, start_ns: int,
                    end_ns: int) -> pd.DataFrame | None:
        if self.bars.exists(instrument_id, tf):
            frame = self.bars.read(instrument_id, tf, start_ns, end_ns)
            return frame if len(frame) else None
        if tf not in RESAMPLE_TARGETS:
            return None
        # weeks and months come from stored daily bars when they cover the range (390x fewer
        # rows than 1-minute bars), else from 1-minute bars
        bases = [Timeframe.D1, Timeframe.M1] if tf in CALENDAR_PERIODS else [Timeframe.M1]
        lookback = LOOKBACK_NS.get(tf, NS_PER_DAY)
        for base_tf in bases:
            if not self.bars.exists(instrument_id, base_tf):
                continue
            base = self.bars.read(instrument_id, base_tf, start_ns - lookback, end_ns)
            frame = resample_bars(base, tf, self.sessions(instrument_id), source_timeframe=base_tf)
            idx = frame.index.to_numpy()
            frame = frame.loc[(idx >= start_ns) & (idx < end_ns)]
            if len(frame):
                return frame
        return None

    def get_bars(self, instrument_id: str, timeframe: Timeframe | str, start_ns: int,
                 end_ns: int, *, adjusted: bool = False, source: str | None = None,
                 store_fetched: bool = True) -> tuple[pd.DataFrame, str]:
        """``(bars, served_by)`` walking the priority list (or only ``source``).

        NotFoundError names the symbol when no source knows it; UnavailableError when every
        source that might have it is down.
        """
        tf = Timeframe(timeframe)
        check_range(start_ns, end_ns, tf)
        order = [source] if source is not None else list(self.priority)
        if source is not None and source != STORE:
            self.source(source)
        errors: dict[str, NautilusError] = {}
        empty_from: str | None = None
        for name in order:
            if name == STORE:
                frame = self._from_store(instrument_id, tf, start_ns, end_ns)
                if frame is None:
                    continue
                served = STORE
            else:
                src = self._usable(name, Capability.BARS)
                if src is None:
                    continue
                try:
                    batch = src.fetch_bars(instrument_id, tf, start_ns, end_ns)
                except (UnavailableError, RateLimitedError, NotFoundError,
                        ValidationError) as exc:
                    errors[name] = exc
                    log.info("bars %s %s from %s failed (%s); next source", instrument_id,
                             tf.value, name, exc.code)
                    continue
                if batch.frame.empty:
                    empty_from = empty_from or name
                    continue
                frame, served = batch.frame, name
                if store_fetched:
                    self.ingest_bars(instrument_id, tf, frame, source=name, check_gaps=False)
            if adjusted:
                frame = self.actions.adjust(instrument_id, frame)
            return frame, served
        down = [k for k, e in errors.items() if isinstance(e, (UnavailableError,
                                                                 RateLimitedError))]
        if empty_from is None and down and len(down) == len(errors):
            raise UnavailableError(f"no source could serve {instrument_id}: "
                                   + "; ".join(f"{k}: {errors[k].code}" for k in down),
                                   code="sources_unavailable", symbol=instrument_id)
        if empty_from is not None or self.catalog.find(instrument_id) is not None:
            return empty_bars(), empty_from or STORE
        raise NotFoundError(f"unknown symbol {instrument_id!r} (tried "
                            f"{', '.join(order)})", code="unknown_symbol",
                            symbol=instrument_id, tried=order)

    def bars_frame(self, instrument_id: str, timeframe: Timeframe | str, start_ns: int,
                   end_ns: int, **kw: Any) -> pd.DataFrame:
        return self.get_bars(instrument_id, timeframe, start_ns, end_ns, **kw)[0]

    def add_corporate_actions(self, instrument_id: str, actions: pd.DataFrame,
                              source: str = "") -> int:
        return self.actions.add(instrument_id, actions, source=source)

    # -- quotes and reference data ------------------------------------------------------------

    def latest_quote(self, instrument_id: str, source: str | None = None) -> Quote:
        """The quote of :meth:`get_quote` without the name of the source that served it."""
        return self.get_quote(instrument_id, source)[0]

    def _live_quote(self, instrument_id: str) -> tuple[Quote, str] | None:
        """The last pushed quote, unless its stream went stale or its source was disabled."""
        quote = self.live.latest_quotes.get(instrument_id)
        if quote is None:
            return None
        stream = self.live.streams.get(f"quotes:{instrument_id}")
        if stream is None:
            return quote, "live"
        if stream.stale or not self.enabled.get(stream.source, True):
            return None
        return quote, stream.source

    def get_quote(self, instrument_id: str, source: str | None = None) -> tuple[Quote, str]:
        """``(quote, served_by)``: the live quote, else the first answer along the priority list.

        Without ``source``: a fresh live-stream quote wins; otherwise the priority list (the
        one bar requests walk) is walked, skipping ``store`` (it keeps no quotes), disabled
        sources and sources without the quotes capability. Healthy sources are asked first;
        unhealthy ones (too many consecutive failures) only when no healthy one answered, so
        that they can recover. With ``source`` only that source is asked (404 if unknown, 503
        if disabled, 422 if it has no quotes).

        Raises:
            NotFoundError: ``no_quote`` when no source answered; the problem body names the
                instrument (``symbol``), the sources asked with their error codes (``tried``)
                and the ones skipped with the reason (``skipped``).
            UnavailableError: ``sources_unavailable`` (503, same body) when every source asked
                was down or rate-limited, as for bars.
        """
        if source is not None:
            return self._route(Capability.QUOTES, source).quote(instrument_id), source
        live = self._live_quote(instrument_id)
        if live is not None:
            return live
        skipped: dict[str, str] = {}
        healthy: list[DataSource] = []
        unhealthy: list[DataSource] = []
        for name in dict.fromkeys(self.priority):
            candidate = self.sources.get(name)
            if candidate is None or not candidate.supports(Capability.QUOTES):
                skipped[name] = "no_quotes"
            elif not self.enabled[name]:
                skipped[name] = "disabled"
            else:
                (healthy if candidate.health()["healthy"] else unhealthy).append(candidate)
        tried: dict[str, str] = {}
        down: list[str] = []
        for src in [*healthy, *unhealthy]:
            try:
                return src.quote(instrument_id), src.name
            except (UnavailableError, RateLimitedError, NotFoundError, ValidationError) as exc:
                tried[src.name] = exc.code
                if isinstance(exc, (UnavailableError, RateLimitedError)):
                    down.append(src.name)
                log.info("quote %s from %s failed (%s); next source", instrument_id, src.name,
                         exc.code)
        asked = ", ".join(f"{k} ({v})" for k, v in tried.items()) or "none"
        passed = ", ".join(f"{k} ({v})" for k, v in skipped.items()) or "none"
        detail = f"no quote for {instrument_id!r}: tried {asked}; skipped {passed}"
        if tried and len(down) == len(tried):
            # every source asked was down or throttled: the quote may exist (as for bars, 503)
            raise UnavailableError(detail, code="sources_unavailable", symbol=instrument_id,
                                   tried=tried, skipped=skipped)
        raise NotFoundError(detail, code="no_quote", symbol=instrument_id, tried=tried,
                            skipped=skipped)

    def economic_series(self, series_id: str, start_ns: int | None = None,
                        end_ns: int | None = None, *, vintages: bool = False,
                        source: str | None = None) -> pd.DataFrame:
        cap = Capability.VINTAGES if vintages else Capability.ECONOMIC
        return self._route(cap, source).economic_series(series_id, start_ns, end_ns,
                                                        vintages=vintages)

    def company_facts(self, ticker_or_cik: str, concepts: tuple[str, ...] = (),
                      source: str | None = None) -> list[CompanyFact]:
        return self._route(Capability.FUNDAMENTALS, source).company_facts(ticker_or_cik,
                                                                          concepts)

    def filings(self, ticker_or_cik: str, forms: tuple[str, ...] = (), limit: int = 100,
                source: str | None = None) -> list[Filing]:
        return self._route(Capability.FILINGS, source).filings(ticker_or_cik, forms, limit)

    def dataset_search(self, query: str, limit: int = 20,
                       source: str | None = None) -> list[Dataset]:
        return self._route(Capability.DATASETS, source).dataset_search(query, limit)

    # -- backfill -----------------------------------------------------------------------------

    def backfill(self, instrument_id: str, timeframe: Timeframe | str, start_ns: int,
                 end_ns: int, *, source: str, resume: bool = True,
                 chunk_ns: int | None = None, **kw: Any) -> BackfillResult:
        """Run a backfill in this process; :class:`BackfillProgress` on
        ``data.backfill.<checkpoint id>`` after every chunk."""
        from nautilus.data.backfill import checkpoint_id

        src = self.source(source)
        if not self.enabled[source]:
            raise UnavailableError(f"data source {source!r} is disabled", code="source_disabled",
                                   source=source)
        tf = Timeframe(timeframe)
        if end_ns <= start_ns:
            raise ValidationError("end must be after start", code="bad_range")
        topic = "data.backfill." + checkpoint_id(source, instrument_id, tf.value, start_ns,
                                                 end_ns)
        user_progress = kw.pop("progress", None)

        def progress(fraction: float, message: str, state: dict[str, Any]) -> None:
            self.ctx.bus.publish(topic, BackfillProgress(
                checkpoint_id=state["checkpoint_id"], status=state["status"],
                instrument_id=instrument_id, timeframe=tf.value, source=source,
                fraction=fraction, message=message, rows=state["rows"], next_ns=state["next_ns"],
                ts_event=now_ns()))
            if user_progress is not None:
                user_progress(fraction, message, state)

        return run_backfill(src, self.bars, self.checkpoints, instrument_id, tf, start_ns,
                            end_ns, chunk_ns=chunk_ns, resume=resume, progress=progress, **kw)

    def submit_backfill(self, instrument_id: str, timeframe: Timeframe | str, start: str,
                        end: str, *, source: str, owner_id: str | None = None,
                        chunk_days: float | None = None, resume: bool = True) -> str:
        """Submit the ``data.backfill`` job against this platform's stores; returns its id."""
        self.source(source)
        try:
            start_ns, end_ns = data_jobs.parse_time(start), data_jobs.parse_time(end)
        except (ValueError, TypeError):
            raise ValidationError(f"start {start!r} / end {end!r} must be ISO times or int ns",
                                  code="bad_time") from None
        if end_ns <= start_ns:
            raise ValidationError("end must be after start", code="bad_range")
        cfg = self.ctx.config
        ts_backend = cfg.timeseries.backend
        if ts_backend == "postgres":
            location = cfg.timeseries.url or cfg.database_url or ""
        else:
            location = str((cfg.data_dir / "timeseries").resolve())
        inst = self.catalog.find(instrument_id)
        params = {
            "source": source, "source_config": dict(cfg.data.sources.get(source, {})),
            "instrument_id": instrument_id, "timeframe": Timeframe(timeframe).value,
            "start": str(start_ns), "end": str(end_ns), "chunk_days": chunk_days,
            "resume": resume, "database_url": cfg.sqlalchemy_url,
            "timeseries_backend": ts_backend, "timeseries_location": location,
            "calendar": inst.calendar if inst is not None else "XNYS",
        }
        return self.ctx.jobs.submit(data_jobs.BACKFILL_JOB, params, owner_id=owner_id)

    # -- live ---------------------------------------------------------------------------------

    @property
    def replay(self) -> ReplaySource:
        src = self.sources["replay"]
        assert isinstance(src, ReplaySource)
        return src

    def load_replay(self, instrument_id: str, timeframe: Timeframe | str,
                    start_ns: int | None = None, end_ns: int | None = None) -> int:
        """Hand stored bars to the replay source; returns the number of bars loaded."""
        frame = self.bars.read(instrument_id, timeframe, start_ns, end_ns)
        self.replay.load(instrument_id, timeframe, frame)
        return len(frame)

    def _live_source(self, source: str | None, capability: Capability) -> DataSource:
        if source is not None:
            src = self.source(source)
            src.require(Capability.LIVE)
            return src
        for name in [*self.priority, *self.sources]:
            found = self._usable(name, Capability.LIVE)
            if found is not None and found.supports(capability):
                return found
        raise NotFoundError("no enabled live source", code="no_source", capability="live")

    def subscribe_bars(self, instrument_id: str, timeframe: Timeframe | str,
                       source: str | None = None) -> Stream:
        """Publish live bars on ``data.bars.<instrument_id>.<timeframe>``."""
        return self.live.subscribe_bars(self._live_source(source, Capability.BARS),
                                        instrument_id, timeframe)

    def subscribe_quotes(self, instrument_id: str, source: str | None = None) -> Stream:
        """Publish live quotes on ``data.quotes.<instrument_id>``."""
        return self.live.subscribe_quotes(self._live_source(source, Capability.QUOTES),
                                          instrument_id)

    def unsubscribe(self, key: str) -> None:
        self.live.unsubscribe(key, self.sources)
