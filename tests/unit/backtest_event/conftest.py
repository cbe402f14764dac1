"""Bars and instruments for the event-driven backtest tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.model.instrument import Instrument

MINUTE = 60_000_000_000
T0 = 1_700_000_000_000_000_000 - (1_700_000_000_000_000_000 % (3600 * 1_000_000_000))


def gbm_bars(
    n: int,
    seed: int = 1,
    *,
    start: float = 100.0,
    step: int = MINUTE,
    t0: int = T0,
    vol: float = 0.001,
) -> pd.DataFrame:
    """A seeded random-walk bar frame on a 0.01 grid (ts = close, ns UTC)."""
    rng = np.random.default_rng(seed)
    close = np.round(start * np.exp(np.cumsum(rng.normal(0.0, vol, n))), 2)
    open_ = np.r_[start, close[:-1]]
    wick = np.round(np.abs(rng.normal(0.0, vol * start / 2, (2, n))), 2)
    high = np.maximum(open_, close) + wick[0]
    low = np.minimum(open_, close) - wick[1]
    ts = t0 + np.arange(1, n + 1, dtype=np.int64) * step
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.full(n, 1_000.0)},
        index=pd.Index(ts, name="ts"),
    )


@pytest.fixture
def inst() -> Instrument:
    return Instrument.create("AAA.SIM", "crypto", "USD", calendar="24/7")


@pytest.fixture
def inst_b() -> Instrument:
    return Instrument.create("BBB.SIM", "crypto", "USD", calendar="24/7")
