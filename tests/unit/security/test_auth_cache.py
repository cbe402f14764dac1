"""The credential cache of ``Security``: TTL, eviction on security writes, epoch races, and
``last_used_at`` written in the background rather than on the request path."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nautilus.core.errors import AuthenticationError
from nautilus.security import Role, Scope, Security, api_keys
from nautilus.security.cache import AuthCache
from nautilus.security.service import Principal
from nautilus.security.tokens import token_digest

from .conftest import SteppedClock, make_security

PW = "correct horse battery"


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def principal(security: Security, role: Role = Role.TRADER) -> Principal:
    user = security.users.create(f"u{time.perf_counter_ns()}", PW, role)
    return Principal(user, "api_key", (Scope.READ,), "key-1")


def test_entries_expire_after_the_ttl(security: Security) -> None:
    mono = FakeMonotonic()
    cache = AuthCache(5.0, monotonic=mono)
    p = principal(security)
    cache.put_key("d", p, cache.epoch)
    cache.put_user(p, cache.epoch)
    cache.put_token("t", p.user_id, 3600)
    mono.t += 4.9
    assert cache.get_key("d") is p and cache.get_user(p.user_id) is p
    assert cache.get_token("t") == p.user_id
    mono.t += 0.2
    assert cache.get_key("d") is None and cache.get_user(p.user_id) is None
    assert cache.get_token("t") is None


def test_token_entries_never_outlive_the_token(security: Security) -> None:
    mono = FakeMonotonic()
    cache = AuthCache(5.0, monotonic=mono)
    cache.put_token("t", "u", 1.0)
    cache.put_token("expired", "u", -1.0)
    assert cache.get_token("t") == "u" and cache.get_token("expired") is None
    mono.t += 1.0
    assert cache.get_token("t") is None


def test_a_lookup_that_raced_an_eviction_is_not_stored(security: Security) -> None:
    cache = AuthCache(5.0)
    p = principal(security)
    epoch = cache.epoch  # a miss starts reading the database...
    cache.evict_key("key-1")  # ...while the key is revoked
    cache.put_key("d", p, epoch)
    cache.put_user(p, epoch)
    assert cache.get_key("d") is None and cache.get_user(p.user_id) is None


def test_evict_user_drops_their_keys_only(security: Security) -> None:
    cache = AuthCache(5.0)
    a, b = principal(security), principal(security)
    cache.put_key("a", a, cache.epoch)
    cache.put_key("b", b, cache.epoch)
    cache.put_user(a, cache.epoch)
    cache.evict_user(a.user_id)
    assert cache.get_key("a") is None and cache.get_user(a.user_id) is None
    assert cache.get_key("b") is b


def test_disabled_ttl_caches_nothing(security: Security) -> None:
    cache = AuthCache(0)
    p = principal(security)
    cache.put_key("d", p, cache.epoch)
    cache.put_user(p, cache.epoch)
    assert cache.get_key("d") is None and cache.get_user(p.user_id) is None


def test_service_writes_evict_immediately(security: Security) -> None:
    alice = security.users.create("alice", PW, Role.TRADER)
    new = security.keys.create(alice, "bot", ["read", "trade"])
    token = security.access.issue(alice)
    assert security.authenticate_api_key(new.secret).allows(Scope.TRADE)
    assert security.authenticate_bearer(token).allows(Scope.TRADE)
    assert security.cache.get_key(token_digest(new.secret)) is not None

    security.users.set_role(alice.id, Role.VIEWER)
    assert not security.authenticate_api_key(new.secret).allows(Scope.TRADE)
    assert security.authenticate_bearer(token).user.role is Role.VIEWER

    security.users.set_disabled(alice.id)
    for authenticate in (
        lambda: security.authenticate_api_key(new.secret),
        lambda: security.authenticate_bearer(token),
    ):
        with pytest.raises(AuthenticationError) as exc:
            authenticate()
        assert exc.value.code == "account_disabled"

    security.users.set_disabled(alice.id, False)
    security.authenticate_api_key(new.secret)
    security.keys.revoke(new.key.id)
    with pytest.raises(AuthenticationError) as exc:
        security.authenticate_api_key(new.secret)
    assert exc.value.code == "api_key_revoked"


def test_other_processes_changes_are_seen_within_the_ttl(
    data_dir: Path, backend_url: str | None
) -> None:
    """Another replica (here: another ``Security`` on the same database) cannot evict our
    cache; the TTL bounds how long it serves the stale credential."""
    ours, db = make_security(data_dir, backend_url)
    try:
        ours = Security(ours.config, db, auth_cache_ttl_s=0.3)
        theirs = Security(ours.config, db)
        alice = ours.users.create("alice", PW, Role.TRADER)
        new = ours.keys.create(alice, "bot", ["read"])
        ours.authenticate_api_key(new.secret)
        theirs.keys.revoke(new.key.id)
        ours.authenticate_api_key(new.secret)  # stale, within the TTL
        time.sleep(0.35)
        with pytest.raises(AuthenticationError):
            ours.authenticate_api_key(new.secret)
    finally:
        db.dispose()


def test_last_used_is_recorded_off_the_request_path(
    security: Security, clock: SteppedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = security.users.create("alice", PW, Role.TRADER)
    new = security.keys.create(alice, "bot", ["read"])
    monkeypatch.setattr(api_keys, "USAGE_FLUSH_INTERVAL_S", 3600.0)  # no background flush here
    writes: list[int] = []
    flush = security.keys.flush_usage
    monkeypatch.setattr(security.keys, "flush_usage", lambda: writes.append(flush()) or 0)

    security.authenticate_api_key(new.secret)  # a database read, no write
    assert writes == [] and security.keys._pending == {new.key.id: clock()}
    clock.advance(61)
    security.authenticate_api_key(new.secret)  # a cache hit records the use in memory
    assert security.keys._pending == {new.key.id: clock()}
    assert security.keys.get(new.key.id).last_used_at == clock()  # reads flush first
    assert writes == [1]
    clock.advance(5)
    security.authenticate_api_key(new.secret)
    assert security.keys._pending == {}
