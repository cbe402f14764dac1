"""FRED/ALFRED source against recorded API responses."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import pytest

from nautilus.core.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from nautilus.core.time import to_ns
from nautilus.data.sources.fred import FredConfig, FredSource
from tests.sources.recorded import Recorded, Replay, Sleeps

RES = Path(__file__).parent / "resources"
OBS = "/fred/series/observations"
KEY = "fredkey0123456789abcdef0123456789"


@pytest.fixture
def replay() -> Replay:
    return Replay(RES)


def make(replay: Replay, **cfg: object) -> FredSource:
    fake = Sleeps()
    return FredSource(FredConfig(api_key=KEY, **cfg),  # type: ignore[arg-type]
                      transport=replay.transport, sleep=fake, clock=fake.monotonic,
                      rng=random.Random(1))


def ny_midnight_after(day: str) -> int:
    # 00:00 New York of the following day; EDT (UTC-4) for these summer dates
    return to_ns(day + "T00:00:00Z") + (24 + 4) * 3600 * 10**9


def test_vintages_carry_the_time_each_value_became_known(replay: Replay) -> None:
    replay.add(OBS, "observations_gdp_vintages.json", series_id="GDP")
    frame = make(replay).economic_series("GDP", to_ns("2023-01-01"), to_ns("2023-07-01"),
                                         vintages=True)
    assert len(frame) == 7
    q1 = frame.loc[frame["period_ns"] == to_ns("2023-01-01")]
    assert q1["value"].tolist() == [26529.774, 26486.287, 26529.774, 26813.601]
    assert q1["ts_known"].iloc[0] == ny_midnight_after("2023-04-27")
    assert q1["ts_known"].iloc[-1] == ny_midnight_after("2023-09-28")
    params = replay.requests[0].url.params
    assert (params["realtime_start"], params["realtime_end"], params["output_type"]) == (
        "1776-07-04", "9999-12-31", "1")
    assert (params["observation_start"], params["observation_end"]) == ("2023-01-01",
                                                                        "2023-06-30")
    assert frame.dtypes.tolist() == [np.int64, np.float64, np.int64]


def test_latest_values_keep_their_first_publication_time(replay: Replay) -> None:
    replay.add(OBS, "observations_gdp_vintages.json", series_id="GDP")
    frame = make(replay).economic_series("GDP.FRED")
    assert frame["value"].tolist() == [26813.601, 27063.012]
    assert frame["ts_known"].tolist() == [ny_midnight_after("2023-09-28")] * 2


def test_missing_dot_values_are_skipped(replay: Replay) -> None:
    replay.add(OBS, "observations_dgs10.json", series_id="DGS10")
    frame = make(replay).economic_series("DGS10")
    assert frame["period_ns"].tolist() == [to_ns(d) for d in
                                           ("2024-01-10", "2024-01-11", "2024-01-12",
                                            "2024-01-16")]
    assert frame["value"].tolist() == [3.97, 3.98, 3.96, 4.07]
    # 2024-01-17 is EST (UTC-5): known by 2024-01-18 05:00 UTC
    assert frame["ts_known"].iloc[-1] == to_ns("2024-01-18T05:00:00Z")


def test_search_and_instrument(replay: Replay) -> None:
    replay.add("/fred/series/search", "series_search_cpi.json")
    replay.add("/fred/series", "series_gdp.json", series_id="GDP")
    src = make(replay)
    found = src.search("consumer price index", limit=2)
    assert [i.id for i in found] == ["CPIAUCSL.FRED", "CPILFESL.FRED"]
    assert found[0].asset_class == "economic" and found[0].currency == "NONE"
    assert src.instrument("GDP").name == "Gross Domestic Product"
    assert replay.requests[0].url.params["search_text"] == "consumer price index"


def test_unknown_series_is_not_found(replay: Replay) -> None:
    replay.add(OBS, Recorded("error_series_missing.json", status=400))
    with pytest.raises(NotFoundError, match="does not exist") as info:
        make(replay).economic_series("NOSUCHSERIES")
    assert info.value.code == "unknown_series"


def test_bad_key_is_authentication_error_and_key_never_leaks(
        replay: Replay, caplog: pytest.LogCaptureFixture) -> None:
    replay.add(OBS, Recorded("error_internal.json", status=500),
               Recorded("error_api_key.json", status=400))
    caplog.set_level(logging.DEBUG)
    src = make(replay)
    with pytest.raises(AuthenticationError) as info:
        src.economic_series("GDP")
    text = caplog.text + str(info.value) + repr(info.value.to_problem()) + repr(src.config)
    assert KEY not in text
    assert "api_key=%2A%2A%2A" in caplog.text  # the retry warning shows the redacted URL
    assert KEY in str(replay.requests[0].url)  # it was sent to the provider


def test_rate_limit_then_success(replay: Replay) -> None:
    replay.add(OBS, Recorded("error_rate_limit.json", status=429, headers={"Retry-After": "3"}),
               "observations_dgs10.json")
    src = make(replay)
    assert len(src.economic_series("DGS10")) == 4
    assert src.http.retries == 1


def test_rate_limit_exhausted(replay: Replay) -> None:
    replay.add(OBS, Recorded("error_rate_limit.json", status=429))
    with pytest.raises(RateLimitedError):
        make(replay, max_retries=1).economic_series("DGS10")


def test_server_errors_exhaust_to_unavailable(replay: Replay) -> None:
    replay.add(OBS, Recorded("error_internal.json", status=500))
    src = make(replay, max_retries=2)
    with pytest.raises(UnavailableError):
        src.economic_series("GDP")
    assert len(replay.requests) == 3
    assert src.health()["failures"] == 1


@pytest.mark.live
def test_live_fred() -> None:
    import os

    key = os.environ.get("FRED_API_KEY")
    if not key:
        pytest.skip("FRED_API_KEY not set")
    src = FredSource(FredConfig(api_key=key, max_retries=0))  # type: ignore[arg-type]
    try:
        assert len(src.economic_series("GDP", vintages=True)) > 100
    except UnavailableError:
        pytest.skip("offline")
