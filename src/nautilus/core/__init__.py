"""Core primitives shared by every engine: errors, time, ids, money, registry."""

from __future__ import annotations

from nautilus.core.errors import (
    AuthenticationError,
    ConflictError,
    NautilusError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)
from nautilus.core.registry import Registry

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "NautilusError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "Registry",
    "UnavailableError",
    "ValidationError",
]
