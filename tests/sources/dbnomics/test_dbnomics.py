"""DBnomics source against recorded v22 API responses."""

from __future__ import annotations

from pathlib import Path

import pytest

from nautilus.core.errors import NotFoundError, RateLimitedError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data.sources.dbnomics import DbnomicsConfig, DbnomicsSource
from tests.sources.recorded import Recorded, Replay, Sleeps

RES = Path(__file__).parent / "resources"
ZUTN = "/v22/series/AMECO/ZUTN/EA19.1.0.0.0.ZUTN"


@pytest.fixture
def replay() -> Replay:
    return Replay(RES)


def make(replay: Replay, **cfg: object) -> DbnomicsSource:
    fake = Sleeps()
    return DbnomicsSource(DbnomicsConfig(**cfg), transport=replay.transport,  # type: ignore[arg-type]
                          sleep=fake, clock=fake.monotonic)


def test_series_observations_known_when_indexed(replay: Replay) -> None:
    replay.add(ZUTN, "series_zutn.json", observations="1")
    frame = make(replay).economic_series("AMECO/ZUTN/EA19.1.0.0.0.ZUTN", to_ns("2020-01-01"))
    assert frame["period_ns"].tolist() == [to_ns(f"{y}-01-01") for y in (2020, 2021, 2022)]
    assert frame["value"].tolist() == [8.0, 7.7, 6.8]  # 2023 "NA" dropped
    assert set(frame["ts_known"]) == {to_ns("2024-05-16T06:25:13.474Z")}


def test_providers_and_datasets(replay: Replay) -> None:
    replay.add("/v22/providers", "providers.json")
    replay.add("/v22/datasets/AMECO", "datasets_ameco.json")
    src = make(replay)
    assert [p["code"] for p in src.providers()] == ["AMECO", "IMF"]
    ds = src.datasets("AMECO")
    assert [d.id for d in ds] == ["AMECO/ZUTN", "AMECO/ZCPIH"]
    assert src.dataset("AMECO/ZCPIH").title.startswith("Harmonised")


def test_unknown_series_and_bad_id(replay: Replay) -> None:
    replay.add("/v22/series/AMECO/ZUTN/NOPE", Recorded("series_not_found.json", status=404))
    src = make(replay)
    with pytest.raises(NotFoundError, match="Series not found"):
        src.economic_series("AMECO/ZUTN/NOPE")
    with pytest.raises(ValidationError):
        src.economic_series("ZUTN")
    with pytest.raises(ValidationError) as info:
        src.economic_series("AMECO/ZUTN/EA19.1.0.0.0.ZUTN", vintages=True)
    assert info.value.code == "unsupported_capability"


def test_retry_and_rate_limit(replay: Replay) -> None:
    replay.add(ZUTN, Recorded(status=504, text="Gateway Time-out"),
               Recorded(status=429, text="Too Many Requests", headers={"Retry-After": "5"}),
               "series_zutn.json")
    assert len(make(replay).economic_series("AMECO/ZUTN/EA19.1.0.0.0.ZUTN")) == 4
    r2 = Replay(RES).add(ZUTN, Recorded(status=429, text="Too Many Requests",
                                        headers={"Retry-After": "120"}))
    with pytest.raises(RateLimitedError) as info:
        make(r2).economic_series("AMECO/ZUTN/EA19.1.0.0.0.ZUTN")
    assert info.value.retry_after == 120.0 and len(r2.requests) == 1
