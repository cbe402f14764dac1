"""Trading Economics source against recorded API responses."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from nautilus.core.errors import AuthenticationError, RateLimitedError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.tradingeconomics import (
    TradingEconomicsConfig,
    TradingEconomicsSource,
    te_number,
)
from tests.sources.recorded import Recorded, Replay, Sleeps

RES = Path(__file__).parent / "resources"
KEY = "te-key-abc:te-secret-xyz"


@pytest.fixture
def replay() -> Replay:
    return Replay(RES)


def make(replay: Replay, **cfg: object) -> TradingEconomicsSource:
    fake = Sleeps()
    return TradingEconomicsSource(TradingEconomicsConfig(**cfg),  # type: ignore[arg-type]
                                  transport=replay.transport, sleep=fake, clock=fake.monotonic)


def test_countries_and_indicators(replay: Replay) -> None:
    replay.add("/country", "countries.json")
    replay.add("/country/mexico", "country_mexico.json")
    src = make(replay)
    assert [c["ISO3"] for c in src.countries()] == ["MEX", "SWE"]
    ind = src.indicators("Mexico")
    assert ind["category"].tolist() == ["GDP Growth Rate", "Inflation Rate"]
    assert ind["value"].tolist() == [0.1, 4.65]
    assert ind["ts"].tolist() == [to_ns("2023-12-31"), to_ns("2024-04-30")]
    assert replay.requests[0].url.params["c"] == "guest:guest"


def test_historical_series(replay: Replay) -> None:
    replay.add("/historical/country/mexico/indicator/gdp growth rate/2023-01-01/2023-12-31",
               "historical_mexico_gdp.json")
    frame = make(replay).economic_series("mexico/gdp growth rate", to_ns("2023-01-01"),
                                         to_ns("2024-01-01"))
    assert frame["value"].tolist() == [1.0, 0.8, 1.1]
    assert frame["period_ns"].iloc[0] == to_ns("2023-03-31")
    assert frame["ts_known"].iloc[0] == to_ns("2023-05-22T12:06:00Z")


def test_calendar_parses_percent_and_units(replay: Replay) -> None:
    replay.add("/calendar/country/united states/2021-10-13/2021-10-14", "calendar_us.json")
    events = make(replay).calendar(to_ns("2021-10-13"), to_ns("2021-10-15"), "united states")
    cpi, claims = events
    assert (cpi.event, cpi.actual, cpi.previous, cpi.forecast, cpi.importance) == (
        "Inflation Rate YoY", 5.4, 5.3, 5.3, 3)
    assert cpi.ts_event == to_ns("2021-10-13T12:30:00Z")
    assert claims.actual is None and claims.previous == 329.0 and claims.unit == "K"
    assert te_number("-0.25%") == -0.25 and te_number("") is None


def test_no_access_is_authentication_error_without_key_in_text(
        replay: Replay, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replay.add("/country/sweden", Recorded("no_access.txt", status=403))
    with pytest.raises(AuthenticationError, match="free user") as info:
        make(replay, api_key=KEY).indicators("sweden")
    assert "te-secret-xyz" not in caplog.text + str(info.value)
    assert "te-secret-xyz" in str(replay.requests[0].url)


def test_429_retries_then_rate_limited(replay: Replay) -> None:
    replay.add("/country", Recorded("too_many_requests.txt", status=429), "countries.json")
    assert len(make(replay).countries()) == 2
    replay2 = Replay(RES).add("/country", Recorded("too_many_requests.txt", status=429))
    with pytest.raises(RateLimitedError):
        make(replay2, max_retries=2).countries()
    assert len(replay2.requests) == 3


def test_bad_series_id(replay: Replay) -> None:
    with pytest.raises(ValidationError) as info:
        make(replay).economic_series("gdp")
    assert info.value.code == "bad_series_id"
