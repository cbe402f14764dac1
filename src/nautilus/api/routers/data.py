"""Market data: instruments, bars (json/csv/arrow), quotes, economic series, company facts
and filings, datasets, sources (list, health, enable/disable), backfill jobs.

Handlers are thin: parse, call a public :class:`~nautilus.data.engine.DataEngine` method,
return a schema. Times in queries are ISO-8601 (UTC when no offset) or int ns UTC.
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

import msgspec
import numpy as np
from fastapi import APIRouter, Depends, Path, Query, Response

from nautilus.api.deps import Admin, Page, PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.data import (
    BackfillRequest,
    BarOut,
    BarsOut,
    DataHealthOut,
    EconomicSeriesOut,
    FactOut,
    InstrumentOut,
    JsonRecords,
    ObservationOut,
    QuoteOut,
    SourceHealthOut,
    SourceOut,
    SourceToggleOut,
)
from nautilus.api.schemas.jobs import JobAccepted
from nautilus.core.errors import ValidationError
from nautilus.data.engine import DataEngine
from nautilus.data.jobs import parse_time
from nautilus.model import Timeframe
from nautilus.platform import Platform

router = APIRouter(prefix="/api/v1/data", tags=["data"])

InstrumentId = Annotated[str, Path(min_length=3, max_length=64, pattern=r"^[\w^=\-]+(\.[\w\-]+)+$")]
SourceName = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
ARROW = "application/vnd.apache.arrow.stream"


async def get_data_engine(platform: PlatformDep) -> DataEngine:
    engine = _engine(platform)
    return engine


def _engine(platform: Platform) -> DataEngine:
    engine = platform.engine("data")
    assert isinstance(engine, DataEngine)
    return engine


DataDep = Annotated[DataEngine, Depends(get_data_engine)]


def _time(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except (ValueError, TypeError):
        raise ValidationError(f"{name} {value!r} is not an ISO time or int ns",
                              code="bad_time", parameter=name) from None


@router.get("/instruments", response_model=list[InstrumentOut], summary="Search instruments",
            responses=problem_responses(*AUTHED))
def search_instruments(
    _: Reader, engine: DataDep, page: Page,
    q: Annotated[str, Query(max_length=64, description="Text in id, name or sector")] = "",
    asset_class: Annotated[str | None, Query(max_length=16)] = None,
) -> list[InstrumentOut]:
    found = engine.search_instruments(q, asset_class=asset_class, limit=page.limit,
                                      offset=page.offset)
    return [InstrumentOut.of(i) for i in found]


@router.get("/instruments/{instrument_id}", response_model=InstrumentOut,
            summary="One instrument", responses=problem_responses(*AUTHED, 404))
def instrument_details(instrument_id: InstrumentId, _: Reader, engine: DataDep) -> InstrumentOut:
    return InstrumentOut.of(engine.instrument(instrument_id))


@router.get("/bars/{instrument_id}", response_model=BarsOut, summary="Bars of an instrument",
            responses={**problem_responses(*AUTHED, 404, 503),
                       200: {"content": {"text/csv": {}, ARROW: {}}}})
def bars(
    instrument_id: InstrumentId, _: Reader, engine: DataDep, page: Page,
    start: Annotated[str, Query(description="First close time (inclusive)")],
    end: Annotated[str, Query(description="Last close time (exclusive)")],
    timeframe: Timeframe = Timeframe.D1,
    adjusted: Annotated[bool, Query(description="Split/dividend back-adjusted")] = False,
    source: Annotated[str | None, Query(max_length=32)] = None,
    format: Literal["json", "csv", "arrow"] = "json",
) -> BarsOut | Response:
    start_ns, end_ns = _time(start, "start"), _time(end, "end")
    assert start_ns is not None and end_ns is not None
    frame, served = engine.get_bars(instrument_id, timeframe, start_ns, end_ns,
                                    adjusted=adjusted, source=source)
    frame = frame.iloc[page.offset:page.offset + page.limit + 1]
    next_start = int(frame.index[page.limit]) if len(frame) > page.limit else None
    frame = frame.iloc[:page.limit]
    headers = {"X-Data-Source": served}
    if next_start is not None:
        headers["X-Next-Start"] = str(next_start)
    if format == "csv":
        buf = io.StringIO()
        frame.to_csv(buf, index=True, float_format="%.10g")
        return Response(buf.getvalue(), media_type="text/csv", headers=headers)
    if format == "arrow":
        import pyarrow as pa

        table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return Response(sink.getvalue().to_pybytes(), media_type=ARROW, headers=headers)
    ts = frame.index.to_numpy(dtype=np.int64).tolist()
    cols = [frame[c].to_numpy().tolist() for c in ("open", "high", "low", "close", "volume")]
    out = [BarOut(ts=t, open=o, high=h, low=lo, close=c, volume=v)
           for t, o, h, lo, c, v in zip(ts, *cols, strict=True)]
    return BarsOut(instrument_id=instrument_id, timeframe=Timeframe(timeframe).value,
                   source=served, adjusted=adjusted, count=len(out), next_start=next_start,
                   bars=out)


@router.get("/quotes/{instrument_id}", response_model=QuoteOut, summary="Latest quote",
            description="The live quote, else the first answer along the source priority "
                        "list (disabled, unhealthy and non-quoting sources skipped); the "
                        "serving source is in `source` and `X-Data-Source`. 404 `no_quote` "
                        "names the sources tried and skipped.",
            responses=problem_responses(*AUTHED, 404, 422, 503))
def latest_quote(instrument_id: InstrumentId, _: Reader, engine: DataDep, response: Response,
                 source: Annotated[str | None, Query(max_length=32)] = None) -> QuoteOut:
    quote, served = engine.get_quote(instrument_id, source)
    response.headers["X-Data-Source"] = served
    return QuoteOut.of(quote, served)


@router.get("/economic/{series_id}", response_model=EconomicSeriesOut,
            summary="Economic series (latest values, or every vintage)",
            responses=problem_responses(*AUTHED, 404, 503))
def economic_series(
    series_id: Annotated[str, Path(min_length=1, max_length=64)], _: Reader, engine: DataDep,
    start: str | None = None, end: str | None = None, vintages: bool = False,
    source: Annotated[str | None, Query(max_length=32)] = None,
) -> EconomicSeriesOut:
    frame = engine.economic_series(series_id, _time(start, "start"), _time(end, "end"),
                                   vintages=vintages, source=source)
    obs = [ObservationOut(period_ns=int(p), value=float(v), ts_known=int(k))
           for p, v, k in frame[["period_ns", "value", "ts_known"]].itertuples(index=False)]
    return EconomicSeriesOut(series_id=series_id, vintages=vintages, count=len(obs),
                             observations=obs)


@router.get("/companies/{ticker}/facts", response_model=list[FactOut],
            summary="Company XBRL facts", responses=problem_responses(*AUTHED, 404, 503))
def company_facts(
    ticker: Annotated[str, Path(min_length=1, max_length=16)], _: Reader, engine: DataDep,
    concept: Annotated[list[str] | None, Query(max_length=50)] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
) -> list[FactOut]:
    facts = engine.company_facts(ticker, tuple(concept or ()), source=source)
    return [FactOut.model_validate(msgspec.to_builtins(f)) for f in facts]


@router.get("/companies/{ticker}/filings", response_model=JsonRecords, summary="Filings",
            responses=problem_responses(*AUTHED, 404, 503))
def filings(
    ticker: Annotated[str, Path(min_length=1, max_length=16)], _: Reader, engine: DataDep,
    page: Page, form: Annotated[list[str] | None, Query(max_length=20)] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
) -> JsonRecords:
    items = engine.filings(ticker, tuple(form or ()), page.limit, source=source)
    return JsonRecords(count=len(items), items=[msgspec.to_builtins(f) for f in items])


@router.get("/datasets", response_model=JsonRecords, summary="Search public datasets",
            responses=problem_responses(*AUTHED, 404, 503))
def dataset_search(
    _: Reader, engine: DataDep, page: Page,
    q: Annotated[str, Query(min_length=1, max_length=128)],
    source: Annotated[str | None, Query(max_length=32)] = None,
) -> JsonRecords:
    items = engine.dataset_search(q, page.limit, source=source)
    return JsonRecords(count=len(items), items=[msgspec.to_builtins(d) for d in items])


@router.get("/sources", response_model=list[SourceOut], summary="Configured data sources",
            responses=problem_responses(*AUTHED))
def list_sources(_: Reader, engine: DataDep) -> list[SourceOut]:
    return [SourceOut.model_validate(s) for s in engine.list_sources()]


@router.get("/sources/health", response_model=DataHealthOut,
            summary="Per-source and aggregate health", responses=problem_responses(*AUTHED))
def sources_health(_: Reader, engine: DataDep) -> DataHealthOut:
    report = engine.health()
    return DataHealthOut(healthy=report["healthy"],
                         sources=[SourceHealthOut.model_validate(s) for s in report["sources"]])


@router.post("/sources/{name}/enable", response_model=SourceToggleOut,
             summary="Enable a source (admin)", responses=problem_responses(*AUTHED, 404))
def enable_source(name: SourceName, _: Admin, engine: DataDep) -> SourceToggleOut:
    return SourceToggleOut.model_validate(engine.set_enabled(name, True))


@router.post("/sources/{name}/disable", response_model=SourceToggleOut,
             summary="Disable a source (admin)", responses=problem_responses(*AUTHED, 404))
def disable_source(name: SourceName, _: Admin, engine: DataDep) -> SourceToggleOut:
    return SourceToggleOut.model_validate(engine.set_enabled(name, False))


@router.post("/backfills", response_model=JobAccepted, status_code=202,
             summary="Start a backfill job", responses=problem_responses(*AUTHED, 404))
def submit_backfill(body: BackfillRequest, principal: Trader, engine: DataDep) -> JobAccepted:
    job_id = engine.submit_backfill(body.instrument_id, body.timeframe, body.start, body.end,
                                    source=body.source, owner_id=principal.user_id,
                                    chunk_days=body.chunk_days, resume=body.resume)
    return JobAccepted(job_id=job_id)
