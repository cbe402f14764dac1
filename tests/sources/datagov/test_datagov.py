"""Data.gov CKAN source against recorded Action API responses."""

from __future__ import annotations

from pathlib import Path

import pytest

from nautilus.core.errors import NotFoundError, RateLimitedError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.datagov import DataGovConfig, DataGovSource, trading_relevance
from tests.sources.recorded import Recorded, Replay, Sleeps

RES = Path(__file__).parent / "resources"
A = "/api/3/action/"


@pytest.fixture
def replay() -> Replay:
    return Replay(RES)


def make(replay: Replay, **cfg: object) -> DataGovSource:
    fake = Sleeps()
    return DataGovSource(DataGovConfig(**cfg), transport=replay.transport,  # type: ignore[arg-type]
                         sleep=fake, clock=fake.monotonic)


def test_search_ranks_by_trading_relevance(replay: Replay) -> None:
    replay.add(A + "package_search", "package_search_yield.json", q="yield")
    found = make(replay).dataset_search("yield", limit=10)
    assert [d.id for d in found] == ["daily-treasury-par-yield-curve-rates",
                                     "national-park-visitor-counts"]
    top = found[0]
    # keyword groups rates (yield), prices ("bid prices"), markets ("securities") = full 0.4;
    # treasury-gov 0.25; R/P1D 0.2; CSV 0.15
    assert top.relevance == pytest.approx(1.0)
    assert found[1].relevance == 0.0
    assert (top.organization, top.frequency) == ("treasury-gov", "R/P1D")
    assert [r.format for r in top.resources] == ["CSV", "API"]
    assert top.resources[0].last_modified_ns == to_ns("2024-05-31T21:08:35")
    assert replay.requests[0].url.params["rows"] == "10"


def test_relevance_parts() -> None:
    pkg = {"title": "Crude oil futures prices", "notes": "", "tags": [{"name": "bank"}],
           "organization": {"name": "eia-gov"}, "extras": [{"key": "accrualPeriodicity",
                                                            "value": "R/P1W"}],
           "resources": [{"format": "xlsx"}]}
    # energy + prices + markets + finance = 4 groups -> capped at 0.4
    assert trading_relevance(pkg) == pytest.approx(0.4 + 0.25 + 0.15 + 0.15)


def test_package_show_and_lists(replay: Replay) -> None:
    replay.add(A + "package_show", "package_show_yield.json")
    replay.add(A + "organization_list", "organization_list.json")
    replay.add(A + "tag_list", "tag_list.json")
    replay.add(A + "group_list", "group_list.json")
    src = make(replay)
    ds = src.dataset("daily-treasury-par-yield-curve-rates")
    assert ds.tags == ("interest-rates", "treasury", "yield-curve")
    assert src.organizations()[-1] == "treasury-gov"
    assert src.tags("yield") == ["interest-rates", "treasury", "yield-curve"]
    assert src.groups()[0] == "agriculture8571"
    assert replay.requests[2].url.params["query"] == "yield"


def test_errors(replay: Replay) -> None:
    replay.add(A + "package_show", Recorded("not_found.json", status=404))
    replay.add(A + "package_search", Recorded("validation_error.json", status=409))
    src = make(replay)
    with pytest.raises(NotFoundError) as info:
        src.dataset("nope")
    assert info.value.code == "unknown_dataset"
    with pytest.raises(ValidationError, match="Must be an integer"):
        src.dataset_search("x")


def test_over_rate_limit_then_success(replay: Replay) -> None:
    replay.add(A + "package_show", Recorded("over_rate_limit.json", status=429,
                                            headers={"Retry-After": "1"}),
               "package_show_yield.json")
    src = make(replay, api_key="dg-secret-key-123")
    assert src.dataset("daily-treasury-par-yield-curve-rates").title.startswith("Daily")
    assert replay.requests[0].headers["X-Api-Key"] == "dg-secret-key-123"
    assert "dg-secret-key-123" not in repr(src.config)


def test_over_rate_limit_exhausted(replay: Replay) -> None:
    replay.add(A + "package_show", Recorded("over_rate_limit.json", status=429))
    with pytest.raises(RateLimitedError):
        make(replay, max_retries=1).dataset("x")
