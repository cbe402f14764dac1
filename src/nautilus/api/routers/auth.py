"""Login, token refresh, logout and the current caller."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from nautilus.api.auth import client_address
from nautilus.api.deps import CurrentPrincipal, SecurityDep
from nautilus.api.schemas.auth import LoginRequest, MeOut, RefreshRequest, TokenPairOut
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.security import TokenPair

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _pair_out(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post(
    "/login",
    response_model=TokenPairOut,
    summary="Exchange username and password for tokens",
    responses=problem_responses(401, 413, 422, 429),
)
def login(body: LoginRequest, request: Request, security: SecurityDep) -> TokenPairOut:
    _, pair = security.login(body.username, body.password, client=client_address(request))
    return _pair_out(pair)


@router.post(
    "/refresh",
    response_model=TokenPairOut,
    summary="Rotate a refresh token into a new pair",
    responses=problem_responses(401, 413, 422),
)
def refresh(body: RefreshRequest, security: SecurityDep) -> TokenPairOut:
    return _pair_out(security.refresh(body.refresh_token))


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    summary="Revoke the refresh token's login (all its rotations)",
    responses=problem_responses(*AUTHED),
)
def logout(body: RefreshRequest, principal: CurrentPrincipal, security: SecurityDep) -> Response:
    security.logout(body.refresh_token, user_id=principal.user_id)
    return Response(status_code=204)


@router.get(
    "/me",
    response_model=MeOut,
    summary="The authenticated caller",
    responses=problem_responses(*AUTHED),
)
async def me(principal: CurrentPrincipal) -> MeOut:
    user = principal.user
    return MeOut(
        id=user.id,
        username=user.username,
        role=user.role.value,
        created_at=user.created_at,
        via=principal.via,
        scopes=[s.value for s in principal.scopes],
        key_id=principal.key_id,
    )
