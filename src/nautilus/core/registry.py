"""One generic plug-in registry for data sources, indicators, factors, models, strategies...

A plug-in is registered with a decorator, optionally with a pydantic config class that
describes its parameters; third-party packages add plug-ins through entry points in the group
``nautilus.<kind>``. The API lists each registry with each plug-in's parameter schema.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from nautilus.core.errors import ConflictError, NotFoundError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PluginSpec(Generic[T]):
    """A registered plug-in: its name, the object, its config class and a one-line summary."""

    name: str
    obj: T
    config: type[BaseModel] | None
    summary: str
    tags: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "tags": list(self.tags),
            "parameters": self.config.model_json_schema() if self.config else None,
        }


class Registry(Generic[T]):
    """Named plug-ins of one kind.

    >>> strategies: Registry[type] = Registry("strategy")
    >>> @strategies.register("noop")
    ... class Noop: '''Does nothing.'''
    >>> strategies.get("noop").__name__
    'Noop'
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._specs: dict[str, PluginSpec[T]] = {}
        self._entry_points_loaded = False

    def register(
        self,
        name: str | None = None,
        *,
        config: type[BaseModel] | None = None,
        tags: tuple[str, ...] = (),
        replace: bool = False,
    ) -> Callable[[T], T]:
        """Decorator registering ``obj`` under ``name`` (default: its ``name`` attr or __name__)."""

        def deco(obj: T) -> T:
            key = name or getattr(obj, "name", None) or getattr(obj, "__name__", None)
            if not isinstance(key, str) or not key:
                raise ValueError(f"cannot infer a name for {obj!r}")
            if key in self._specs and not replace and self._specs[key].obj is not obj:
                raise ConflictError(f"{self.kind} {key!r} is already registered", code="duplicate")
            cfg = config if config is not None else getattr(obj, "config_class", None)
            doc = inspect.getdoc(obj) or ""
            self._specs[key] = PluginSpec(key, obj, cfg, doc.split("\n", 1)[0], tuple(tags))
            return obj

        return deco

    def add(self, name: str, obj: T, **kwargs: Any) -> T:
        """Register without decorator syntax."""
        return self.register(name, **kwargs)(obj)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=f"nautilus.{self.kind}"):
            if ep.name in self._specs:
                continue
            try:
                self.add(ep.name, ep.load())
            except Exception:  # a broken third-party plug-in must not break the platform
                log.exception("could not load %s plug-in %r from entry point", self.kind, ep.name)

    def spec(self, name: str) -> PluginSpec[T]:
        self._load_entry_points()
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise NotFoundError(
                f"unknown {self.kind} {name!r} (known: {known})",
                code=f"unknown_{self.kind}",
            ) from None

    def get(self, name: str) -> T:
        return self.spec(name).obj

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._specs)

    def specs(self) -> list[PluginSpec[T]]:
        return [self._specs[n] for n in self.names()]

    def describe(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self.specs()]

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._specs

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load_entry_points()
        return len(self._specs)
