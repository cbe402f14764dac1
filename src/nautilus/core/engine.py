"""The engine contract: every capability (data, features, risk, ...) is an ``Engine``.

Engines are built by the :class:`~nautilus.platform.Platform` from the ``ENGINES`` registry
with an :class:`EngineContext` holding the shared ports (bus, stores, job runner). Engines meet
only through the bus or through those ports, never through each other's internals; an engine
that needs another's public service asks the context with :meth:`EngineContext.engine`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from nautilus.core.errors import NotFoundError
from nautilus.core.registry import Registry

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from nautilus.bus.base import MessageBus
    from nautilus.config import PlatformConfig
    from nautilus.jobs.base import JobRunner
    from nautilus.persistence.db import Database
    from nautilus.persistence.timeseries.base import TimeSeriesStore

E = TypeVar("E", bound="Engine")


@dataclass
class EngineContext:
    """The shared ports an engine is built with."""

    config: PlatformConfig
    bus: MessageBus
    db: Database
    timeseries: TimeSeriesStore
    jobs: JobRunner
    metrics: CollectorRegistry
    engines: dict[str, Engine] = field(default_factory=dict)

    def engine(self, name: str, kind: type[E] | None = None) -> E:
        """Another running engine by name (its public methods only)."""
        try:
            eng = self.engines[name]
        except KeyError:
            raise NotFoundError(
                f"engine {name!r} is not running", code="engine_not_running"
            ) from None
        if kind is not None and not isinstance(eng, kind):
            raise TypeError(f"engine {name!r} is a {type(eng).__name__}, not {kind.__name__}")
        return eng  # type: ignore[return-value]


class Engine(abc.ABC):
    """Base class of engines. Subclasses set ``name`` and register in ``ENGINES``."""

    name: ClassVar[str]
    depends_on: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.running = False

    def start(self) -> None:
        """Wire bus subscriptions and start background work."""
        self.running = True

    def stop(self) -> None:
        """Stop background work; must be idempotent."""
        self.running = False

    def health(self) -> dict[str, Any]:
        """``{"healthy": bool, ...}`` for /ready."""
        return {"healthy": self.running}

    def status(self) -> dict[str, Any]:
        """A short description for /api/v1/status."""
        return {"name": self.name, "running": self.running}


ENGINES: Registry[type[Engine]] = Registry("engine")
"""All engine classes; the platform starts them in dependency order."""
