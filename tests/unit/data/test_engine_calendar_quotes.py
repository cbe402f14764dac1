"""DataEngine: weekly/monthly bars from the store (daily or 1-minute base) and quote failover
along the priority list on recorded Yahoo and Alpha Vantage responses."""

from __future__ import annotations

import pandas as pd
import pytest

from nautilus.core.errors import NotFoundError, UnavailableError, ValidationError
from nautilus.data.engine import DataEngine
from nautilus.data.sources.synthetic import daily_bars, minute_bars, universe
from tests.sources.quoting import QuoteSources, recorded_quote_sources

from .conftest import MakeEngine

NY = "America/New_York"
SYMBOL = "TEC01.XSYN"  # calendar XNYS


def _ny(ts: str) -> int:
    return int(pd.Timestamp(ts, tz=NY).value)


def test_weekly_and_monthly_bars_resampled_from_the_store(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.register_instruments(universe(22), source="synthetic")
    minutes = minute_bars(SYMBOL, _ny("2024-03-25"), _ny("2024-04-06"))
    engine.ingest_bars(SYMBOL, "1m", minutes, source="test", check_gaps=False)
    weekly, served = engine.get_bars(SYMBOL, "1w", _ny("2024-03-20"), _ny("2024-04-10"))
    assert served == "store"
    # Good Friday (29 Mar) is no session: that week closes Thursday 16:00
    assert weekly.index.tolist() == [_ny("2024-03-28 16:00"), _ny("2024-04-05 16:00")]
    in_week = minutes.loc[
        (minutes.index > _ny("2024-03-25 09:30")) & (minutes.index <= _ny("2024-03-28 16:00"))
    ]
    assert weekly.iloc[0]["volume"] == in_week["volume"].sum()
    assert weekly.iloc[0]["high"] == in_week["high"].max()
    # a range ending inside a week does not return that week
    short, _ = engine.get_bars(SYMBOL, "1w", _ny("2024-03-20"), _ny("2024-04-04"))
    assert short.index.tolist() == [_ny("2024-03-28 16:00")]

    # daily bars from 8 Apr on: they do not cover those weeks, the 1-minute bars still do
    later = daily_bars(SYMBOL, _ny("2024-04-08"), _ny("2025-01-01"))
    engine.ingest_bars(SYMBOL, "1d", later, source="test", check_gaps=False)
    again, _ = engine.get_bars(SYMBOL, "1w", _ny("2024-03-20"), _ny("2024-04-10"))
    assert again.index.tolist() == weekly.index.tolist()
    assert again["volume"].tolist() == weekly["volume"].tolist()

    # with daily bars stored for the range, weeks and months come from them
    daily = daily_bars(SYMBOL, _ny("2024-01-01"), _ny("2025-01-01"))
    engine.ingest_bars(SYMBOL, "1d", daily, source="test", check_gaps=False)
    monthly, served = engine.get_bars(SYMBOL, "1mo", _ny("2024-01-01"), _ny("2025-01-01"))
    assert served == "store" and len(monthly) == 12
    assert monthly.index[2] == _ny("2024-03-28 16:00")  # March ends on a Sunday
    assert monthly.index[5] == _ny("2024-06-28 16:00")  # so does June
    march = daily.loc[
        (daily.index >= _ny("2024-03-01 16:00")) & (daily.index <= _ny("2024-03-28 16:00"))
    ]
    assert monthly.iloc[2]["volume"] == march["volume"].sum()
    assert monthly.iloc[2]["open"] == march["open"].iloc[0]
    assert monthly.iloc[2]["close"] == march["close"].iloc[-1]
    # a range starting mid-week still gets that week whole (the read looks back 8 days)
    weekly, _ = engine.get_bars(SYMBOL, "1w", _ny("2024-03-28"), _ny("2024-04-10"))
    assert (
        weekly.iloc[0]["volume"]
        == daily.loc[
            (daily.index >= _ny("2024-03-25 16:00")) & (daily.index <= _ny("2024-03-28 16:00")),
            "volume",
        ].sum()
    )


@pytest.fixture
def quoting(make_engine: MakeEngine) -> tuple[DataEngine, QuoteSources]:
    engine = make_engine()  # store (no quotes), synthetic, then the recorded sources
    engine.set_enabled("synthetic", False)  # its quotes are of its own universe only
    rec = recorded_quote_sources()
    engine.add_source(rec.yahoo)
    engine.add_source(rec.alphavantage)
    assert engine.priority == ["store", "synthetic", "yahoo", "alphavantage"]
    return engine, rec


def test_quote_walks_the_priority_list(quoting: tuple[DataEngine, QuoteSources]) -> None:
    engine, rec = quoting
    quote, served = engine.get_quote("AAPL.XNAS")
    assert served == "yahoo" and quote.bid == quote.ask == 181.18
    assert quote.ts_event == 1704488401 * 10**9
    # yahoo does not know IBM (404): alphavantage answers
    quote, served = engine.get_quote("IBM.XNYS")
    assert served == "alphavantage" and quote.bid == 159.16
    assert quote.ts_event == _ny("2024-01-05 16:00")
    # disabled: yahoo is not asked at all
    engine.set_enabled("yahoo", False)
    asked = len(rec.yahoo_replay.requests)
    assert engine.get_quote("IBM.XNYS")[1] == "alphavantage"
    assert len(rec.yahoo_replay.requests) == asked
    with pytest.raises(UnavailableError):
        engine.get_quote("AAPL.XNAS", source="yahoo")
    engine.set_enabled("yahoo", True)
    assert engine.get_quote("AAPL.XNAS", source="yahoo")[1] == "yahoo"
    with pytest.raises(ValidationError):
        engine.get_quote("AAPL.XNAS", source="replay")  # a source without quotes


def test_unhealthy_source_is_asked_last(quoting: tuple[DataEngine, QuoteSources]) -> None:
    engine, rec = quoting
    for _ in range(3):
        with pytest.raises(UnavailableError):
            engine.get_quote("MSFT.XNAS", source="yahoo")
    assert not rec.yahoo.health()["healthy"]
    asked = len(rec.yahoo_replay.requests)
    assert engine.get_quote("IBM.XNYS")[1] == "alphavantage"
    assert len(rec.yahoo_replay.requests) == asked  # skipped while a healthy source answers
    # alphavantage has no AAPL: the unhealthy yahoo is the last resort, and recovers
    quote, served = engine.get_quote("AAPL.XNAS")
    assert served == "yahoo" and quote.bid == 181.18
    assert rec.yahoo.health()["healthy"]


def test_no_quote_names_the_instrument_and_the_sources(
    quoting: tuple[DataEngine, QuoteSources],
) -> None:
    engine, _ = quoting
    engine.set_enabled("alphavantage", False)
    with pytest.raises(NotFoundError) as info:
        engine.get_quote("NOPE.XNAS")
    err = info.value
    assert err.code == "no_quote" and err.status == 404 and "NOPE.XNAS" in err.detail
    assert err.extra["symbol"] == "NOPE.XNAS"
    assert err.extra["tried"] == {"yahoo": "unknown_symbol"}
    assert err.extra["skipped"] == {
        "store": "no_quotes",
        "synthetic": "disabled",
        "alphavantage": "disabled",
    }
    engine.set_enabled("alphavantage", True)
    with pytest.raises(NotFoundError) as info:
        engine.get_quote("NOPE.XNAS")
    assert info.value.extra["tried"] == {
        "yahoo": "unknown_symbol",
        "alphavantage": "unknown_symbol",
    }


def test_every_source_down_is_a_503_not_a_404(
    quoting: tuple[DataEngine, QuoteSources],
) -> None:
    engine, _ = quoting
    engine.set_enabled("alphavantage", False)
    # yahoo answers MSFT with a 502: the quote may exist, no source could say (as for bars)
    with pytest.raises(UnavailableError) as info:
        engine.get_quote("MSFT.XNAS")
    err = info.value
    assert err.status == 503 and err.code == "sources_unavailable"
    assert err.extra["symbol"] == "MSFT.XNAS"
    assert err.extra["tried"] == {"yahoo": "provider_error"}
    assert err.extra["skipped"]["alphavantage"] == "disabled"
    # one source that answers "unknown" makes it a 404 again
    engine.set_enabled("alphavantage", True)
    with pytest.raises(NotFoundError) as nf:
        engine.get_quote("MSFT.XNAS")
    assert nf.value.extra["tried"]["alphavantage"] == "unknown_symbol"
