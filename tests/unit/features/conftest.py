"""Reference data for the indicator tests: a fixed-seed synthetic OHLCV and the real S&P 500."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.core.time import NS_PER_DAY, NS_PER_MINUTE


def synthetic_ohlcv(n: int = 5000, seed: int = 7) -> pd.DataFrame:
    """Geometric random walk bars: positive prices, high >= max(open, close), low <= min,
    volume > 0; minute bars (int-ns ``ts`` column) starting 2024-01-02 00:00 UTC."""
    rng = np.random.default_rng(seed)
    ret = rng.normal(0.0002, 0.012, n)
    close = 100.0 * np.exp(np.cumsum(ret))
    gap = rng.normal(0.0, 0.003, n)
    open_ = np.empty(n)
    open_[0] = 100.0
    open_[1:] = close[:-1] * np.exp(gap[1:])
    # some near-doji bars so that the candlestick tests see patterns
    doji = rng.random(n) < 0.08
    close = np.where(doji, open_ * (1 + rng.normal(0, 0.0003, n)), close)
    top = np.maximum(open_, close)
    bot = np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0.0, 0.006, n)) * (rng.random(n) < 0.9))
    low = bot * np.exp(-np.abs(rng.normal(0.0, 0.006, n)) * (rng.random(n) < 0.9))
    volume = np.round(rng.lognormal(13.0, 0.5, n))
    ts = 1_704_153_600 * 1_000_000_000 + np.arange(n, dtype=np.int64) * NS_PER_MINUTE * 7
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume, "ts": ts}
    )


@pytest.fixture(scope="session")
def ohlcv() -> pd.DataFrame:
    return synthetic_ohlcv()


@pytest.fixture(scope="session")
def sp500() -> pd.DataFrame:
    """Real S&P 500 daily OHLCV 1999-2018 shipped inside ``arch`` (offline)."""
    arch_sp500 = pytest.importorskip("arch.data.sp500")
    raw = arch_sp500.load()
    df = pd.DataFrame(
        {
            "open": raw["Open"].to_numpy(float),
            "high": raw["High"].to_numpy(float),
            "low": raw["Low"].to_numpy(float),
            "close": raw["Close"].to_numpy(float),
            "volume": raw["Volume"].to_numpy(float),
        }
    )
    df["ts"] = pd.to_datetime(raw.index).asi8 + 21 * 3_600 * 1_000_000_000
    assert (df["ts"].diff().dropna() >= NS_PER_DAY).all()
    return df
