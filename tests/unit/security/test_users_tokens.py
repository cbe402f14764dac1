"""Users, access tokens and refresh-token rotation on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from nautilus.core.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from nautilus.security import Role, Security, list_audit

from .conftest import SteppedClock

PW = "correct horse battery"


def test_create_get_list_users(security: Security) -> None:
    alice = security.users.create("alice", PW, Role.TRADER)
    bob = security.users.create("bob", PW, "viewer")
    assert security.users.get(alice.id).username == "alice"
    assert security.users.get_by_username("bob").role is Role.VIEWER
    assert [u.username for u in security.users.list()] == ["alice", "bob"]
    assert [u.username for u in security.users.list(limit=1, offset=1)] == ["bob"]
    with pytest.raises(ConflictError):
        security.users.create("alice", PW)
    with pytest.raises(ValidationError):
        security.users.create("x", PW)
    with pytest.raises(ValidationError):
        security.users.create("carol", PW, "superuser")
    with pytest.raises(NotFoundError):
        security.users.get("nope")
    assert bob.created_at.tzinfo is not None


def test_set_role_and_disable_are_audited(security: Security) -> None:
    admin = security.users.create("root", PW, Role.ADMIN)
    alice = security.users.create("alice", PW, Role.VIEWER)
    assert security.users.set_role(alice.id, Role.TRADER, actor=admin.id).role is Role.TRADER
    assert security.users.set_disabled(alice.id, actor=admin.id).disabled
    entries = list_audit(security.db, target=alice.id)
    actions = [e.action for e in entries]
    assert "user.set_role" in actions and "user.disable" in actions
    role_change = next(e for e in entries if e.action == "user.set_role")
    assert role_change.before == {"role": "viewer"} and role_change.after == {"role": "trader"}
    assert role_change.actor == admin.id
    # The last active admin cannot be demoted or disabled.
    with pytest.raises(ConflictError):
        security.users.set_role(admin.id, Role.VIEWER)
    with pytest.raises(ConflictError):
        security.users.set_disabled(admin.id)


def test_login_and_access_token_claims(security: Security) -> None:
    alice = security.users.create("alice", PW, Role.TRADER)
    user, pair = security.login("alice", PW, client="10.0.0.1")
    assert user.id == alice.id and pair.token_type == "bearer" and pair.expires_in == 900
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    assert claims["sub"] == alice.id and claims["role"] == "trader" and claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 900 and len(claims["jti"]) == 24
    principal = security.authenticate_bearer(pair.access_token)
    assert principal.user_id == alice.id and principal.via == "token"
    with pytest.raises(AuthenticationError):
        security.login("alice", "wrong password!", client="10.0.0.1")
    with pytest.raises(AuthenticationError):
        security.login("nobody", PW, client="10.0.0.1")


def test_expired_access_token_is_rejected(security: Security, clock: SteppedClock) -> None:
    alice = security.users.create("alice", PW)
    old = security.access.issue(alice, now=clock() - timedelta(seconds=901))
    with pytest.raises(AuthenticationError) as exc:
        security.authenticate_bearer(old)
    assert exc.value.code == "token_expired"


def test_wrong_type_and_algorithm_confusion_rejected(security: Security) -> None:
    alice = security.users.create("alice", PW, Role.ADMIN)
    key = security.access._key
    now = int(time.time())
    base = {"sub": alice.id, "role": "admin", "iat": now - 10, "exp": now + 600, "jti": "a" * 24}
    refresh_typed = jwt.encode({**base, "type": "refresh"}, key, algorithm="HS256")
    unsigned = jwt.encode({**base, "type": "access"}, None, algorithm="none")
    other_alg = jwt.encode({**base, "type": "access"}, key, algorithm="HS512")
    forged = jwt.encode({**base, "type": "access"}, "another key" * 4, algorithm="HS256")
    missing_jti = jwt.encode(
        {k: v for k, v in {**base, "type": "access"}.items() if k != "jti"}, key, algorithm="HS256"
    )
    for token in (refresh_typed, unsigned, other_alg, forged, missing_jti, "garbage"):
        with pytest.raises(AuthenticationError):
            security.authenticate_bearer(token)
    ok = jwt.encode({**base, "type": "access"}, key, algorithm="HS256")
    assert security.authenticate_bearer(ok).user_id == alice.id


def test_disabled_user_token_stops_working(security: Security) -> None:
    security.users.create("root", PW, Role.ADMIN)
    alice = security.users.create("alice", PW)
    _, pair = security.login("alice", PW, client="c")
    security.users.set_disabled(alice.id)
    with pytest.raises(AuthenticationError):
        security.authenticate_bearer(pair.access_token)
    with pytest.raises(AuthenticationError):
        security.refresh(pair.refresh_token)
    with pytest.raises(AuthenticationError):
        security.login("alice", PW, client="c")


def test_refresh_rotates_and_reuse_revokes_family(security: Security) -> None:
    security.users.create("alice", PW)
    _, first = security.login("alice", PW, client="c")
    _, other_login = security.login("alice", PW, client="c")
    second = security.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    third = security.refresh(second.refresh_token)
    # Replaying the spent first token: reuse detected, the whole family is revoked.
    with pytest.raises(AuthenticationError) as exc:
        security.refresh(first.refresh_token)
    assert exc.value.code == "refresh_token_reused"
    with pytest.raises(AuthenticationError) as exc:
        security.refresh(third.refresh_token)
    assert exc.value.code == "refresh_token_revoked"
    # Another login's family is untouched.
    assert security.refresh(other_login.refresh_token).refresh_token


def test_refresh_expiry_and_unknown(security: Security, clock: SteppedClock) -> None:
    security.users.create("alice", PW)
    _, pair = security.login("alice", PW, client="c")
    with pytest.raises(AuthenticationError):
        security.refresh("not-a-token")
    clock.advance(30 * 86400 + 1)
    with pytest.raises(AuthenticationError) as exc:
        security.refresh(pair.refresh_token)
    assert exc.value.code == "refresh_token_expired"


def test_logout_revokes_family_only_for_owner(security: Security) -> None:
    security.users.create("alice", PW)
    bob = security.users.create("bobby", PW)
    _, pair = security.login("alice", PW, client="c")
    assert not security.logout(pair.refresh_token, user_id=bob.id)
    assert security.logout(pair.refresh_token)
    with pytest.raises(AuthenticationError):
        security.refresh(pair.refresh_token)


def test_admin_bootstrap_random_password_once(security: Security) -> None:
    boot = security.bootstrap_admin()
    assert boot is not None and boot.generated and boot.password
    assert boot.user.username == "admin" and boot.user.role is Role.ADMIN
    assert len(boot.password) >= 20
    user, _ = security.login("admin", boot.password, client="c")
    assert user.id == boot.user.id
    assert security.bootstrap_admin() is None  # second start: nothing new, nothing printed
