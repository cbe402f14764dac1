"""One router per resource; ``ROUTER_MODULES`` lists them in the order they are mounted."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

ROUTER_MODULES: tuple[str, ...] = (
    "system",
    "auth",
    "users",
    "keys",
    "jobs",
    "data",
    "books",
    "features",
    "factors",
    "ml",
    "risk",
    "trading",
    "backtests",
    "portfolio",
    "analytics",
)


def all_routers() -> list[APIRouter]:
    """Import every router module (an import error is a bug and propagates)."""
    return [importlib.import_module(f"{__name__}.{name}").router for name in ROUTER_MODULES]
