"""Market data bodies. Times are int ns UTC; bar ``ts`` is the bar's close time."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nautilus.model import Instrument, Quote, Timeframe


class InstrumentOut(BaseModel):
    id: str
    symbol: str
    venue: str
    asset_class: str
    currency: str
    tick_size: str
    lot_size: str
    multiplier: str
    calendar: str
    exchange_tz: str
    name: str
    sector: str | None

    @classmethod
    def of(cls, i: Instrument) -> InstrumentOut:
        return cls(id=i.id, symbol=i.symbol, venue=i.venue, asset_class=i.asset_class.value,
                   currency=i.currency, tick_size=str(i.tick_size), lot_size=str(i.lot_size),
                   multiplier=str(i.multiplier), calendar=i.calendar,
                   exchange_tz=i.exchange_tz, name=i.name, sector=i.sector)


class BarOut(BaseModel):
    ts: int = Field(description="Bar close time, ns UTC.")
    open: float
    high: float
    low: float
    close: float
    volume: float


class BarsOut(BaseModel):
    instrument_id: str
    timeframe: str
    source: str = Field(description="Which source served the bars (store, yahoo, ...).")
    adjusted: bool
    count: int
    next_start: int | None = Field(
        None, description="Pass as `start` for the next page; null on the last page.")
    bars: list[BarOut]


class QuoteOut(BaseModel):
    instrument_id: str
    bid: float
    ask: float
    bid_size: float
    ask_size: float
    ts_event: int
    ts_init: int
    source: str | None = Field(None, description="The data source that served the quote.")

    @classmethod
    def of(cls, q: Quote, source: str | None = None) -> QuoteOut:
        return cls(instrument_id=q.instrument_id, bid=q.bid, ask=q.ask, bid_size=q.bid_size,
                   ask_size=q.ask_size, ts_event=q.ts_event, ts_init=q.ts_init, source=source)


class ObservationOut(BaseModel):
    period_ns: int
    value: float
    ts_known: int = Field(description="When the value became known (its vintage), ns UTC.")


class EconomicSeriesOut(BaseModel):
    series_id: str
    vintages: bool
    count: int
    observations: list[ObservationOut]


class SourceOut(BaseModel):
    name: str
    enabled: bool
    capabilities: list[str]
    timeframes: list[str]
    priority: int | None
    summary: str


class SourceHealthOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: str
    enabled: bool
    healthy: bool


class DataHealthOut(BaseModel):
    healthy: bool
    sources: list[SourceHealthOut]


class SourceToggleOut(BaseModel):
    name: str
    enabled: bool


class BackfillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument_id: str = Field(min_length=3, max_length=64)
    source: str = Field(min_length=1, max_length=32)
    timeframe: Timeframe = Timeframe.D1
    start: str = Field(description="ISO date/time (UTC if no offset) or int ns UTC.")
    end: str = Field(description="Exclusive end: ISO date/time or int ns UTC.")
    chunk_days: float | None = Field(None, gt=0, le=36500)
    resume: bool = True


class FactOut(BaseModel):
    cik: str
    ticker: str | None
    concept: str
    unit: str
    value: float
    period_end_ns: int
    ts_known: int
    form: str
    fiscal_year: int | None
    fiscal_period: str | None


class JsonRecords(BaseModel):
    """A list of provider records (filings, datasets) as plain JSON objects."""

    count: int
    items: list[dict[str, Any]]
