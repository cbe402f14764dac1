"""Shared price panels for the backtest tests (seeded, built once per session)."""

from __future__ import annotations

import numpy as np
import pytest

DAY_NS = 86_400_000_000_000


def gbm_panel(n: int, m: int, seed: int) -> dict[str, np.ndarray]:
    """Seeded OHLC panel: close GBM, open near the previous close, high/low around both."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, (n, m)), axis=0))
    prev = np.vstack([close[:1], close[:-1]])
    open_ = prev * np.exp(rng.normal(0, 0.003, (n, m)))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, (n, m))))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, (n, m))))
    idx = (np.arange(n, dtype=np.int64) + 18_000) * DAY_NS
    return {"index": idx, "close": close, "open": open_, "high": high, "low": low}


@pytest.fixture(scope="session")
def panel() -> dict[str, np.ndarray]:
    return gbm_panel(1500, 4, seed=7)


@pytest.fixture(scope="session")
def signals(panel: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    shape = panel["close"].shape
    return rng.random(shape) < 0.04, rng.random(shape) < 0.04


def shift(a: np.ndarray) -> np.ndarray:
    """The signal array one bar later (what a same-bar-fill library must be fed)."""
    out = np.zeros_like(a)
    out[1:] = a[:-1]
    return out
