"""Shared plumbing: token bucket, HTTP redaction and Retry-After, bar validation, registry,
sample data builders."""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pandas as pd
import pytest

import nautilus.data.sources  # noqa: F401 - registers the sources
from nautilus.core.errors import RateLimitedError, ValidationError
from nautilus.core.time import to_ns
from nautilus.data import DATA_SOURCES, Capability, TokenBucket, clean_bars
from nautilus.data.http import HttpClient, parse_retry_after, redact_url
from nautilus.data.sample import real_daily_history, sample_bars, sample_instruments
from nautilus.data.sources.synthetic import SyntheticSource
from tests.sources.recorded import Sleeps


def test_bucket_refills_and_times_out() -> None:
    clock = Sleeps()
    bucket = TokenBucket(2.0, 2, clock=clock.monotonic, sleep=clock)
    assert bucket.acquire() == 0.0 and bucket.acquire() == 0.0
    assert bucket.acquire(timeout=1.0) == pytest.approx(0.5)  # waited for one refill
    with pytest.raises(RateLimitedError) as info:
        bucket.acquire(timeout=0.1)
    assert info.value.retry_after == pytest.approx(0.5)
    bucket.block_for(3.0)
    assert not bucket.try_acquire()
    clock(3.0)
    assert bucket.try_acquire()


def test_bucket_is_thread_safe() -> None:
    bucket = TokenBucket(1e-6, 50)
    taken: list[bool] = []
    lock = threading.Lock()

    def grab() -> None:
        for _ in range(20):
            ok = bucket.try_acquire()
            with lock:
                taken.append(ok)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(taken) == 50


def test_retry_after_forms_and_redaction() -> None:
    assert parse_retry_after("7") == 7.0
    when = time.time() + 30
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(when))
    assert 28 <= (parse_retry_after(http_date) or 0) <= 31
    assert parse_retry_after("soon") is None
    assert redact_url("https://x.test/a?apikey=SECRET&s=1") == (
        "https://x.test/a?apikey=%2A%2A%2A&s=1")


def test_timeout_retried_with_backoff_then_unavailable() -> None:
    calls = []

    def slow(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    clock = Sleeps()
    client = HttpClient(source="t", base_url="https://t.test",
                        bucket=TokenBucket(100, 10, clock=clock.monotonic, sleep=clock),
                        transport=httpx.MockTransport(slow), sleep=clock, max_retries=3,
                        backoff_base_s=1.0, secrets=["tok-123456"])
    with pytest.raises(Exception) as info:
        client.get_json("/x", {"token": "tok-123456"})
    assert info.value.code == "provider_timeout"  # type: ignore[attr-defined]
    assert "tok-123456" not in str(info.value)
    assert len(calls) == 4
    assert [round(s / 2**i, 6) >= 0.5 and s / 2**i < 1.0 for i, s in enumerate(clock)] == [
        True] * 3


def test_clean_bars_reasons() -> None:
    frame = pd.DataFrame({
        "open": [1.0, 1.0, 1.0, -1.0, 1.0, 1.0],
        "high": [2.0, 2.0, 0.5, 2.0, 2.0, 2.0],
        "low": [0.5, 0.5, 0.4, 0.5, 0.5, 0.5],
        "close": [1.5, np.inf, 0.45, 1.5, 1.5, 1.6],
        "volume": [1.0, 1.0, 1.0, 1.0, -5.0, 2.0],
    }, index=pd.Index([10, 20, 30, 40, 50, 10], name="ts"))
    clean, rejected = clean_bars(frame)
    assert list(clean.index) == [10]
    assert clean["close"].iloc[0] == 1.6  # the last duplicate wins
    assert [(r.ts, r.reason) for r in rejected] == [
        (10, "duplicate_ts"), (20, "non_finite_price"), (30, "inconsistent_ohlc"),
        (40, "non_positive_price"), (50, "negative_volume")]
    assert rejected[1].values["close"] is None


def test_registry_lists_sources_with_config_schemas() -> None:
    for name in ("alphavantage", "datagov", "dbnomics", "edgar", "fred", "local", "replay",
                 "synthetic", "tradingeconomics", "yahoo"):
        spec = DATA_SOURCES.spec(name)
        schema = spec.config.model_json_schema()  # type: ignore[union-attr]
        assert "rate_limit_per_s" in schema["properties"]
        assert spec.obj.capabilities <= set(Capability)
    fred_schema = DATA_SOURCES.spec("fred").config.model_json_schema()  # type: ignore[union-attr]
    assert fred_schema["properties"]["api_key"]["format"] == "password"


def test_unsupported_capability_names_the_source() -> None:
    src = SyntheticSource()
    with pytest.raises(ValidationError) as info:
        src.company_facts("AAPL")
    assert info.value.code == "unsupported_capability"
    assert info.value.extra["source"] == "synthetic"
    with pytest.raises(ValidationError):
        src.bars("TEC01.XSYN", "1d", 10, 5)


def test_real_sample_history_loads_offline() -> None:
    real = {inst.id: frame for inst, frame in real_daily_history()}
    spx = real["SPX.IDX"]
    assert spx.index[0] == to_ns("1999-01-04T21:00:00Z")
    assert spx.iloc[0].tolist() == pytest.approx([1229.22998, 1248.810059, 1219.099976,
                                                  1228.099976, 877000000.0])
    assert len(real["MSFT.XNAS"]) > 7900 and spx.index.is_monotonic_increasing


def test_synthetic_sample_universe_is_deterministic() -> None:
    insts = list(sample_instruments(real=False))
    assert len(insts) >= 50 and len({i.sector for i in insts}) == 11
    a = list(sample_bars(real=False, size=3, years=2, minute_weeks=1))
    b = list(sample_bars(real=False, size=3, years=2, minute_weeks=1))
    assert [tf for _, _, tf in a] == ["1d", "1m"] * 3
    assert all(x[1].equals(y[1]) for x, y in zip(a, b, strict=True))
    # weekdays 2024-12-24..2024-12-31 (the synthetic calendar has no holidays)
    assert 500 <= len(a[0][1]) <= 525 and len(a[1][1]) == 6 * 390
