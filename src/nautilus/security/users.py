"""Users and roles: ``viewer`` reads, ``trader`` also trades, ``admin`` does everything."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.core.ids import new_id
from nautilus.persistence.db import Database
from nautilus.persistence.tables import UserRow
from nautilus.security.audit import record_audit
from nautilus.security.clock import as_utc
from nautilus.security.passwords import check_password_policy, hash_password

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$")
ADMIN_USERNAME = "admin"


class Role(StrEnum):
    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def allows(self, scope: Scope) -> bool:
        """True if this role may act with ``scope``."""
        return self.rank >= _SCOPE_RANK[scope]


class Scope(StrEnum):
    """What a credential may do: ``read`` < ``trade`` < ``admin`` (each implies the lower)."""

    READ = "read"
    TRADE = "trade"
    ADMIN = "admin"


_ROLE_RANK = {Role.VIEWER: 0, Role.TRADER: 1, Role.ADMIN: 2}
_SCOPE_RANK = {Scope.READ: 0, Scope.TRADE: 1, Scope.ADMIN: 2}


def scope_rank(scope: Scope) -> int:
    return _SCOPE_RANK[scope]


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    role: Role
    disabled: bool
    created_at: datetime


def _to_user(row: UserRow) -> User:
    return User(row.id, row.username, Role(row.role), bool(row.disabled), as_utc(row.created_at))


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValidationError(
            f"unknown role {value!r} (known: {known})", code="unknown_role"
        ) from None


def check_username(username: str) -> str:
    if not USERNAME_PATTERN.match(username):
        raise ValidationError(
            "username must be 3-64 characters: letters, digits, '_', '.', '@', '-'",
            code="invalid_username",
        )
    return username


class UserDirectory:
    """Create, look up, list, re-role and disable users in the relational store.

    ``on_change(user_id)`` is called after a role, enabled-state or password change commits
    (the security service evicts its credential cache there).
    """

    def __init__(self, db: Database, *, on_change: Callable[[str], None] | None = None) -> None:
        self.db = db
        self.on_change = on_change

    def _changed(self, user_id: str) -> None:
        if self.on_change is not None:
            self.on_change(user_id)

    def create(
        self, username: str, password: str, role: Role | str = Role.VIEWER, *, actor: str = "system"
    ) -> User:
        """Create a user; ``ConflictError`` if the username is taken."""
        check_username(username)
        check_password_policy(password)
        role = parse_role(role) if isinstance(role, str) else role
        row = UserRow(
            id=new_id(),
            username=username,
            password_hash=hash_password(password),
            role=role.value,
            disabled=False,
        )
        try:
            with self.db.session() as s:
                s.add(row)
                s.flush()
                record_audit(
                    s,
                    actor=actor,
                    action="user.create",
                    target=row.id,
                    after={"username": username, "role": role.value},
                )
        except IntegrityError:
            raise ConflictError(f"username {username!r} is taken", code="username_taken") from None
        return self.get(row.id)

    def get(self, user_id: str) -> User:
        with self.db.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFoundError(f"no user {user_id!r}", code="user_not_found")
            return _to_user(row)

    def get_by_username(self, username: str) -> User:
        with self.db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise NotFoundError(f"no user {username!r}", code="user_not_found")
            return _to_user(row)

    def password_hash(self, username: str) -> tuple[User, str] | None:
        """The user and their stored hash, or None if there is no such user."""
        with self.db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return None if row is None else (_to_user(row), row.password_hash)

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self.db.session() as s:
            row = s.get(UserRow, user_id)
            if row is not None:
                row.password_hash = password_hash
        self._changed(user_id)

    def list(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        stmt = select(UserRow).order_by(UserRow.username).limit(limit).offset(offset)
        with self.db.session() as s:
            return [_to_user(r) for r in s.scalars(stmt)]

    def set_role(self, user_id: str, role: Role | str, *, actor: str = "system") -> User:
        role = parse_role(role) if isinstance(role, str) else role
        with self.db.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFoundError(f"no user {user_id!r}", code="user_not_found")
            before = row.role
            if before == Role.ADMIN and role != Role.ADMIN:
                self._keep_one_admin(s, user_id)
            row.role = role.value
            record_audit(
                s,
                actor=actor,
                action="user.set_role",
                target=user_id,
                before={"role": before},
                after={"role": role.value},
            )
            user = _to_user(row)
        self._changed(user_id)
        return user

    def set_disabled(self, user_id: str, disabled: bool = True, *, actor: str = "system") -> User:
        with self.db.session() as s:
            row = s.get(UserRow, user_id)
            if row is None:
                raise NotFoundError(f"no user {user_id!r}", code="user_not_found")
            if disabled and row.role == Role.ADMIN:
                self._keep_one_admin(s, user_id)
            before = bool(row.disabled)
            row.disabled = disabled
            record_audit(
                s,
                actor=actor,
                action="user.disable" if disabled else "user.enable",
                target=user_id,
                before={"disabled": before},
                after={"disabled": disabled},
            )
            user = _to_user(row)
        self._changed(user_id)
        return user

    @staticmethod
    def _keep_one_admin(s: Session, user_id: str) -> None:
        others = s.scalar(
            select(func.count())
            .select_from(UserRow)
            .where(
                UserRow.role == Role.ADMIN.value, UserRow.disabled.is_(False), UserRow.id != user_id
            )
        )
        if not others:
            raise ConflictError("cannot remove the last active admin", code="last_admin")

    def admin_exists(self) -> bool:
        with self.db.session() as s:
            n = s.scalar(
                select(func.count()).select_from(UserRow).where(UserRow.role == Role.ADMIN.value)
            )
            return bool(n)


@dataclass(frozen=True, slots=True)
class AdminBootstrap:
    """The admin created on first start; ``password`` is shown once if it was generated."""

    user: User
    password: str | None
    generated: bool


def bootstrap_admin(users: UserDirectory, admin_password: str | None) -> AdminBootstrap | None:
    """Create user ``admin`` if no admin exists yet; None if one does.

    The password is ``admin_password`` if given, else a random one, returned for the caller to
    show once. There is no fixed default password.
    """
    if users.admin_exists():
        return None
    generated = admin_password is None
    password = secrets.token_urlsafe(18) if admin_password is None else admin_password
    try:
        user = users.create(ADMIN_USERNAME, password, Role.ADMIN, actor="bootstrap")
    except ConflictError:
        # Another process bootstrapped at the same moment, or a non-admin took the name.
        return None
    return AdminBootstrap(user, password if generated else None, generated)
