"""``create_app(platform)``: the FastAPI application over one :class:`Platform`.

The lifespan starts the platform if it is not running yet (and then stops it again), builds
the :class:`~nautilus.security.Security` façade and bootstraps the first admin. A generated
admin password is kept on ``app.state.admin_bootstrap`` for the caller (the CLI prints it);
when nothing else will show it, it is logged once at WARNING.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from nautilus import __version__
from nautilus.api.errors import install_error_handlers
from nautilus.api.metrics import ApiMetrics
from nautilus.api.middleware import (
    BodyLimitMiddleware,
    RequestContextMiddleware,
    install_request_id_logging,
)
from nautilus.api.routers import all_routers
from nautilus.api.ws import mount_ws
from nautilus.platform import Platform
from nautilus.security import AdminBootstrap, Security

log = logging.getLogger(__name__)

DASHBOARD_DIR = Path(__file__).resolve().parents[3] / "web" / "dist"


def announce_admin(boot: AdminBootstrap) -> None:
    """Log a generated admin password once, for servers started without the CLI."""
    log.warning(
        "\n==================== FIRST START ====================\n"
        "  An admin account was created.\n"
        "  username: %s\n  password: %s\n"
        "  This password is shown only now; change it after logging in.\n"
        "=====================================================",
        boot.user.username,
        boot.password,
    )


def create_app(
    platform: Platform, *, dashboard_dir: Path | None = None, announce: bool = True
) -> FastAPI:
    """Build the application; ``announce=False`` when the caller shows the admin password."""
    config = platform.config
    install_request_id_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started_here = not platform.started
        if started_here:
            await asyncio.to_thread(platform.start)
        try:
            security = Security(config, platform.db)
            boot = await asyncio.to_thread(security.bootstrap_admin)
            app.state.security = security
            app.state.admin_bootstrap = boot
            if boot is not None and boot.generated and announce:
                announce_admin(boot)
            yield
        finally:
            app.state.security = None
            if started_here:
                await asyncio.to_thread(platform.stop)

    app = FastAPI(
        title="Nautilus",
        version=__version__,
        summary="Self-hosted trading and portfolio platform",
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.security = None
    app.state.admin_bootstrap = None
    metrics = ApiMetrics(platform)
    app.state.metrics = metrics
    install_error_handlers(app)

    for router in all_routers():
        app.include_router(router)
    mount_ws(app, platform)

    if config.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.api.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.api.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)  # outermost: sees every request

    _document_page_limit(app, config.api.max_page_size)

    static = dashboard_dir if dashboard_dir is not None else DASHBOARD_DIR
    if config.api.serve_dashboard and static.is_dir():
        # Mounted last so that every API route matches first.
        app.mount("/", StaticFiles(directory=static, html=True), name="dashboard")
    return app


def _document_page_limit(app: FastAPI, max_page_size: int) -> None:
    """Show the configured page size limit as ``maximum`` on every ``limit`` parameter."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for param in operation.get("parameters", []) if isinstance(operation, dict) else []:
                    if param.get("name") == "limit" and param.get("in") == "query":
                        for option in param["schema"].get("anyOf", [param["schema"]]):
                            if option.get("type") == "integer":
                                option["maximum"] = max_page_size
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
