"""API keys: ``nk_<prefix>_<secret>``, shown once, stored as a SHA-256 digest.

A key carries scopes (``read`` < ``trade`` < ``admin``, each implying the lower) and can never
do more than its owner's role allows. ``last_used_at`` is recorded at most once per
``LAST_USED_RESOLUTION`` per key, in memory, and written by a background flush (batched, one
transaction, every ``USAGE_FLUSH_INTERVAL_S``): authenticating a request is never a write.
Reading keys back (``get``/``list``) flushes first, so this process sees its own marks; marks
still pending when the process dies (at most one flush interval's worth) are lost.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
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

log = logging.getLogger(__name__)

KEY_PREFIX = "nk"
LAST_USED_RESOLUTION = timedelta(seconds=60)
USAGE_FLUSH_INTERVAL_S = 2.0


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
    """Create, list, revoke and authenticate API keys.

    ``on_revoke(key_id)`` is called once a revocation commits (the security service evicts its
    credential cache there).
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = now_utc,
        on_revoke: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.on_revoke = on_revoke
        self._usage_lock = threading.Lock()
        self._seen: dict[str, datetime] = {}  # key id -> last use recorded (pending or stored)
        self._pending: dict[str, datetime] = {}  # key id -> last use not yet written
        self._flusher: threading.Thread | None = None

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
        self.flush_usage()
        with self.db.session() as s:
            return [_to_key(r) for r in s.scalars(stmt)]

    def get(self, key_id: str, *, user_id: str | None = None) -> ApiKey:
        """A key by id; another user's key is ``NotFoundError`` when ``user_id`` is given."""
        self.flush_usage()
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
            key = _to_key(row)
        if self.on_revoke is not None:
            self.on_revoke(key_id)
        return key

    def authenticate(self, secret: str) -> tuple[User, ApiKey]:
        """The owner and key for a presented secret; ``AuthenticationError`` otherwise.

        A read only: the use is recorded with :meth:`note_use` and written in the background.
        """
        if split_key(secret) is None:
            raise AuthenticationError("malformed API key", code="invalid_api_key")
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
            user = User(
                user_row.id,
                user_row.username,
                Role(user_row.role),
                False,
                as_utc(user_row.created_at),
            )
            key = _to_key(key_row)
        marked = self.note_use(key.id, stored=key.last_used_at)
        return user, key if marked is None else replace(key, last_used_at=marked)

    def note_use(self, key_id: str, *, stored: datetime | None = None) -> datetime | None:
        """Record a use of ``key_id`` now, unless one was recorded within the resolution.

        ``stored`` is the ``last_used_at`` read from the database, if at hand. Returns the new
        mark, or None when nothing needed recording. Cheap; never touches the database.
        """
        now = self.clock()
        last = self._seen.get(key_id) or stored
        if last is not None and now - last < LAST_USED_RESOLUTION:
            return None
        with self._usage_lock:
            self._seen[key_id] = now
            self._pending[key_id] = now
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_loop, name="nautilus-api-key-usage", daemon=True
                )
                self._flusher.start()
        return now

    def flush_usage(self) -> int:
        """Write pending ``last_used_at`` marks in one transaction; the number written."""
        with self._usage_lock:
            if not self._pending:
                return 0
            batch, self._pending = self._pending, {}
        try:
            with self.db.session() as s:
                for key_id, when in batch.items():
                    s.execute(
                        update(ApiKeyRow)
                        .where(
                            ApiKeyRow.id == key_id,
                            or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < when),
                        )
                        .values(last_used_at=when)
                        .execution_options(synchronize_session=False)
                    )
        except Exception:
            with self._usage_lock:
                for key_id, when in batch.items():
                    self._pending.setdefault(key_id, when)
            raise
        return len(batch)

    def _flush_loop(self) -> None:
        """Background writer: flush every interval; exit once nothing is pending.

        After ``3`` failed attempts in a row (the database is gone) the pending marks are
        dropped: they are informational and must not keep a thread alive forever.
        """
        failures = 0
        while True:
            time.sleep(USAGE_FLUSH_INTERVAL_S)
            try:
                self.flush_usage()
                failures = 0
            except Exception:
                failures += 1
                log.warning("could not record API key usage (attempt %d)", failures, exc_info=True)
            with self._usage_lock:
                if failures >= 3:
                    self._pending.clear()
                if not self._pending:
                    self._flusher = None
                    return
