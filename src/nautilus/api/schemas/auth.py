"""Login, refresh and logout bodies and the token pair."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=256)


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Access token lifetime in seconds")


class MeOut(BaseModel):
    id: str
    username: str
    role: Literal["viewer", "trader", "admin"]
    created_at: datetime
    via: Literal["token", "api_key"]
    scopes: list[Literal["read", "trade", "admin"]]
    key_id: str | None = None
