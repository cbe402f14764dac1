"""Health, readiness and status bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    healthy: bool
    components: dict[str, dict[str, Any]]


class DataSourceOut(BaseModel):
    name: str
    summary: str


class StatusOut(BaseModel):
    version: str
    demo: bool
    backends: dict[str, str]
    engines: list[dict[str, Any]]
    data_sources: list[DataSourceOut]
