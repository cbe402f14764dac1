"""Liveness, readiness, status and Prometheus metrics."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from nautilus.api.deps import PlatformDep, Reader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.system import DataSourceOut, Liveness, Readiness, StatusOut

log = logging.getLogger(__name__)
router = APIRouter(tags=["system"])


@router.get("/health", response_model=Liveness, summary="Liveness: the process answers")
def health() -> Liveness:
    return Liveness()


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Readiness: every component is healthy",
    responses={503: {"model": Readiness, "description": "A component is not healthy"}},
)
def ready(platform: PlatformDep) -> JSONResponse:
    report = platform.health() if platform.started else {"healthy": False, "components": {}}
    body = Readiness.model_validate(report).model_dump(mode="json")
    return JSONResponse(body, status_code=200 if body["healthy"] else 503)


def registered_data_sources() -> list[DataSourceOut]:
    """Data sources from the data engine's registry, if that package is installed."""
    try:
        module = importlib.import_module("nautilus.data.base")
    except ImportError:
        return []
    registry: Any = getattr(module, "DATA_SOURCES", None)
    if registry is None:
        return []
    try:
        return [DataSourceOut(name=s.name, summary=s.summary) for s in registry.specs()]
    except Exception:  # a broken plug-in must not break /status
        log.exception("could not list data sources")
        return []


@router.get(
    "/api/v1/status",
    response_model=StatusOut,
    summary="Version, backends, engines, sources",
    responses=problem_responses(*AUTHED),
)
def status(platform: PlatformDep, _: Reader) -> StatusOut:
    return StatusOut(**platform.status(), data_sources=registered_data_sources())


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request) -> Response:
    body: bytes = request.app.state.metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
