"""Fixtures of the ML tests: real S&P 500 data, seeded regime-switching series, a migrated
SQLite store and a fitted HMM (fitted once per session: fits are the slow part)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from nautilus.ml.dataset import Dataset, sp500_close, synthetic_regime_dataset
from nautilus.ml.regimes.hmm import HMMRegimeConfig, HMMRegimeModel
from nautilus.ml.registry import ModelRegistry
from nautilus.persistence.db import Database


@pytest.fixture(scope="session")
def sp500() -> tuple[np.ndarray, np.ndarray]:
    """(ts int ns UTC, adjusted close) of the S&P 500, 1999-2018."""
    return sp500_close()


@pytest.fixture(scope="session")
def regime_ds() -> Dataset:
    return synthetic_regime_dataset(700, seed=7)


@pytest.fixture(scope="session")
def fitted_hmm(regime_ds: Dataset) -> HMMRegimeModel:
    return HMMRegimeModel(HMMRegimeConfig(n_states=3, seed=1)).fit(regime_ds)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/ml.db")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def registry(db: Database, tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(db, tmp_path / "data")
