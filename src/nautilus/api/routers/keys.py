"""API keys: create, list and revoke your own; an admin sees and revokes everyone's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from nautilus.api.deps import Page, Reader, SecurityDep
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.keys import KeyCreate, KeyCreated, KeyOut
from nautilus.core.errors import PermissionDeniedError
from nautilus.security import Principal

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
KeyId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]


def _no_key_minting(principal: Principal) -> None:
    # A leaked key must not be able to mint or revoke keys unless it is an admin key.
    if principal.via == "api_key" and not principal.is_admin:
        raise PermissionDeniedError(
            "managing keys needs a login session or an admin-scoped key", code="scope_forbidden"
        )


@router.post(
    "",
    response_model=KeyCreated,
    status_code=201,
    summary="Create a key for yourself (the secret is shown once)",
    responses=problem_responses(*AUTHED),
)
def create_key(body: KeyCreate, principal: Reader, security: SecurityDep) -> KeyCreated:
    _no_key_minting(principal)
    new = security.keys.create(principal.user, body.name, body.scopes, actor=principal.user_id)
    return KeyCreated(**KeyOut.of(new.key).model_dump(), secret=new.secret)


@router.get(
    "",
    response_model=list[KeyOut],
    summary="Your keys (an admin: everyone's)",
    responses=problem_responses(*AUTHED),
)
def list_keys(
    principal: Reader,
    page: Page,
    security: SecurityDep,
    include_revoked: Annotated[bool, Query()] = True,
) -> list[KeyOut]:
    owner = None if principal.is_admin else principal.user_id
    keys = security.keys.list(
        user_id=owner, include_revoked=include_revoked, limit=page.limit, offset=page.offset
    )
    return [KeyOut.of(k) for k in keys]


@router.delete(
    "/{key_id}",
    response_model=KeyOut,
    summary="Revoke a key",
    responses=problem_responses(*AUTHED, 404),
)
def revoke_key(key_id: KeyId, principal: Reader, security: SecurityDep) -> KeyOut:
    _no_key_minting(principal)
    owner = None if principal.is_admin else principal.user_id
    return KeyOut.of(security.keys.revoke(key_id, user_id=owner, actor=principal.user_id))
