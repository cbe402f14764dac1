"""SEC EDGAR source against recorded tickers, companyfacts and submissions responses."""

from __future__ import annotations

from pathlib import Path

import pytest

from nautilus.core.errors import NotFoundError, RateLimitedError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.edgar import EdgarConfig, EdgarSource
from tests.sources.recorded import Recorded, Replay, Sleeps

RES = Path(__file__).parent / "resources"
UA = "Nautilus Research data-team@nautilus.example"
TICKERS = "/files/company_tickers.json"


@pytest.fixture
def replay() -> Replay:
    return Replay(RES).add(TICKERS, "company_tickers.json")


def make(replay: Replay, **cfg: object) -> EdgarSource:
    fake = Sleeps()
    return EdgarSource(EdgarConfig(user_agent=UA, **cfg),  # type: ignore[arg-type]
                       transport=replay.transport, sleep=fake, clock=fake.monotonic)


def test_refuses_to_run_without_user_agent(replay: Replay) -> None:
    with pytest.raises(ValidationError) as info:
        EdgarSource(EdgarConfig(), transport=replay.transport)
    assert info.value.code == "missing_user_agent"


def test_company_facts_known_from_filing_date(replay: Replay) -> None:
    replay.add("/api/xbrl/companyfacts/CIK0000320193.json", "companyfacts_aapl.json")
    src = make(replay)
    facts = src.company_facts("AAPL", concepts=("us-gaap:NetIncomeLoss",))
    assert [(f.value, f.form, f.accession) for f in facts] == [
        (99803000000.0, "10-K", "0000320193-22-000108"),
        (99803000000.0, "10-K", "0000320193-23-000106"),
        (96995000000.0, "10-K", "0000320193-23-000106")]
    first = facts[0]
    assert (first.cik, first.ticker, first.unit) == ("0000320193", "AAPL", "USD")
    assert first.period_end_ns == to_ns("2022-09-24")
    # filed 2022-10-28 (EDT): known at 2022-10-29 00:00 New York = 04:00 UTC
    assert first.ts_known == to_ns("2022-10-29T04:00:00Z")
    assert (first.fiscal_year, first.fiscal_period) == (2022, "FY")
    assert facts[1].ts_known == to_ns("2023-11-04T04:00:00Z")
    every = src.company_facts("320193")
    assert {f.concept for f in every} == {"dei:EntityCommonStockSharesOutstanding",
                                          "us-gaap:NetIncomeLoss",
                                          "us-gaap:EarningsPerShareDiluted"}
    eps = next(f for f in every if f.concept == "us-gaap:EarningsPerShareDiluted")
    assert (eps.value, eps.unit) == (6.13, "USD/shares")
    headers = replay.requests[-1].headers
    assert headers["User-Agent"] == UA
    assert len([r for r in replay.requests if r.url.path == TICKERS]) == 1  # cached


def test_filings_with_acceptance_times(replay: Replay) -> None:
    replay.add("/submissions/CIK0000320193.json", "submissions_aapl.json")
    filings = make(replay).filings("AAPL.XNAS", forms=("10-K", "10-Q"))
    assert [f.form for f in filings] == ["10-K", "10-Q"]
    k = filings[0]
    assert k.ts_known == to_ns("2023-11-02T22:08:27Z")
    assert k.filing_date_ns == to_ns("2023-11-03") and k.report_date_ns == to_ns("2023-09-30")
    assert k.url == ("https://www.sec.gov/Archives/edgar/data/320193/000032019323000106/"
                     "aapl-20230930.htm")


def test_search_by_name_and_ticker(replay: Replay) -> None:
    src = make(replay)
    assert [i.id for i in src.search("nvidia")] == ["NVDA.US"]
    assert src.search("MSFT")[0].name == "MICROSOFT CORP"


def test_unknown_ticker_and_missing_facts(replay: Replay) -> None:
    replay.add("/api/xbrl/companyfacts/CIK0001045810.json", Recorded("nosuchkey.xml", status=404))
    src = make(replay)
    with pytest.raises(NotFoundError, match="'ZZZZ'"):
        src.company_facts("ZZZZ")
    with pytest.raises(NotFoundError, match="NVDA") as info:
        src.company_facts("NVDA")
    assert info.value.code == "unknown_symbol"


def test_rate_threshold_page_is_rate_limited_without_retry(replay: Replay) -> None:
    replay.add("/submissions/CIK0000320193.json", Recorded("rate_threshold.html", status=403))
    with pytest.raises(RateLimitedError) as info:
        make(replay).filings("AAPL")
    assert info.value.retry_after == 600.0
    assert len([r for r in replay.requests if "submissions" in r.url.path]) == 1


def test_server_error_retried(replay: Replay) -> None:
    replay.add("/submissions/CIK0000320193.json", Recorded(status=503, text="Service Unavailable"),
               "submissions_aapl.json")
    assert len(make(replay).filings("AAPL")) == 3
