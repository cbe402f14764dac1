"""Who is calling: a Bearer access token or an ``X-API-Key`` header, resolved to a Principal."""

from __future__ import annotations

from fastapi import Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from nautilus.core.errors import AuthenticationError
from nautilus.security import Principal, Security

API_KEY_HEADER = "X-API-Key"

# auto_error=False: missing credentials become our 401 problem, not FastAPI's 403.
bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")
api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, description="API key nk_<prefix>_<secret>"
)


def client_address(request: Request) -> str:
    """The peer address used for login throttling (a proxy in front should set it right)."""
    return request.client.host if request.client else "unknown"


def resolve_cached_principal(
    security: Security,
    bearer: HTTPAuthorizationCredentials | None,
    api_key: str | None,
) -> Principal | None:
    """The caller from the in-process credential cache, without blocking; None on a miss.

    Same precedence as :func:`resolve_principal`; an invalid access token raises here already
    (checking it is CPU only). None means: call :func:`resolve_principal` off the event loop.
    """
    if bearer is not None and bearer.credentials:
        return security.cached_bearer(bearer.credentials)
    if api_key:
        return security.cached_api_key(api_key)
    return None


def resolve_principal(
    security: Security,
    bearer: HTTPAuthorizationCredentials | None,
    api_key: str | None,
) -> Principal:
    if bearer is not None and bearer.credentials:
        return security.authenticate_bearer(bearer.credentials)
    if api_key:
        return security.authenticate_api_key(api_key)
    raise AuthenticationError(
        f"send 'Authorization: Bearer <token>' or '{API_KEY_HEADER}: <key>'",
        code="missing_credentials",
    )
