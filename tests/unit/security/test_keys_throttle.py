"""API keys and login throttling on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from nautilus.core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)
from nautilus.persistence.tables import ApiKeyRow
from nautilus.security import Role, Scope, Security, list_audit
from nautilus.security.api_keys import LAST_USED_RESOLUTION
from nautilus.security.tokens import token_digest

from .conftest import SteppedClock, make_security

PW = "correct horse battery"


def test_api_key_is_shown_once_and_stored_hashed(security: Security) -> None:
    alice = security.users.create("alice", PW, Role.TRADER)
    new = security.keys.create(alice, "bot", ["trade", "read"])
    _, prefix, secret = new.secret.split("_", 2)
    assert new.secret.startswith("nk_") and prefix == new.key.prefix and len(secret) >= 40
    assert new.key.scopes == (Scope.READ, Scope.TRADE)
    with security.db.session() as s:
        row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.id == new.key.id))
        assert row is not None
        assert row.key_hash == token_digest(new.secret) and new.secret not in row.key_hash
    user, key = security.keys.authenticate(new.secret)
    assert user.id == alice.id and key.id == new.key.id
    assert [k.id for k in security.keys.list(user_id=alice.id)] == [new.key.id]
    actions = [e.action for e in list_audit(security.db, target=new.key.id)]
    assert actions == ["api_key.create"]


def test_api_key_scopes_are_capped_by_role(security: Security) -> None:
    viewer = security.users.create("vera", PW, Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        security.keys.create(viewer, "k", ["trade"])
    with pytest.raises(ValidationError):
        security.keys.create(viewer, "k", ["fly"])
    with pytest.raises(ValidationError):
        security.keys.create(viewer, "k", [])
    read_key = security.keys.create(viewer, "k", "read")
    principal = security.authenticate_api_key(read_key.secret)
    assert principal.allows(Scope.READ) and not principal.allows(Scope.TRADE)
    with pytest.raises(PermissionDeniedError) as exc:
        principal.require(Scope.TRADE)
    assert exc.value.code == "role_forbidden"


def test_key_scope_limits_a_strong_role(security: Security) -> None:
    admin = security.users.create("root", PW, Role.ADMIN)
    read_only = security.authenticate_api_key(security.keys.create(admin, "ro", ["read"]).secret)
    assert read_only.allows(Scope.READ) and not read_only.allows(Scope.ADMIN)
    with pytest.raises(PermissionDeniedError) as exc:
        read_only.require(Scope.TRADE)
    assert exc.value.code == "scope_forbidden"
    full = security.authenticate_api_key(security.keys.create(admin, "all", ["admin"]).secret)
    assert full.allows(Scope.TRADE) and full.is_admin  # admin implies trade and read


def test_revoked_and_malformed_keys_are_rejected(security: Security) -> None:
    alice = security.users.create("alice", PW, Role.TRADER)
    bob = security.users.create("bobby", PW, Role.TRADER)
    new = security.keys.create(alice, "bot", ["read"])
    with pytest.raises(NotFoundError):
        security.keys.revoke(new.key.id, user_id=bob.id)  # not bob's key
    revoked = security.keys.revoke(new.key.id, user_id=alice.id, actor=alice.id)
    assert revoked.revoked_at is not None
    with pytest.raises(AuthenticationError) as exc:
        security.keys.authenticate(new.secret)
    assert exc.value.code == "api_key_revoked"
    for bad in ("nk_abc", "bearer xyz", new.secret[:-1] + "A" if new.secret[-1] != "A" else "x"):
        with pytest.raises(AuthenticationError):
            security.keys.authenticate(bad)
    assert [e.action for e in list_audit(security.db, target=new.key.id)] == [
        "api_key.revoke",
        "api_key.create",
    ]


def test_last_used_updates_at_most_once_per_resolution(
    security: Security, clock: SteppedClock
) -> None:
    alice = security.users.create("alice", PW, Role.TRADER)
    new = security.keys.create(alice, "bot", ["read"])
    assert new.key.last_used_at is None
    _, key = security.keys.authenticate(new.secret)
    first = security.keys.get(new.key.id).last_used_at
    assert first == clock() and key.last_used_at == clock()
    clock.advance(5)
    security.keys.authenticate(new.secret)
    assert security.keys.get(new.key.id).last_used_at == first
    clock.advance(LAST_USED_RESOLUTION.total_seconds())
    security.keys.authenticate(new.secret)
    assert security.keys.get(new.key.id).last_used_at == clock()


def test_login_throttle_locks_then_releases(data_dir: Path, backend_url: str | None) -> None:
    clock = SteppedClock()
    sec, db = make_security(
        data_dir, backend_url, clock, login_max_failures=3, login_window_s=300, login_lockout_s=60
    )
    try:
        sec.users.create("alice", PW)
        for _ in range(3):
            with pytest.raises(AuthenticationError):
                sec.login("alice", "wrong password", client="1.2.3.4")
            clock.advance(1)
        with pytest.raises(RateLimitedError) as exc:
            sec.login("alice", PW, client="1.2.3.4")  # even the right password
        assert 0 < exc.value.retry_after <= 60
        assert exc.value.to_problem()["retry_after"] == pytest.approx(59.0)
        # Another client address is not locked out.
        sec.login("alice", PW, client="5.6.7.8")
        clock.advance(60)
        sec.login("alice", PW, client="1.2.3.4")  # lockout over; success clears
        with pytest.raises(AuthenticationError):
            sec.login("alice", "wrong password", client="1.2.3.4")
        sec.login("alice", PW, client="1.2.3.4")
    finally:
        db.dispose()


def test_failures_outside_window_do_not_count(data_dir: Path) -> None:
    clock = SteppedClock()
    sec, db = make_security(
        data_dir, None, clock, login_max_failures=2, login_window_s=10, login_lockout_s=60
    )
    try:
        sec.users.create("alice", PW)
        with pytest.raises(AuthenticationError):
            sec.login("alice", "wrong password", client="c")
        clock.advance(11)
        with pytest.raises(AuthenticationError):
            sec.login("alice", "wrong password", client="c")
        sec.login("alice", PW, client="c")
    finally:
        db.dispose()
