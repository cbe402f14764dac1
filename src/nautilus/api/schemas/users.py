"""User bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nautilus.security import User

RoleName = Literal["viewer", "trader", "admin"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    password: str = Field(min_length=8, max_length=256)
    role: RoleName = "viewer"


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName


class UserOut(BaseModel):
    id: str
    username: str
    role: RoleName
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role.value,
            disabled=user.disabled,
            created_at=user.created_at,
        )
