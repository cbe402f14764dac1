"""Analytics bodies: return series, attribution periods, orders, tearsheets.

Series are float lists (simple per-period returns unless named ``values``: end-of-day
portfolio values); figures follow :mod:`nautilus.analytics.metrics` (annualised at
``periods_per_year``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_POINTS = 100_000
Ret = Annotated[float, Field(ge=-1, le=100)]
"""A simple per-period return: a loss of at most everything, a gain of at most 100×."""
Value = Annotated[float, Field(ge=-1e15, le=1e15)]
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2200, 12, 31))]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricsIn(_In):
    returns: list[Ret] = Field(min_length=2, max_length=MAX_POINTS)
    benchmark: list[Ret] | None = Field(None, max_length=MAX_POINTS)
    periods_per_year: float = Field(252.0, gt=0, le=100_000)


class PerformanceIn(_In):
    values: list[Annotated[float, Field(ge=0, le=1e15)]] = Field(
        min_length=2, max_length=MAX_POINTS
    )
    flows: list[Value] | None = Field(None, max_length=MAX_POINTS)
    benchmark_returns: list[Ret] | None = Field(None, max_length=MAX_POINTS)
    flow_timing: Literal["start", "end"] = "start"
    periods_per_year: float = Field(252.0, gt=0, le=100_000)


class IrrIn(_In):
    amounts: list[Value] = Field(min_length=2, max_length=MAX_POINTS)
    times: list[Annotated[float, Field(ge=0, le=1000)]] | None = Field(
        None, description="Years from the first flow."
    )


class IrrOut(BaseModel):
    irr: float


class SegmentPeriod(_In):
    wp: list[Annotated[float, Field(ge=-10, le=10)]] = Field(max_length=500)
    wb: list[Annotated[float, Field(ge=-10, le=10)]] = Field(max_length=500)
    rp: list[Ret] = Field(max_length=500)
    rb: list[Ret] = Field(max_length=500)


class BrinsonIn(_In):
    segments: list[str] = Field(min_length=1, max_length=500)
    periods: list[SegmentPeriod] = Field(min_length=1, max_length=10_000)
    method: Literal["carino", "menchero"] = "carino"


class FactorAttributionIn(_In):
    returns: list[Ret] = Field(min_length=3, max_length=MAX_POINTS)
    factors: dict[str, list[Ret]] = Field(min_length=1, max_length=50)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_id: str
    strategy: str = "default"
    venue: str = "unknown"
    instrument: str
    side: Literal["buy", "sell"]
    ordered_qty: float = Field(gt=0, le=1e12)
    filled_qty: float = Field(ge=0, le=1e12)
    avg_fill_price: float = Field(ge=0, le=1e12)
    arrival_price: float = Field(gt=0, le=1e12)
    interval_vwap: float | None = Field(None, gt=0, le=1e12)
    close_price: float | None = Field(None, gt=0, le=1e12)
    fees: float = Field(0.0, ge=0, le=1e12)


class ExecutionQualityIn(_In):
    orders: list[OrderIn] = Field(min_length=1, max_length=50_000)
    by: list[Literal["strategy", "venue", "instrument", "side"]] = Field(
        ["strategy", "venue"], min_length=1, max_length=4
    )


class TearsheetIn(_In):
    dates: list[Day] = Field(min_length=2, max_length=MAX_POINTS)
    returns: list[Ret] = Field(min_length=2, max_length=MAX_POINTS)
    benchmark: list[Ret] | None = None
    exposure: dict[str, list[Annotated[float, Field(ge=-100, le=100)]]] | None = Field(
        None, max_length=10
    )
    title: str = Field("Performance", max_length=200)

    @model_validator(mode="after")
    def _lengths(self) -> TearsheetIn:
        n = len(self.dates)
        series = {
            "returns": self.returns,
            "benchmark": [0.0] * n if self.benchmark is None else self.benchmark,
            **(self.exposure or {}),
        }
        bad = [k for k, v in series.items() if len(v) != n]
        if bad:
            raise ValueError(f"series not as long as dates: {', '.join(bad)}")
        return self


class FamilyReportIn(_In):
    dates: list[Day] | None = Field(None, min_length=2, max_length=MAX_POINTS)
    returns: list[Ret] | None = Field(None, min_length=2, max_length=MAX_POINTS)

    @model_validator(mode="after")
    def _pair(self) -> FamilyReportIn:
        if (self.dates is None) != (self.returns is None):
            raise ValueError("give both dates and returns, or neither")
        if self.dates is not None and self.returns is not None:
            if len(self.dates) != len(self.returns):
                raise ValueError("returns are not as long as dates")
        return self


Report = dict[str, Any]
