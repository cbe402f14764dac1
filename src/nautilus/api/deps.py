"""FastAPI dependencies as ``Annotated`` aliases: the platform, security, the caller, paging.

    @router.get("/things")
    def list_things(principal: Reader, page: Page, platform: PlatformDep) -> ...

``Reader``/``Trader``/``Admin`` authenticate the caller and check role *and* key scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from nautilus.api.auth import (
    api_key_scheme,
    bearer_scheme,
    resolve_cached_principal,
    resolve_principal,
)
from nautilus.core.errors import UnavailableError, ValidationError
from nautilus.platform import Platform
from nautilus.security import Principal, Scope, Security

MAX_OFFSET = 2**31 - 1
DEFAULT_PAGE_SIZE = 100


async def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def get_security(request: Request) -> Security:
    security: Security | None = getattr(request.app.state, "security", None)
    if security is None:
        raise UnavailableError("the API is starting", code="starting")
    return security


PlatformDep = Annotated[Platform, Depends(get_platform)]
SecurityDep = Annotated[Security, Depends(get_security)]


# Non-blocking dependencies are ``async`` so they run on the event loop, not in the thread
# pool. A credential verified within the last few seconds is served from the security
# service's in-process cache on the loop; only a cache miss (a database read) takes a worker
# thread.
async def get_principal(
    security: SecurityDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    principal = resolve_cached_principal(security, bearer, api_key)
    if principal is not None:
        return principal
    return await run_in_threadpool(resolve_principal, security, bearer, api_key)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def requires(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the caller through only with ``scope`` (role and key)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        return principal.require(scope)

    check.__name__ = f"require_{scope.value}"
    return check


Reader = Annotated[Principal, Depends(requires(Scope.READ))]
Trader = Annotated[Principal, Depends(requires(Scope.TRADE))]
Admin = Annotated[Principal, Depends(requires(Scope.ADMIN))]


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int


async def get_page(
    request: Request,
    limit: Annotated[
        int | None,
        Query(ge=1, description="Items per page (default 100, at most api.max_page_size)"),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageParams:
    max_size: int = request.app.state.platform.config.api.max_page_size
    if limit is None:
        limit = min(DEFAULT_PAGE_SIZE, max_size)
    elif limit > max_size:
        raise ValidationError(
            f"limit {limit} exceeds the largest page size {max_size}",
            code="page_too_large",
            max_page_size=max_size,
        )
    return PageParams(limit, offset)


Page = Annotated[PageParams, Depends(get_page)]
