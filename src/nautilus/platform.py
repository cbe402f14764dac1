"""The one object that builds and runs everything from a :class:`PlatformConfig`.

``Platform`` builds the relational store, the time-series store, the bus, the job runner and
every registered engine (in dependency order), starts and stops them, and reports health. No
module-level singletons: tests build as many platforms as they like.

>>> from nautilus.config import PlatformConfig
>>> with Platform(PlatformConfig(data_dir=tmp_path, demo=True)) as p:  # doctest: +SKIP
...     p.health()["healthy"]
True
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from prometheus_client import CollectorRegistry

from nautilus import __version__
from nautilus.bus.base import MessageBus
from nautilus.config import PlatformConfig
from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import ConfigurationError, NotFoundError
from nautilus.jobs.base import JobRunner
from nautilus.persistence.db import Database
from nautilus.persistence.timeseries.base import TimeSeriesStore

log = logging.getLogger(__name__)

# Engine packages import their engine module here so that it registers in ENGINES. A package
# that is not present yet (or fails to import) is skipped with a log line, never silently.
ENGINE_MODULES: tuple[str, ...] = (
    "nautilus.data.engine",
    "nautilus.features.engine",
    "nautilus.factors.engine",
    "nautilus.ml",
    "nautilus.risk.engine",
    "nautilus.execution.engine",
    "nautilus.streaming.engine",
    "nautilus.data.books",
    "nautilus.portfolio.engine",
    "nautilus.analytics.engine",
)


def build_bus(config: PlatformConfig) -> MessageBus:
    if config.bus.backend == "redis":
        from nautilus.bus.redis_streams import RedisStreamsBus

        bus_config = config.bus
        if config.engines is not None and bus_config.consumer_group == "nautilus":
            # Processes in one consumer group share (split) the work; a process running another
            # engine set must see every message, so it gets a group of its own.
            group = "nautilus-" + "-".join(sorted(config.engines))
            bus_config = bus_config.model_copy(update={"consumer_group": group})
        return RedisStreamsBus(config.redis_url, bus_config)
    from nautilus.bus.memory import InProcessBus

    return InProcessBus()


def build_timeseries(config: PlatformConfig) -> TimeSeriesStore:
    if config.timeseries.backend == "postgres":
        from nautilus.persistence.timeseries.postgres import PostgresStore

        url = config.timeseries.url or config.database_url
        if not url:
            raise ConfigurationError("timeseries backend 'postgres' needs timeseries.url")
        return PostgresStore(url)
    from nautilus.persistence.timeseries.arctic import ArcticStore

    return ArcticStore(config.data_dir / "timeseries")


def build_job_runner(config: PlatformConfig, db: Database, bus: MessageBus) -> JobRunner:
    if config.jobs_backend == "ray":
        from nautilus.jobs.ray_runner import RayJobRunner

        return RayJobRunner(db, bus, address=config.ray_address)
    from nautilus.jobs.local import LocalJobRunner

    return LocalJobRunner(db, bus, max_workers=config.jobs.max_workers)


def load_engine_modules() -> None:
    for mod in ENGINE_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:
            log.exception("engine module %s could not be imported; its engine will not run", mod)


class Platform:
    """Builds the stores, bus, job runner and engines; ``start``/``stop`` them in order."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        self.metrics = CollectorRegistry(auto_describe=True)
        self.db = Database(config.sqlalchemy_url)
        self.bus = build_bus(config)
        from nautilus.bus.metrics import BusMetricsCollector

        self.metrics.register(BusMetricsCollector(self.bus))
        self.timeseries: TimeSeriesStore | None = None
        self.jobs = build_job_runner(config, self.db, self.bus)
        self.engines: dict[str, Engine] = {}
        self.started = False
        self._ctx: EngineContext | None = None

    @property
    def ctx(self) -> EngineContext:
        if self._ctx is None:
            raise ConfigurationError("platform not started")
        return self._ctx

    def start(self) -> Platform:
        if self.started:
            return self
        self.config.check_secrets()
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        log.info("starting nautilus %s (data dir %s)", __version__, self.config.data_dir.resolve())
        self.db.migrate()
        self.timeseries = build_timeseries(self.config)
        self.bus.start()
        self.jobs.start()
        self._ctx = EngineContext(
            config=self.config,
            bus=self.bus,
            db=self.db,
            timeseries=self.timeseries,
            jobs=self.jobs,
            metrics=self.metrics,
            engines=self.engines,
        )
        load_engine_modules()
        for name in self._engine_order():
            engine = ENGINES.get(name)(self._ctx)
            self.engines[name] = engine
            engine.start()
            log.info("engine %s started", name)
        self.started = True
        return self

    def stop(self) -> None:
        for name in reversed(list(self.engines)):
            try:
                self.engines[name].stop()
            except Exception:
                log.exception("engine %s failed to stop cleanly", name)
        self.engines.clear()
        self.jobs.stop()
        self.bus.stop()
        if self.timeseries is not None:
            self.timeseries.close()
        self.db.dispose()
        self.started = False
        log.info("platform stopped")

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def engine(self, name: str) -> Engine:
        try:
            return self.engines[name]
        except KeyError:
            raise NotFoundError(
                f"engine {name!r} is not running", code="engine_not_running"
            ) from None

    def _engine_order(self) -> list[str]:
        """Registered engines (filtered by config.engines) with dependencies first."""
        wanted = set(self.config.engines) if self.config.engines is not None else set(ENGINES)
        unknown = wanted - set(ENGINES)
        if unknown:
            raise ConfigurationError(
                f"unknown engines: {', '.join(sorted(unknown))} (known: {', '.join(ENGINES)})"
            )
        order: list[str] = []

        def visit(name: str, stack: tuple[str, ...]) -> None:
            if name in order:
                return
            if name in stack:
                raise ConfigurationError(f"engine dependency cycle: {' -> '.join((*stack, name))}")
            for dep in ENGINES.get(name).depends_on:
                visit(dep, (*stack, name))
            order.append(name)

        for name in sorted(wanted):
            visit(name, ())
        return order

    def health(self) -> dict[str, Any]:
        """Readiness of each component; ``healthy`` only if all are."""
        parts: dict[str, dict[str, Any]] = {
            "database": self.db.health(),
            "bus": self.bus.health(),
            "jobs": self.jobs.health(),
            "timeseries": self.timeseries.health() if self.timeseries else {"healthy": False},
        }
        for name, eng in self.engines.items():
            parts[f"engine:{name}"] = eng.health()
        return {
            "healthy": all(p.get("healthy", False) for p in parts.values()),
            "components": parts,
        }

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "demo": self.config.demo,
            "backends": {
                "database": self.db.dialect,
                "bus": self.config.bus.backend,
                "timeseries": self.config.timeseries.backend,
                "jobs": self.config.jobs_backend,
            },
            "engines": [e.status() for e in self.engines.values()],
        }
