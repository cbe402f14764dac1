"""User administration (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from nautilus.api.deps import Admin, Page, SecurityDep
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.users import RoleChange, UserCreate, UserOut

router = APIRouter(prefix="/api/v1/users", tags=["users"])
UserId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]


@router.get(
    "", response_model=list[UserOut], summary="List users", responses=problem_responses(*AUTHED)
)
def list_users(_: Admin, page: Page, security: SecurityDep) -> list[UserOut]:
    return [UserOut.of(u) for u in security.users.list(limit=page.limit, offset=page.offset)]


@router.post(
    "",
    response_model=UserOut,
    status_code=201,
    summary="Create a user",
    responses=problem_responses(*AUTHED, 409),
)
def create_user(body: UserCreate, principal: Admin, security: SecurityDep) -> UserOut:
    user = security.users.create(body.username, body.password, body.role, actor=principal.user_id)
    return UserOut.of(user)


@router.get(
    "/{user_id}",
    response_model=UserOut,
    summary="One user",
    responses=problem_responses(*AUTHED, 404),
)
def get_user(user_id: UserId, _: Admin, security: SecurityDep) -> UserOut:
    return UserOut.of(security.users.get(user_id))


@router.put(
    "/{user_id}/role",
    response_model=UserOut,
    summary="Change a user's role",
    responses=problem_responses(*AUTHED, 404, 409),
)
def set_role(user_id: UserId, body: RoleChange, principal: Admin, security: SecurityDep) -> UserOut:
    return UserOut.of(security.users.set_role(user_id, body.role, actor=principal.user_id))
