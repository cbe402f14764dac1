"""Alpha Vantage source against recorded /query responses."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from nautilus.core.errors import NotFoundError, RateLimitedError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.alphavantage import AlphaVantageConfig, AlphaVantageSource
from tests.sources.recorded import Replay, Sleeps

RES = Path(__file__).parent / "resources"
KEY = "AVKEY-S3CR3T-0042"
JAN = (to_ns("2024-01-01"), to_ns("2024-01-06"))


@pytest.fixture
def replay() -> Replay:
    return Replay(RES)


def make(replay: Replay, sleeps: Sleeps | None = None, **cfg: object) -> AlphaVantageSource:
    fake = sleeps if sleeps is not None else Sleeps()
    return AlphaVantageSource(AlphaVantageConfig(api_key=KEY, **cfg),  # type: ignore[arg-type]
                              transport=replay.transport, sleep=fake, clock=fake.monotonic,
                              rng=random.Random(3))


def test_daily_bars_close_at_1600_new_york(replay: Replay) -> None:
    replay.add("/query", "daily_ibm.json", function="TIME_SERIES_DAILY", symbol="IBM")
    frame = make(replay).bars("IBM.XNYS", "1d", *JAN)
    assert list(frame.index) == [to_ns(f"2024-01-0{d}T21:00:00Z") for d in (2, 3, 4, 5)]
    assert frame.loc[to_ns("2024-01-02T21:00:00Z")].tolist() == [162.83, 163.29, 160.28, 161.29,
                                                                 3795519.0]
    assert replay.requests[0].url.params["outputsize"] == "full"


def test_intraday_keys_are_bar_starts_and_negative_volume_rejected(replay: Replay) -> None:
    replay.add("/query", "intraday_ibm_5min.json", function="TIME_SERIES_INTRADAY", interval="5min")
    batch = make(replay).fetch_bars("IBM.XNYS", "5m", *JAN)
    assert list(batch.frame.index) == [to_ns("2024-01-05T20:55:00Z"), to_ns("2024-01-05T21:00:00Z")]
    assert batch.frame["close"].tolist() == [159.37, 159.16]
    assert [(r.reason, r.ts) for r in batch.rejected] == [
        ("negative_volume", to_ns("2024-01-05T20:50:00Z"))]
    assert batch.rejected[0].values["volume"] == -1.0


def test_quote_search_and_overview(replay: Replay) -> None:
    replay.add("/query", "global_quote_ibm.json", function="GLOBAL_QUOTE")
    replay.add("/query", "symbol_search_tesco.json", function="SYMBOL_SEARCH")
    replay.add("/query", "overview_ibm.json", function="OVERVIEW")
    src = make(replay)
    q = src.quote("IBM.XNYS")
    assert (q.bid, q.ts_event) == (159.16, to_ns("2024-01-05T21:00:00Z"))
    found = src.search("tesco")
    assert [(i.id, i.currency) for i in found] == [("TSCO.LON.ALPHAVANTAGE", "GBX"),
                                                   ("TSCDF.US", "USD")]
    inst = src.instrument("IBM")
    assert (inst.id, inst.sector, inst.name) == ("IBM.XNYS", "Technology",
                                                 "International Business Machines")


def test_error_message_is_not_found_naming_symbol(replay: Replay) -> None:
    replay.add("/query", "error_invalid_call.json")
    with pytest.raises(NotFoundError) as info:
        make(replay).bars("NOPE.XNYS", "1d", *JAN)
    assert "'NOPE'" in info.value.detail and info.value.code == "unknown_symbol"


def test_note_payload_is_retried_then_succeeds(replay: Replay) -> None:
    replay.add("/query", "note_rate_limit.json", "daily_ibm.json")
    sleeps = Sleeps()
    src = make(replay, sleeps)
    assert len(src.bars("IBM.XNYS", "1d", *JAN)) == 4
    assert len(replay.requests) == 2 and src.http.retries == 1


def test_daily_limit_exhausts_to_rate_limited(replay: Replay,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replay.add("/query", "information_daily_limit.json")
    with pytest.raises(RateLimitedError) as info:
        make(replay, max_retries=2).bars("IBM.XNYS", "1d", *JAN)
    assert "25 requests per day" in info.value.detail
    assert len(replay.requests) == 3
    assert KEY not in caplog.text and KEY not in str(info.value)


def test_premium_information_is_validation_error(replay: Replay) -> None:
    replay.add("/query", "information_premium.json")
    with pytest.raises(ValidationError) as info:
        make(replay, adjusted=True).bars("IBM.XNYS", "1d", *JAN)
    assert info.value.code == "provider_premium"


def test_client_side_bucket_exhaustion(replay: Replay) -> None:
    replay.add("/query", "global_quote_ibm.json")
    src = make(replay, rate_limit_burst=1, acquire_timeout_s=0.0)
    src.quote("IBM.XNYS")
    with pytest.raises(RateLimitedError) as info:
        src.quote("IBM.XNYS")
    assert info.value.code == "rate_limit_exhausted"
    assert info.value.retry_after == pytest.approx(12.0)
    assert len(replay.requests) == 1
