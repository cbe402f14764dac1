"""Access tokens (JWT, short-lived) and rotating refresh tokens (opaque, stored hashed).

Access token claims: ``sub`` (user id), ``role``, ``type`` = ``"access"``, ``iat``, ``exp``
(seconds since the epoch, UTC) and ``jti``. Decoding pins the algorithm from ``AuthConfig``,
so a token signed with another algorithm (``none``, RS256 with the key as a public key...) is
rejected.

Refresh tokens are random strings; only their SHA-256 is stored. Every login starts a family;
``rotate`` marks the presented token rotated and issues a new one in the same family. A rotated
token presented again means it was stolen (or replayed): the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import jwt
from sqlalchemy import CursorResult, select, update

from nautilus.config import AuthConfig
from nautilus.core.errors import AuthenticationError
from nautilus.core.ids import new_id
from nautilus.persistence.db import Database
from nautilus.persistence.tables import RefreshTokenRow, UserRow
from nautilus.security.clock import Clock, as_utc, now_utc
from nautilus.security.users import Role, User

ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ("sub", "role", "type", "iat", "exp", "jti")


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    role: Role
    jti: str
    issued_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def token_digest(token: str) -> str:
    """SHA-256 hex digest: how refresh tokens and API keys are stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokens:
    """Sign and verify JWT access tokens."""

    def __init__(self, key: str, auth: AuthConfig, *, clock: Clock = now_utc) -> None:
        self._key = key
        self.auth = auth
        self.clock = clock

    def issue(self, user: User, *, now: datetime | None = None) -> str:
        issued = int((now or self.clock()).timestamp())
        claims: dict[str, Any] = {
            "sub": user.id,
            "role": user.role.value,
            "type": ACCESS_TYPE,
            "iat": issued,
            "exp": issued + self.auth.access_token_ttl_s,
            "jti": secrets.token_hex(12),
        }
        return jwt.encode(claims, self._key, algorithm=self.auth.jwt_algorithm)

    def decode(self, token: str) -> AccessClaims:
        """Verify signature, algorithm, expiry and type; ``AuthenticationError`` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self.auth.jwt_algorithm],
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("access token expired", code="token_expired") from None
        except jwt.InvalidTokenError:
            raise AuthenticationError("invalid access token", code="invalid_token") from None
        if claims.get("type") != ACCESS_TYPE:
            raise AuthenticationError("not an access token", code="invalid_token")
        try:
            role = Role(claims["role"])
        except ValueError:
            raise AuthenticationError("invalid access token", code="invalid_token") from None
        return AccessClaims(
            str(claims["sub"]), role, str(claims["jti"]), int(claims["iat"]), int(claims["exp"])
        )


class RefreshTokens:
    """Issue, rotate and revoke refresh tokens in the relational store."""

    def __init__(self, db: Database, auth: AuthConfig, *, clock: Clock = now_utc) -> None:
        self.db = db
        self.auth = auth
        self.clock = clock

    def issue(self, user_id: str, *, family_id: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.session() as s:
            s.add(
                RefreshTokenRow(
                    id=new_id(),
                    user_id=user_id,
                    family_id=family_id or new_id(),
                    token_hash=token_digest(token),
                    expires_at=now + timedelta(seconds=self.auth.refresh_token_ttl_s),
                    rotated_at=None,
                    revoked_at=None,
                )
            )
        return token

    def rotate(self, token: str) -> tuple[str, str]:
        """Spend ``token``; return ``(user_id, new_refresh_token)`` in the same family.

        Raises ``AuthenticationError`` for unknown, expired or revoked tokens, and on reuse of
        a rotated token, after revoking its whole family.
        """
        now = self.clock()
        digest = token_digest(token)
        with self.db.session() as s:
            row = s.scalar(select(RefreshTokenRow).where(RefreshTokenRow.token_hash == digest))
            if row is None:
                raise AuthenticationError("invalid refresh token", code="invalid_refresh_token")
            user_id, family_id = row.user_id, row.family_id
            if row.revoked_at is not None:
                raise AuthenticationError("refresh token revoked", code="refresh_token_revoked")
            if as_utc(row.expires_at) <= now:
                raise AuthenticationError("refresh token expired", code="refresh_token_expired")
            user = s.get(UserRow, user_id)
            if user is None or user.disabled:
                raise AuthenticationError("account disabled", code="account_disabled")
            # Conditional update: of two concurrent rotations of one token only one wins.
            won = cast(
                CursorResult[Any],
                s.execute(
                    update(RefreshTokenRow)
                    .where(RefreshTokenRow.id == row.id, RefreshTokenRow.rotated_at.is_(None))
                    .values(rotated_at=now)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
        if not won:
            self.revoke_family(family_id)
            raise AuthenticationError(
                "refresh token reused; all sessions of this login were revoked",
                code="refresh_token_reused",
            )
        return user_id, self.issue(user_id, family_id=family_id)

    def revoke_family(self, family_id: str) -> int:
        with self.db.session() as s:
            result = cast(
                CursorResult[Any],
                s.execute(
                    update(RefreshTokenRow)
                    .where(
                        RefreshTokenRow.family_id == family_id, RefreshTokenRow.revoked_at.is_(None)
                    )
                    .values(revoked_at=self.clock())
                    .execution_options(synchronize_session=False)
                ),
            )
            return int(result.rowcount)

    def revoke(self, token: str, *, user_id: str | None = None) -> bool:
        """Log out: revoke the family of ``token`` (only ``user_id``'s token when given)."""
        with self.db.session() as s:
            row = s.scalar(
                select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_digest(token))
            )
            if row is None or (user_id is not None and row.user_id != user_id):
                return False
            family_id = row.family_id
        return self.revoke_family(family_id) > 0

    def revoke_user(self, user_id: str) -> int:
        """Revoke every refresh token of a user (on disable or password change)."""
        with self.db.session() as s:
            result = cast(
                CursorResult[Any],
                s.execute(
                    update(RefreshTokenRow)
                    .where(RefreshTokenRow.user_id == user_id, RefreshTokenRow.revoked_at.is_(None))
                    .values(revoked_at=self.clock())
                    .execution_options(synchronize_session=False)
                ),
            )
            return int(result.rowcount)
