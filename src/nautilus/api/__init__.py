"""The HTTP API: ``create_app(platform)`` builds the FastAPI application."""

from __future__ import annotations

from nautilus.api.app import create_app

__all__ = ["create_app"]
