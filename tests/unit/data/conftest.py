"""Data engine fixtures: a real engine on a tmp SQLite database, ArcticDB store, in-process bus."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from nautilus.bus.memory import InProcessBus
from nautilus.config import DataConfig, PlatformConfig
from nautilus.core.engine import EngineContext
from nautilus.data.engine import DataEngine
from nautilus.jobs.local import LocalJobRunner
from nautilus.persistence.db import Database
from nautilus.persistence.timeseries.arctic import ArcticStore

MakeEngine = Callable[..., DataEngine]


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One migrated SQLite database per test module (migrations cost seconds)."""
    path = tmp_path_factory.mktemp("data-db") / "nautilus.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def make_engine(migrated_db: Database, tmp_path: Path) -> Iterator[MakeEngine]:
    """Build started engines on the module's database and a fresh store under tmp_path."""
    made: list[DataEngine] = []

    def make(sources: dict[str, dict[str, Any]] | None = None, *,
             store_dir: str = "ts", **config: Any) -> DataEngine:
        cfg = PlatformConfig(data_dir=tmp_path, database_url=migrated_db.url,
                             data=DataConfig(sources=sources or {}), **config)
        bus = InProcessBus()
        ctx = EngineContext(config=cfg, bus=bus, db=migrated_db,
                            timeseries=ArcticStore(tmp_path / store_dir),
                            jobs=LocalJobRunner(migrated_db, bus), metrics=CollectorRegistry())
        engine = DataEngine(ctx)
        engine.start()
        made.append(engine)
        return engine

    yield make
    for e in made:
        e.stop()
