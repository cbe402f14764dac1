"""Market and reference data values as they travel on the bus.

Single values are frozen msgspec Structs (prices as float64 here: market data is measured, not
booked; orders and fills convert to Decimal at the instrument's precision). Bulk series are
columnar frames (see ``BAR_COLUMNS``) indexed by ``ts`` = bar close time, int ns UTC.

Bar timestamps: ``ts_event`` is the bar's *close* time. A bar is only visible to a strategy at
or after its close, which is what keeps backtests free of look-ahead.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

import msgspec

from nautilus.bus.base import message_type

BAR_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


class Timeframe(StrEnum):
    """Bar aggregation periods; ``ns`` gives the length in nanoseconds."""

    S1 = "1s"
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"
    W1 = "1w"
    MO1 = "1mo"

    @property
    def ns(self) -> int:
        unit = {
            "s": 1_000_000_000,
            "m": 60_000_000_000,
            "h": 3_600_000_000_000,
            "d": 86_400_000_000_000,
            "w": 7 * 86_400_000_000_000,
            "mo": 30 * 86_400_000_000_000,
        }
        v = self.value
        suffix = "mo" if v.endswith("mo") else v[-1]
        return int(v[: -len(suffix)]) * unit[suffix]


@message_type
class Bar(msgspec.Struct, frozen=True, kw_only=True):
    instrument_id: str
    timeframe: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    ts_event: int
    ts_init: int


@message_type
class Quote(msgspec.Struct, frozen=True, kw_only=True):
    instrument_id: str
    bid: float
    ask: float
    bid_size: float
    ask_size: float
    ts_event: int
    ts_init: int


class AggressorSide(IntEnum):
    NONE = 0
    BUYER = 1
    SELLER = 2


@message_type
class Trade(msgspec.Struct, frozen=True, kw_only=True):
    instrument_id: str
    price: float
    size: float
    aggressor: AggressorSide
    trade_id: str
    ts_event: int
    ts_init: int


class BookAction(IntEnum):
    ADD = 1
    UPDATE = 2
    DELETE = 3
    CLEAR = 4


class BookSide(IntEnum):
    BID = 1
    ASK = 2


@message_type
class BookDelta(msgspec.Struct, frozen=True, kw_only=True):
    """One change to an order book (L2: ``order_id`` 0 = the price level; L3: an order)."""

    instrument_id: str
    action: BookAction
    side: BookSide
    price: float
    size: float
    order_id: int
    sequence: int
    ts_event: int
    ts_init: int


@message_type
class EconomicObservation(msgspec.Struct, frozen=True, kw_only=True):
    """A macro value for ``period`` that became known at ``ts_known`` (its vintage/release)."""

    series_id: str
    period_ns: int
    value: float
    ts_known: int
    source: str


@message_type
class CompanyFact(msgspec.Struct, frozen=True, kw_only=True):
    """An XBRL fact (e.g. us-gaap:Revenues) for a fiscal period, known from its filing date."""

    cik: str
    ticker: str | None
    concept: str
    unit: str
    value: float
    period_end_ns: int
    ts_known: int
    form: str
    fiscal_year: int | None = None
    fiscal_period: str | None = None
    accession: str | None = None
