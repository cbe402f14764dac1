"""API keys: ``nk_<prefix>_<secret>``, shown once, stored as a SHA-256 digest.

A key carries scopes (``read`` < ``trade`` < ``admin``, each implying the lower) and can never
do more than its owner's role allows. ``last_used_at`` is written at most once per
``LAST_USED_RESOLUTION`` so that authenticating a request stays a read, not a write.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.sql.elements import ColumnElement

from nautilus.core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from nautilus.core.ids import new_id
from nautilus.persistence.db import Database
from nautilus.persistence.tables import ApiKeyRow, UserRow
from nautilus.security.audit import record_audit
from nautilus.security.clock import Clock, as_utc, now_utc
from nautilus.security.tokens import token_digest
from nautilus.security.users import Role, Scope, User, scope_rank

KEY_PREFIX = "nk"
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    user_id: str
    name: str
    prefix: str
    scopes: tuple[Scope, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly created key: ``secret`` is the full key, shown to the user once."""

    key: ApiKey
    secret: str


def parse_scopes(scopes: str | Sequence[str]) -> tuple[Scope, ...]:
    items = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    out: list[Scope] = []
    for item in items:
        name = str(item).strip()
        if not name:
            continue
        try:
            scope = Scope(name)
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ValidationError(
                f"unknown scope {name!r} (known: {known})", code="unknown_scope"
            ) from None
        if scope not in out:
            out.append(scope)
    if not out:
        raise ValidationError("an API key needs at least one scope", code="no_scopes")
    return tuple(sorted(out, key=scope_rank))


def _to_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        scopes=parse_scopes(row.scopes),
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at else None,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def split_key(secret: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or len(parts[2]) < 20:
        return None
    return parts[1]


class ApiKeyRing:
    """Create, list, revoke and authenticate API keys."""

    def __init__(self, db: Database, *, clock: Clock = now_utc) -> None:
        self.db = db
        self.clock = clock

    def create(
        self,
        owner: User,
        name: str,
        scopes: str | Sequence[str],
        *,
        actor: str | None = None,
    ) -> NewApiKey:
        """Create a key for ``owner``; scopes above the owner's role are refused (403)."""
        name = name.strip()
        if not 1 <= len(name) <= 128:
            raise ValidationError("key name must be 1-128 characters", code="invalid_name")
        wanted = parse_scopes(scopes)
        too_high = [s.value for s in wanted if not owner.role.allows(s)]
        if too_high:
            raise PermissionDeniedError(
                f"role {owner.role.value} cannot hold scopes {', '.join(too_high)}",
                code="scope_exceeds_role",
            )
        prefix = secrets.token_hex(4)
        secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            id=new_id(),
            user_id=owner.id,
            name=name,
            prefix=prefix,
            key_hash=token_digest(secret),
            scopes=",".join(s.value for s in wanted),
            created_at=self.clock(),
            last_used_at=None,
            revoked_at=None,
        )
        with self.db.session() as s:
            s.add(row)
            record_audit(
                s,
                actor=actor or owner.id,
                action="api_key.create",
                target=row.id,
                after={
                    "user_id": owner.id,
                    "name": name,
                    "prefix": prefix,
                    "scopes": [x.value for x in wanted],
                },
            )
        return NewApiKey(_to_key(row), secret)

    def list(
        self,
        *,
        user_id: str | None = None,
        include_revoked: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ApiKey]:
        """Keys of ``user_id`` (every user's if None), newest first."""
        stmt = select(ApiKeyRow).order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id.desc())
        conds: list[ColumnElement[bool]] = []
        if user_id is not None:
            conds.append(ApiKeyRow.user_id == user_id)
        if not include_revoked:
            conds.append(ApiKeyRow.revoked_at.is_(None))
        stmt = stmt.where(*conds).limit(limit).offset(offset)
        with self.db.session() as s:
            return [_to_key(r) for r in s.scalars(stmt)]

    def get(self, key_id: str, *, user_id: str | None = None) -> ApiKey:
        """A key by id; another user's key is ``NotFoundError`` when ``user_id`` is given."""
        with self.db.session() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None or (user_id is not None and row.user_id != user_id):
                raise NotFoundError(f"no API key {key_id!r}", code="api_key_not_found")
            return _to_key(row)

    def revoke(self, key_id: str, *, user_id: str | None = None, actor: str = "system") -> ApiKey:
        """Revoke a key (idempotent); restricted to ``user_id``'s keys when given."""
        with self.db.session() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None or (user_id is not None and row.user_id != user_id):
                raise NotFoundError(f"no API key {key_id!r}", code="api_key_not_found")
            if row.revoked_at is None:
                row.revoked_at = self.clock()
                record_audit(
                    s,
                    actor=actor,
                    action="api_key.revoke",
                    target=key_id,
                    before={"revoked": False},
                    after={"revoked": True},
                )
            return _to_key(row)

    def authenticate(self, secret: str) -> tuple[User, ApiKey]:
        """The owner and key for a presented secret; ``AuthenticationError`` otherwise."""
        if split_key(secret) is None:
            raise AuthenticationError("malformed API key", code="invalid_api_key")
        now = self.clock()
        with self.db.session() as s:
            found = s.execute(
                select(ApiKeyRow, UserRow)
                .join(UserRow, UserRow.id == ApiKeyRow.user_id)
                .where(ApiKeyRow.key_hash == token_digest(secret))
            ).first()
            if found is None:
                raise AuthenticationError("invalid API key", code="invalid_api_key")
            key_row, user_row = found
            if key_row.revoked_at is not None:
                raise AuthenticationError("API key revoked", code="api_key_revoked")
            if user_row.disabled:
                raise AuthenticationError("account disabled", code="account_disabled")
            last = key_row.last_used_at
            if last is None or now - as_utc(last) >= LAST_USED_RESOLUTION:
                s.execute(
                    update(ApiKeyRow)
                    .where(ApiKeyRow.id == key_row.id)
                    .values(last_used_at=now)
                    .execution_options(synchronize_session=False)
                )
                key_row.last_used_at = now
            user = User(
                user_row.id,
                user_row.username,
                Role(user_row.role),
                False,
                as_utc(user_row.created_at),
            )
            return user, _to_key(key_row)
