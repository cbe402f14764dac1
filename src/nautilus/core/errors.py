"""The one exception hierarchy of the platform.

Every error carries a stable machine-readable ``code`` and an HTTP ``status``; the API maps
them to ``application/problem+json`` bodies, the CLI to a message and a non-zero exit.
"""

from __future__ import annotations

from typing import Any


class NautilusError(Exception):
    """Base class. ``code`` is stable and documented; ``detail`` is for humans."""

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra: dict[str, Any] = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """Render as an RFC 9457 problem document."""
        body: dict[str, Any] = {
            "type": f"https://nautilus.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class ValidationError(NautilusError):
    """Input that is well-formed but not acceptable (ranges, limits, unknown fields)."""

    status = 422
    code = "validation_error"
    title = "Invalid input"


class NotFoundError(NautilusError):
    """A named thing does not exist (or belongs to someone else)."""

    status = 404
    code = "not_found"
    title = "Not found"


class ConflictError(NautilusError):
    """The request conflicts with current state (duplicate name, illegal transition)."""

    status = 409
    code = "conflict"
    title = "Conflict"


class AuthenticationError(NautilusError):
    """Missing, expired or invalid credentials."""

    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class PermissionDeniedError(NautilusError):
    """Authenticated, but the role or scope does not allow this."""

    status = 403
    code = "forbidden"
    title = "Forbidden"


class RateLimitedError(NautilusError):
    """Too many requests; ``retry_after`` seconds until the next attempt may succeed."""

    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(detail, code=code, retry_after=round(retry_after, 3))
        self.retry_after = retry_after


class UnavailableError(NautilusError):
    """A dependency (database, bus, store, provider) cannot be reached right now."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"


class ConfigurationError(NautilusError):
    """The platform cannot start with this configuration (e.g. a default secret outside demo)."""

    status = 500
    code = "configuration_error"
    title = "Configuration error"
