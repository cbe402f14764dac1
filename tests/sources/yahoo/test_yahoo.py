"""Yahoo chart API source against recorded v8 chart responses."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, RateLimitedError, UnavailableError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.yahoo import YahooConfig, YahooSource, yahoo_symbol
from tests.sources.recorded import Recorded, Replay, Sleeps

RES = Path(__file__).parent / "resources"
CHART = "/v8/finance/chart/AAPL"
JAN = (to_ns("2024-01-01"), to_ns("2024-01-10"))


@pytest.fixture
def replay() -> Replay:
    return Replay(RES)


def make(replay: Replay, sleeps: Sleeps | None = None, **cfg: object) -> YahooSource:
    fake = sleeps if sleeps is not None else Sleeps()
    return YahooSource(YahooConfig(**cfg), transport=replay.transport,  # type: ignore[arg-type]
                       sleep=fake, clock=fake.monotonic, rng=random.Random(7))


def test_daily_bars_close_at_session_end_and_null_row_rejected(replay: Replay) -> None:
    replay.add(CHART, "chart_aapl_1d.json", interval="1d")
    batch = make(replay).fetch_bars("AAPL.XNAS", "1d", *JAN)
    frame = batch.frame
    # 2024-01-02 16:00 New York = 21:00 UTC
    assert frame.index[0] == to_ns("2024-01-02T21:00:00Z")
    assert frame.index.dtype == np.int64 and frame.index.name == "ts"
    assert list(frame.index) == [to_ns(f"2024-01-0{d}T21:00:00Z") for d in (2, 3, 4, 5)]
    assert frame.loc[to_ns("2024-01-05T21:00:00Z"), "close"] == pytest.approx(181.18, abs=1e-4)
    assert frame["volume"].iloc[0] == 82488700.0
    assert len(batch.rejected) == 1
    assert batch.rejected[0].reason == "non_finite_price"
    assert batch.rejected[0].ts == to_ns("2024-01-08T21:00:00Z")
    assert batch.report()["reasons"] == {"non_finite_price": 1}
    request = replay.requests[0]
    assert request.url.params["period1"] == str((JAN[0] - 86_400 * 10**9) // 10**9)
    assert request.url.params["events"] == "div|split"
    assert "nautilus" in request.headers["User-Agent"]


def test_intraday_bars_close_one_period_after_start(replay: Replay) -> None:
    replay.add(CHART, "chart_aapl_5m.json", interval="5m")
    frame = make(replay).bars("AAPL.XNAS", "5m", to_ns("2024-01-05T14:30:00Z"),
                              to_ns("2024-01-05T15:00:00Z"))
    assert list(frame.index) == [to_ns("2024-01-05T14:35:00Z"), to_ns("2024-01-05T14:40:00Z"),
                                 to_ns("2024-01-05T14:45:00Z")]
    assert frame.iloc[1].tolist() == pytest.approx([181.5, 181.6000061, 180.8000030, 181.0800018,
                                                    1510730.0])


def test_corporate_actions_from_events(replay: Replay) -> None:
    replay.add(CHART, "chart_aapl_events.json")
    actions = make(replay).corporate_actions("AAPL.XNAS", to_ns("2020-08-01"), to_ns("2020-09-30"))
    assert list(actions.index) == [to_ns("2020-08-07T13:30:00Z"), to_ns("2020-08-31T13:30:00Z")]
    assert actions["dividend"].iloc[0] == 0.82 and np.isnan(actions["split_ratio"].iloc[0])
    assert actions["split_ratio"].iloc[1] == 4.0 and np.isnan(actions["dividend"].iloc[1])


def test_quote_and_instrument_from_meta(replay: Replay) -> None:
    replay.add(CHART, "chart_aapl_1d.json")
    src = make(replay)
    q = src.quote("AAPL.XNAS")
    assert (q.bid, q.ask, q.ts_event) == (181.18, 181.18, 1704488401 * 10**9)
    inst = src.instrument("AAPL")
    assert (inst.id, inst.currency, inst.name, str(inst.tick_size)) == (
        "AAPL.XNAS", "USD", "Apple Inc.", "0.01")


def test_unknown_symbol_is_not_found_naming_it(replay: Replay) -> None:
    replay.add("/v8/finance/chart/NOPE", Recorded("chart_not_found.json", status=404))
    with pytest.raises(NotFoundError) as info:
        make(replay).bars("NOPE.XNAS", "1d", *JAN)
    assert "symbol may be delisted" in info.value.detail
    assert info.value.code == "unknown_symbol"
    assert make(replay).health()["failures"] == 0


def test_bad_request_is_validation_error(replay: Replay) -> None:
    replay.add(CHART, Recorded("chart_bad_request.json", status=400))
    with pytest.raises(ValidationError, match="not supported"):
        make(replay).bars("AAPL.XNAS", "1d", *JAN)


def test_retries_429_and_502_then_succeeds(replay: Replay) -> None:
    replay.add(CHART, Recorded("rate_limited.txt", status=429, headers={"Retry-After": "2"}),
               Recorded("server_error.html", status=502), "chart_aapl_1d.json")
    sleeps = Sleeps()
    src = make(replay, sleeps, rate_limit_per_s=100.0, rate_limit_burst=10)
    frame = src.bars("AAPL.XNAS", "1d", *JAN)
    assert len(frame) == 4 and len(replay.requests) == 3
    assert sleeps[0] == 2.0  # Retry-After honoured
    assert 0.5 <= sleeps[1] < 1.0  # base 0.5 * 2**1 with jitter in [0.5, 1)
    health = src.health()
    assert health["healthy"] and health["successes"] == 1


def test_persistent_429_raises_rate_limited(replay: Replay) -> None:
    replay.add(CHART, Recorded("rate_limited.txt", status=429, headers={"Retry-After": "1"}))
    src = make(replay, max_retries=2, rate_limit_per_s=100.0, rate_limit_burst=10)
    with pytest.raises(RateLimitedError) as info:
        src.bars("AAPL.XNAS", "1d", *JAN)
    assert info.value.retry_after == 1.0
    assert len(replay.requests) == 3
    assert src.health()["errors_by_code"] == {"rate_limited": 1}


def test_offline_is_unavailable_not_empty() -> None:
    def refuse(request: object) -> object:
        import httpx
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution")

    import httpx
    src = YahooSource(YahooConfig(max_retries=1), transport=httpx.MockTransport(refuse),
                      sleep=Sleeps())
    with pytest.raises(UnavailableError) as info:
        src.bars("AAPL.XNAS", "1d", *JAN)
    assert info.value.code == "provider_unreachable"
    assert src.health()["consecutive_failures"] == 1


def test_unsupported_timeframe_and_capability(replay: Replay) -> None:
    src = make(replay)
    with pytest.raises(ValidationError) as info:
        src.bars("AAPL.XNAS", "4h", *JAN)
    assert info.value.code == "unsupported_timeframe"
    with pytest.raises(ValidationError) as info:
        src.economic_series("GDP")
    assert info.value.code == "unsupported_capability" and "yahoo" in info.value.detail


def test_symbol_mapping() -> None:
    assert yahoo_symbol("AAPL.XNAS") == "AAPL"
    assert yahoo_symbol("^GSPC.YAHOO") == "^GSPC"
    assert yahoo_symbol("VOD.L") == "VOD.L"


@pytest.mark.live
def test_live_daily_bars() -> None:
    src = YahooSource(YahooConfig(max_retries=0, timeout_s=5))
    try:
        frame = src.bars("AAPL.XNAS", "1d", to_ns("2024-01-01"), to_ns("2024-01-10"))
    except UnavailableError:
        pytest.skip("offline")
    assert len(frame) > 0 and isinstance(frame, pd.DataFrame)
