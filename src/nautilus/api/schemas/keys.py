"""API key bodies: the secret appears only in the create response."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nautilus.security import ApiKey

ScopeName = Literal["read", "trade", "admin"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.:@/-]*$")
    scopes: list[ScopeName] = Field(min_length=1, max_length=3)


class KeyOut(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str
    scopes: list[ScopeName]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(
            id=key.id,
            user_id=key.user_id,
            name=key.name,
            prefix=key.prefix,
            scopes=[s.value for s in key.scopes],
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class KeyCreated(KeyOut):
    secret: str = Field(description="The full key; shown once, store it now")
